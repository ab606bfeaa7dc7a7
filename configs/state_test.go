package configs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testMaster(name string, port int) Master {
	m := DefaultMaster()
	m.Name, m.Addr, m.Quorum = name, Addr{"127.0.0.1", port}, 2
	return m
}

func yamlConfig(t *testing.T, masters ...Master) *Config {
	t.Helper()
	cfg := Default()
	cfg.Path = filepath.Join(t.TempDir(), "sentinel.yaml")
	cfg.Masters = masters
	return cfg
}

func TestStateFileRoundTrip(t *testing.T) {
	cfg := yamlConfig(t, testMaster("a", 6379))
	store := NewStore(cfg)
	if _, ok := store.(*StateFile); !ok {
		t.Fatalf("NewStore for YAML = %T, want *StateFile", store)
	}
	if want := strings.TrimSuffix(cfg.Path, ".yaml") + ".state.yaml"; store.Path() != want {
		t.Errorf("Path = %q, want %q", store.Path(), want)
	}
	if err := CheckWritable(store.Path()); err != nil {
		t.Fatal(err)
	}
	m := cfg.Masters[0].Clone()
	m.Addr = Addr{"127.0.0.1", 6380}
	m.AuthPass = "p4ss"
	m.ConfigEpoch, m.LeaderEpoch, m.Leader = 3, 3, peerID
	m.KnownReplicas = []Addr{{"127.0.0.1", 6379}, {"::1", 6381}}
	m.KnownSentinels = []KnownSentinel{{Addr: Addr{"127.0.0.1", 26380}, RunID: peerID}}
	m.RenameCommands = map[string]string{"CONFIG": "XCONFIG"}
	settings := SettingsOf(cfg.Sentinel)
	settings.AnnounceIP, settings.SentinelPass = "10.0.0.1", "peerpass"
	st := State{MyID: testID, CurrentEpoch: 3, Masters: []Master{m}, Settings: &settings}
	if err := store.Save(st); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(store.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v, want 0600 (it holds passwords)", fi.Mode().Perm())
	}

	// A restart: the same id, epochs, address and knowledge come back.
	loaded, err := LoadState(store.Path())
	if err != nil {
		t.Fatal(err)
	}
	if loaded.MyID != testID || loaded.CurrentEpoch != 3 || !reflect.DeepEqual(loaded.Masters, st.Masters) || !reflect.DeepEqual(loaded.Settings, st.Settings) {
		t.Fatalf("loaded state differs:\n%+v\nwant\n%+v", loaded, st)
	}
	merged := Merge(cfg, loaded)
	if merged.Sentinel.ID != testID || merged.Sentinel.CurrentEpoch != 3 || merged.Sentinel.AnnounceIP != "10.0.0.1" {
		t.Errorf("merged sentinel = %+v", merged.Sentinel)
	}
	if !reflect.DeepEqual(merged.Masters, st.Masters) {
		t.Errorf("merged masters = %+v, want %+v", merged.Masters, st.Masters)
	}
	if cfg.Masters[0].Addr.Port != 6379 {
		t.Error("Merge modified its input")
	}
}

