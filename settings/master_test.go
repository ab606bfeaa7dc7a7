package settings

import "testing"

func TestCloneIsDeep(t *testing.T) {
	s := MasterSettings{Quorum: 2, RenameCommands: map[string]string{"CONFIG": "XCONFIG"}}
	c := s.Clone()
	c.RenameCommands["CONFIG"] = "changed"
	if s.RenameCommands["CONFIG"] != "XCONFIG" || c.Quorum != 2 {
		t.Fatal("Clone shares the rename map")
	}
	if (MasterSettings{RenameCommands: map[string]string{}}).Clone().RenameCommands != nil {
		t.Fatal("an empty map should clone to nil")
	}
}
