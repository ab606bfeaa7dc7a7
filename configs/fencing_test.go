package configs

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFencingDirective(t *testing.T) {
	conf := "sentinel monitor m 127.0.0.1 6379 2\nsentinel fencing m yes\n"
	cfg, err := ParseConf([]byte(conf), "f.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Masters[0].Fencing {
		t.Fatal("sentinel fencing m yes did not turn fencing on")
	}
	out := RewriteConf([]byte(conf), StateOf(cfg))
	if !strings.Contains(string(out), "\nsentinel fencing m yes\n") {
		t.Fatalf("rewrite lost the fencing line:\n%s", out)
	}
	assertConfHolds(t, out, StateOf(cfg))

	// Turned off: the line stays, saying no; never written for a master
	// that never had it.
	st := StateOf(cfg)
	st.Masters[0].Fencing = false
	out = RewriteConf(out, st)
	if !strings.Contains(string(out), "\nsentinel fencing m no\n") {
		t.Fatalf("rewrite should keep the line as no:\n%s", out)
	}
	plain := RewriteConf([]byte("sentinel monitor m 127.0.0.1 6379 2\n"), st)
	if strings.Contains(string(plain), "fencing") {
		t.Fatalf("a master without fencing got a fencing line:\n%s", plain)
	}

	for _, bad := range []string{"sentinel fencing m maybe\n", "sentinel fencing m\n", "sentinel fencing nosuch yes\n"} {
		if _, err := ParseConf([]byte("sentinel monitor m 127.0.0.1 6379 2\n"+bad), "bad.conf"); err == nil {
			t.Errorf("%q loaded", bad)
		}
	}
}

func TestFencingYAML(t *testing.T) {
	cfg, err := Load([]byte("masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 2\n    fencing: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Masters[0].Fencing {
		t.Fatal("fencing: true not read")
	}
	assertYAMLRoundTrip(t, cfg)
	if _, err := Load([]byte("masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 2\n    fencing: maybe\n")); err == nil {
		t.Error("fencing: maybe loaded")
	}
}

func TestFencingSavedDirective(t *testing.T) {
	conf := "sentinel monitor m 127.0.0.1 6379 2\nsentinel fencing m yes\nsentinel fencing-saved m 1 10\n"
	cfg, err := ParseConf([]byte(conf), "f.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Masters[0].FencingSaved != "1 10" {
		t.Fatalf("FencingSaved = %q", cfg.Masters[0].FencingSaved)
	}
	st := StateOf(cfg)
	assertConfHolds(t, RewriteConf([]byte(conf), st), st)
	st.Masters[0].FencingSaved = ""
	if out := RewriteConf([]byte(conf), st); strings.Contains(string(out), "fencing-saved") {
		t.Fatalf("restored values still in the file:\n%s", out)
	}
	for _, bad := range []string{"sentinel fencing-saved m 1\n", "sentinel fencing-saved m -1 10\n", "sentinel fencing-saved m x 10\n"} {
		if _, err := ParseConf([]byte("sentinel monitor m 127.0.0.1 6379 2\n"+bad), "bad.conf"); err == nil {
			t.Errorf("%q loaded", bad)
		}
	}
	if _, err := Load([]byte("masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 2\n    fencing_saved: \"1\"\n")); err == nil {
		t.Error("a bad fencing_saved loaded from YAML")
	}
}

// The YAML state file keeps the operator's saved values and the setting.
func TestFencingStateFile(t *testing.T) {
	m := DefaultMaster()
	m.Name, m.Addr, m.Quorum = "m", Addr{Host: "127.0.0.1", Port: 6379}, 2
	m.Fencing, m.FencingSaved = true, "1 10"
	sf := NewStateFile(filepath.Join(t.TempDir(), "state.yaml"), nil)
	if err := sf.Save(State{MyID: testID, Masters: []Master{m}}); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(sf.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Masters) != 1 || !st.Masters[0].Fencing || st.Masters[0].FencingSaved != "1 10" {
		t.Fatalf("state file gave back %+v", st.Masters)
	}
}