func TestLoadStateMissing(t *testing.T) {
	_, err := LoadState(filepath.Join(t.TempDir(), "none.state.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("want fs.ErrNotExist, got %v", err)
	}
}

func TestLoadStateCorrupt(t *testing.T) {
	for name, content := range map[string]string{
		"empty":         "",
		"garbage":       "{{{",
		"unknown field": "version: 1\nfoo: 1\n",
		"version":       "version: 99\n",
		"bad master":    "version: 1\nmasters:\n  - name: a\n    address: 127.0.0.1:6379\n    quorum: 0\n    down_after: 1s\n    failover_timeout: 1s\n    parallel_syncs: 1\n",
	} {
		if _, err := LoadState(writeTemp(t, "s.yaml", content)); err == nil {
			t.Errorf("%s: LoadState succeeded", name)
		}
	}
}

func TestCrashMidWriteKeepsOldFile(t *testing.T) {
	crash := errors.New("simulated crash")
	t.Run("state file", func(t *testing.T) {
		cfg := yamlConfig(t, testMaster("a", 6379))
		sf := NewStateFile(cfg.StatePath(), cfg)
		first := StateOf(cfg)
		first.MyID = testID
		if err := sf.Save(first); err != nil {
			t.Fatal(err)
		}
		before, err := os.ReadFile(sf.Path())
		if err != nil {
			t.Fatal(err)
		}
		sf.beforeRename = func() error { return crash }
		second := first
		second.CurrentEpoch = 9
		if err := sf.Save(second); !errors.Is(err, crash) {
			t.Fatalf("Save = %v, want the crash", err)
		}
		assertUnchanged(t, sf.Path(), before)
		loaded, err := LoadState(sf.Path())
		if err != nil {
			t.Fatalf("old state no longer loads: %v", err)
		}
		if loaded.CurrentEpoch != 0 || loaded.MyID != testID {
			t.Errorf("old state changed: %+v", loaded)
		}
	})
	t.Run("conf", func(t *testing.T) {
		path := writeTemp(t, "sentinel.conf", "port 26379\nsentinel monitor m 127.0.0.1 6379 2\n")
		cfg, err := LoadConf(path)
		if err != nil {
			t.Fatal(err)
		}
		cs, ok := NewStore(cfg).(*ConfStore)
		if !ok || cs.Path() != path {
			t.Fatalf("NewStore for conf = %#v", NewStore(cfg))
		}
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cs.beforeRename = func() error { return crash }
		st := StateOf(cfg)
		st.CurrentEpoch = 4
		if err := cs.Save(st); !errors.Is(err, crash) {
			t.Fatalf("Save = %v, want the crash", err)
		}
		assertUnchanged(t, path, before)
		if _, err := LoadConf(path); err != nil {
			t.Fatalf("old conf no longer loads: %v", err)
		}
		// Without the crash the same save lands, and a restart sees it.
		cs.beforeRename = nil
		st.MyID = testID
		st.Masters[0].KnownReplicas = []Addr{{"127.0.0.1", 6380}}
		if err := cs.Save(st); err != nil {
			t.Fatal(err)
		}
		again, err := LoadConf(path)
		if err != nil {
			t.Fatal(err)
		}
		if again.Sentinel.ID != testID || again.Sentinel.CurrentEpoch != 4 || !reflect.DeepEqual(again.Masters[0].KnownReplicas, st.Masters[0].KnownReplicas) {
			t.Errorf("restart state = %+v %+v", again.Sentinel, again.Masters)
		}
	})
}

// assertUnchanged checks path still holds before and no temp file is left.
func assertUnchanged(t *testing.T, path string, before []byte) {
	t.Helper()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("file changed by a failed save:\n%s", after)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "new.state.yaml")); err != nil {
		t.Errorf("new file in a writable dir: %v", err)
	}
	if err := CheckWritable(filepath.Join(dir, "missing", "x.yaml")); err == nil {
		t.Error("missing directory accepted")
	}
	if err := CheckWritable(""); err == nil {
		t.Error("empty path accepted")
	}
	notDir := writeTemp(t, "file", "")
	if err := CheckWritable(filepath.Join(notDir, "x")); err == nil {
		t.Error("a file as directory accepted")
	}
	if os.Geteuid() == 0 {
		t.Log("running as root: permission checks below are not meaningful")
		return
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(ro, 0o700) })
	if err := CheckWritable(filepath.Join(ro, "x.yaml")); err == nil {
		t.Error("read-only directory accepted")
	}
	roFile := writeTemp(t, "ro.conf", "")
	if err := os.Chmod(roFile, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(roFile); err == nil {
		t.Error("read-only file accepted")
	}
}

func TestMergeRules(t *testing.T) {
	// Base: the YAML when the state was saved.
	base := []Master{testMaster("kept", 6379), testMaster("removed", 7000), testMaster("dropped", 7100)}
	baseCfg := yamlConfig(t, base...)

	// At run time: "kept" failed over and its quorum was SET to 3;
	// "removed" was SENTINEL REMOVEd; "runtime" was SENTINEL MONITORed.
	kept := base[0].Clone()
	kept.Addr = Addr{"127.0.0.1", 6380}
	kept.Quorum = 3
	kept.ConfigEpoch = 2
	kept.KnownReplicas = []Addr{{"127.0.0.1", 6379}}
	runtime := testMaster("runtime", 8000)
	dropped := base[2].Clone()
	sf := NewStateFile(filepath.Join(t.TempDir(), "s.yaml"), baseCfg)
	if err := sf.Save(State{MyID: testID, CurrentEpoch: 2, Masters: []Master{kept, dropped, runtime}}); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(sf.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.Removed, []string{"removed"}) {
		t.Fatalf("Removed = %v", st.Removed)
	}

	t.Run("unchanged yaml", func(t *testing.T) {
		got := Merge(yamlConfig(t, base...), st)
		names := masterNames(got)
		if want := []string{"kept", "dropped", "runtime"}; !reflect.DeepEqual(names, want) {
			t.Fatalf("masters = %v, want %v", names, want)
		}
		k := got.Masters[0]
		if k.Addr.Port != 6380 || k.Quorum != 3 || k.ConfigEpoch != 2 || len(k.KnownReplicas) != 1 {
			t.Errorf("state did not win for kept: %+v", k)
		}
		if got.Sentinel.ID != testID || got.Sentinel.CurrentEpoch != 2 {
			t.Errorf("sentinel = %+v", got.Sentinel)
		}
	})
	t.Run("operator edits win", func(t *testing.T) {
		edited := base[0].Clone()
		edited.Quorum = 5                  // edited since the save: YAML wins
		edited.DownAfter = 5 * time.Second // idem
		removedEdited := base[1].Clone()
		removedEdited.Quorum = 1 // edited: the removal no longer applies
		// "dropped" deleted from the YAML by the operator.
		got := Merge(yamlConfig(t, edited, removedEdited), st)
		if names, want := masterNames(got), []string{"kept", "removed", "runtime"}; !reflect.DeepEqual(names, want) {
			t.Fatalf("masters = %v, want %v", names, want)
		}
		k := got.Masters[0]
		if k.Quorum != 5 || k.DownAfter != 5*time.Second {
			t.Errorf("operator edit lost: %+v", k)
		}
		if k.Addr.Port != 6380 || k.ConfigEpoch != 2 {
			t.Errorf("state lost for unedited fields: %+v", k)
		}
	})
	t.Run("yaml id wins", func(t *testing.T) {
		cfg := yamlConfig(t, base...)
		cfg.Sentinel.ID = peerID
		cfg.Sentinel.CurrentEpoch = 10
		got := Merge(cfg, st)
		if got.Sentinel.ID != peerID || got.Sentinel.CurrentEpoch != 10 {
			t.Errorf("sentinel = %+v", got.Sentinel)
		}
	})
	t.Run("nil state", func(t *testing.T) {
		cfg := yamlConfig(t, base...)
		if got := Merge(cfg, nil); !reflect.DeepEqual(masterNames(got), masterNames(cfg)) {
			t.Errorf("Merge(cfg, nil) changed masters: %v", masterNames(got))
		}
	})
}

