package monitor

import (
	"testing"

	"github.com/sentinelgo/sentinel/settings"
)

func TestSetFencing(t *testing.T) {
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("10.0.0.1", 6379), MasterSettings: settings.MasterSettings{Quorum: 1}}}})
	if c.Snapshot(at(0)).Master("m").Fencing {
		t.Fatal("fencing must be off by default")
	}
	args, err := ParseSetArgs([]string{"FENCING", "Yes"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(at(0), "m", args); err != nil || !c.Snapshot(at(0)).Master("m").Fencing {
		t.Fatalf("SET fencing yes: %v", err)
	}
	if err := c.Set(at(0), "m", []Setting{{Name: "fencing", Value: "no"}}); err != nil || c.Snapshot(at(0)).Master("m").Fencing {
		t.Fatalf("SET fencing no: %v", err)
	}
	want := "ERR Invalid argument 'maybe' for SENTINEL SET 'fencing'"
	if _, err := ParseSetArgs([]string{"fencing", "maybe"}); err == nil || err.Error() != want {
		t.Errorf("ParseSetArgs(fencing maybe) = %v, want %q", err, want)
	}
	if err := c.Set(at(0), "m", []Setting{{Name: "fencing", Value: "1"}}); err == nil {
		t.Error("the core took fencing 1")
	}
}
