package configs

import (
	"path/filepath"
	"testing"
	"time"
)

// TestRebase: after a reload applied an edited YAML, a later runtime
// change survives the next Merge (the edit is no longer "newer than the
// save"); a YAML master that does not run keeps its old base.
func TestRebase(t *testing.T) {
	yaml := func(quorum int, names ...string) *Config {
		c := &Config{Source: SourceYAML}
		for _, n := range names {
			m := Master{Name: n, Addr: Addr{Host: "127.0.0.1", Port: 6379}}
			m.Quorum, m.DownAfter, m.FailoverTimeout, m.ParallelSyncs = quorum, time.Second, time.Minute, 1
			c.Masters = append(c.Masters, m)
		}
		return c
	}
	path := filepath.Join(t.TempDir(), "s.state.yaml")
	sf := NewStateFile(path, yaml(2, "a", "gone"))
	edited := yaml(3, "a", "new")
	edited.Masters = append(edited.Masters, yaml(2, "gone").Masters...) // unchanged
	live := map[string]bool{"a": true}
	sf.Rebase(edited, func(n string) bool { return live[n] })

	running := yaml(4, "a").Masters // SENTINEL SET quorum 4 after the reload
	if err := sf.Save(State{MyID: "0123456789012345678901234567890123456789", Masters: running}); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	got := Merge(edited, st)
	names := map[string]int{}
	for _, m := range got.Masters {
		names[m.Name] = m.Quorum
	}
	if names["a"] != 4 {
		t.Errorf("a: quorum %d, want 4 (the runtime change after the reload)", names["a"])
	}
	if _, ok := names["gone"]; ok {
		t.Error("gone: removed at run time with an unchanged definition, want it kept removed")
	}
	if names["new"] != 3 {
		t.Errorf("new: quorum %d (present %v), want it added from the YAML at restart", names["new"], names)
	}
}