func TestStateFileOmitsFileSecrets(t *testing.T) {
	m := testMaster("a", 6379)
	m.AuthPass, m.AuthPassFile = "from-file", "/etc/pass"
	cfg := yamlConfig(t, m)
	sf := NewStateFile(filepath.Join(t.TempDir(), "s.yaml"), cfg)
	if err := sf.Save(StateOf(cfg)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sf.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "from-file") {
		t.Errorf("a password kept in its own file was copied into the state:\n%s", data)
	}
	st, err := LoadState(sf.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got := Merge(cfg, st); got.Masters[0].AuthPass.Reveal() != "from-file" {
		t.Errorf("merged AuthPass = %q", got.Masters[0].AuthPass.Reveal())
	}
}

func masterNames(cfg *Config) []string {
	var names []string
	for _, m := range cfg.Masters {
		names = append(names, m.Name)
	}
	return names
}

func TestSaveFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.conf")
	if err := os.WriteFile(target, []byte("sentinel monitor m 127.0.0.1 6379 1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "sentinel.conf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConf(link)
	if err != nil {
		t.Fatal(err)
	}
	st := StateOf(cfg)
	st.MyID = testID
	if err := NewStore(cfg).Save(st); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", fi, err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want the original 0640", fi.Mode().Perm())
	}
	again, err := LoadConf(target)
	if err != nil || again.Sentinel.ID != testID {
		t.Errorf("target not rewritten: %v %+v", err, again)
	}
}

func TestNewRunID(t *testing.T) {
	a, err := NewRunID()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewRunID()
	if err != nil {
		t.Fatal(err)
	}
	if !isRunID(a) || a == b {
		t.Errorf("NewRunID = %q, %q", a, b)
	}
}

// TestRestartKeepsIdentity follows the start-up sequence of doc.go twice
// for a YAML configuration: the second start gets the same id, epoch and
// known replicas as the first one saved.
func TestRestartKeepsIdentity(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.yaml")
	yml := "masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 2\n"
	if err := os.WriteFile(path, []byte(yml), 0o400); err != nil { // the YAML may be read-only
		t.Fatal(err)
	}
	start := func() (*Config, Store) {
		t.Helper()
		cfg, err := LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		store := NewStore(cfg)
		if err := CheckWritable(store.Path()); err != nil {
			t.Fatal(err)
		}
		st, err := LoadState(store.Path())
		switch {
		case err == nil:
			cfg = Merge(cfg, st)
		case !errors.Is(err, fs.ErrNotExist):
			t.Fatal(err)
		}
		if cfg.Sentinel.ID == "" {
			if cfg.Sentinel.ID, err = NewRunID(); err != nil {
				t.Fatal(err)
			}
		}
		return cfg, store
	}
	first, store := start()
	st := StateOf(first)
	st.CurrentEpoch = 2
	st.Masters[0].KnownReplicas = []Addr{{"127.0.0.1", 6380}}
	if err := store.Save(st); err != nil {
		t.Fatal(err)
	}
	second, _ := start()
	if second.Sentinel.ID != first.Sentinel.ID || second.Sentinel.CurrentEpoch != 2 ||
		!reflect.DeepEqual(second.Masters[0].KnownReplicas, st.Masters[0].KnownReplicas) {
		t.Errorf("restart lost state: id %q→%q, %+v", first.Sentinel.ID, second.Sentinel.ID, second.Masters[0])
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != yml {
		t.Errorf("the YAML configuration was modified: %v", err)
	}
}
