package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// aliasBomb is a "billion laughs" document: nine levels of nine aliases
// each, 9^9 nodes once expanded, in under 500 bytes.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("sentinel:\n  port: 26379\nx:\n  a0: &a0 [l, l, l, l, l, l, l, l, l]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestYAMLAliasBounds(t *testing.T) {
	shared := "masters:\n" +
		"  - &m {name: a, address: '127.0.0.1:6379', quorum: 2, down_after: 5s, failover_timeout: 1m, parallel_syncs: 2}\n"
	for i := 0; i < 200; i++ {
		shared += fmt.Sprintf("  - {<<: *m, name: m%d}\n", i)
	}
	for _, tc := range []struct {
		name, doc string
		wantLine  int // 0: loads
	}{
		{"billion laughs", aliasBomb(), 8}, // the first alias of a4
		{"one huge alias", "a: &a [" + strings.Repeat("x, ", MaxAliasNodes) + "x]\nb: *a\n", 2},
		{"master defaults shared by 200 masters", shared, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Load([]byte(tc.doc))
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			// Not a timing: an expansion would allocate gigabytes.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("Load allocated %d MiB", grew>>20)
			}
			if tc.wantLine == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Line != tc.wantLine || !strings.Contains(err.Error(), "aliases") {
				t.Fatalf("Load = %v, want an alias error on line %d", err, tc.wantLine)
			}
		})
	}
	// The state file has the same bound.
	if _, err := parseState([]byte(aliasBomb())); err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Fatalf("parseState of an alias bomb = %v", err)
	}
}

func TestFileSizeBound(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// Comment lines: valid in both formats, so only the size can fail.
	comments := func(n int) []byte {
		line := "# " + strings.Repeat("x", 77) + "\n"
		b := bytes.Repeat([]byte(line), n/len(line)+1)
		return b[:n:n]
	}
	big := comments(MaxFileSize + 1)
	atLimit := append([]byte("sentinel monitor m 127.0.0.1 6379 1\n"), comments(MaxFileSize-36)...)
	if len(atLimit) != MaxFileSize || len(big) != MaxFileSize+1 {
		t.Fatalf("test sizes %d and %d", len(atLimit), len(big))
	}
	for _, tc := range []struct {
		name string
		load func() error
	}{
		{"LoadFile", func() error { _, err := LoadFile(write("big.yaml", big)); return err }},
		{"Load", func() error { _, err := Load(big); return err }},
		{"LoadConf", func() error { _, err := LoadConf(write("big.conf", big)); return err }},
		{"ParseConf", func() error { _, err := ParseConf(big, "big.conf"); return err }},
		{"LoadState", func() error { _, err := LoadState(write("big.state.yaml", big)); return err }},
	} {
		if err := tc.load(); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
			t.Errorf("%s of %d bytes = %v, want ErrTooLarge", tc.name, len(big), err)
		}
	}
	if _, err := LoadConf(write("limit.conf", atLimit)); err != nil {
		t.Errorf("LoadConf of exactly %d bytes: %v", MaxFileSize, err)
	}
	// A file without a size (a device) is bounded too.
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := LoadConf("/dev/zero"); !errors.Is(err, ErrTooLarge) {
			t.Errorf("LoadConf(/dev/zero) = %v, want ErrTooLarge", err)
		}
	}
}

// TestStoresSurviveTheirFile: a state file or sentinel.conf deleted, or
// replaced by an empty directory, is re-created from memory by the next
// Save; only a real write failure is an error.
func TestStoresSurviveTheirFile(t *testing.T) {
	const operatorLines = "port 26399\nrequirepass \"s3cret\"\nsentinel monitor m 127.0.0.1 6379 2\n"
	for _, tc := range []struct {
		name    string
		harm    func(t *testing.T, path string)
		wantErr bool
	}{
		{"deleted", func(t *testing.T, path string) { mustRemove(t, path) }, false},
		{"replaced by an empty directory", func(t *testing.T, path string) {
			mustRemove(t, path)
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"replaced by a directory with files", func(t *testing.T, path string) {
			mustRemove(t, path)
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"its directory removed", func(t *testing.T, path string) {
			if err := os.RemoveAll(filepath.Dir(path)); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"directory not writable", func(t *testing.T, path string) {
			mustRemove(t, path)
			dir := filepath.Dir(path)
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		}, true},
	} {
		for _, format := range []string{"conf", "yaml"} {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				if tc.name == "directory not writable" && os.Geteuid() == 0 {
					t.Skip("root writes anywhere")
				}
				dir := t.TempDir()
				var store Store
				if format == "conf" {
					path := filepath.Join(dir, "sentinel.conf")
					if err := os.WriteFile(path, []byte(operatorLines), 0o600); err != nil {
						t.Fatal(err)
					}
					store = NewConfStore(path)
				} else {
					store = NewStateFile(filepath.Join(dir, "sentinel.state.yaml"), nil)
				}
				m := testMaster("m", 6379)
				st := State{MyID: testID, CurrentEpoch: 1, Masters: []Master{m}}
				if err := store.Save(st); err != nil {
					t.Fatal(err)
				}
				tc.harm(t, store.Path())
				st.CurrentEpoch = 2 // a vote moved the epoch on
				err := store.Save(st)
				if tc.wantErr {
					if err == nil {
						t.Fatal("Save succeeded; want the real write failure reported")
					}
					return
				}
				if err != nil {
					t.Fatalf("Save after the file was %s: %v", tc.name, err)
				}
				if format == "yaml" {
					loaded, err := LoadState(store.Path())
					if err != nil || loaded.CurrentEpoch != 2 || !reflect.DeepEqual(loaded.Masters, st.Masters) {
						t.Fatalf("re-created state = %+v, %v", loaded, err)
					}
					return
				}
				cfg, err := LoadConf(store.Path())
				if err != nil {
					t.Fatal(err)
				}
				// The operator's lines come back too, not only the state.
				if cfg.Sentinel.CurrentEpoch != 2 || cfg.Sentinel.Port != 26399 || cfg.Sentinel.RequirePass.Reveal() != "s3cret" || len(cfg.Masters) != 1 {
					t.Fatalf("re-created sentinel.conf loads as %+v", cfg.Sentinel)
				}
			})
		}
	}
}

// TestConfStoreRecreatesBeforeFirstSave: the file deleted between start-up
// and the first write still comes back with the operator's lines.
func TestConfStoreRecreatesBeforeFirstSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte("port 26398\nsentinel monitor m 127.0.0.1 6379 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := NewConfStore(path)
	mustRemove(t, path)
	if err := store.Save(State{MyID: testID, Masters: []Master{testMaster("m", 6379)}}); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConf(path)
	if err != nil || cfg.Sentinel.Port != 26398 {
		t.Fatalf("LoadConf = %+v, %v; want port 26398 kept", cfg, err)
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.conf")
	// A crash between the temp file and the rename leaves one like this.
	var made string
	hook := func() error {
		matches, _ := filepath.Glob(filepath.Join(dir, ".sentinel.conf.tmp-*"))
		if len(matches) == 1 {
			made = matches[0]
			if err := os.Link(made, made+"-copy"); err != nil {
				return err
			}
		}
		return errors.New("crash")
	}
	if err := writeFileAtomic(path, []byte("x\n"), 0o600, hook); err == nil || made == "" {
		t.Fatalf("simulated crash: err %v, temp %q", err, made)
	}
	// Restore the crashed write's leftover under its own name.
	if err := os.Rename(made+"-copy", made); err != nil {
		t.Fatal(err)
	}
	keep := []string{
		"sentinel.conf",
		".sentinel.conf.tmp-",        // no digits: not ours
		".sentinel.conf.tmp-12ab",    // not digits
		".other.conf.tmp-123",        // another file's temp
		"sentinel.conf.tmp-123",      // no leading dot
		".sentinel-probe-123",        // CheckWritable's probe, maybe another sentinel's
		".sentinel.conf.tmp-999/",    // a directory
		".sentinel.conf.tmp-42.bak",  // suffix
		"x.sentinel.conf.tmp-123456", // prefix
	}
	stale := []string{filepath.Base(made), ".sentinel.conf.tmp-1", ".sentinel.conf.tmp-4294967295"}
	for _, name := range append(keep, stale...) {
		full := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.Mkdir(full, 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, nil, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
			t.Fatal(err)
		}
	}
	removed, err := RemoveStaleTemps(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range removed {
		got = append(got, filepath.Base(r))
	}
	sort.Strings(got)
	sort.Strings(stale)
	if !reflect.DeepEqual(got, stale) {
		t.Fatalf("removed %q, want %q", got, stale)
	}
	for _, name := range keep {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was removed: %v", name, err)
		}
	}
	if removed, err := RemoveStaleTemps(path); err != nil || len(removed) != 0 {
		t.Errorf("second run removed %q, %v", removed, err)
	}
}

// TestSaveDropsWhatWouldNotLoad: learned entries the loader would refuse
// (from hostile or broken peers) are left out of the file instead of
// making it unloadable; the vote's epoch stays.
func TestSaveDropsWhatWouldNotLoad(t *testing.T) {
	m := testMaster("m", 6379)
	m.LeaderEpoch, m.Leader = 5, "evil\tleader"
	m.KnownReplicas = []Addr{{"127.0.0.1", 6380}, {"fe80::1%eth0", 6381}, {"bad host", 6382}, {"127.0.0.1", 6380}, {"replica.example", 6383}}
	m.KnownSentinels = []KnownSentinel{
		{Addr: Addr{"127.0.0.1", 26380}, RunID: peerID},
		{Addr: Addr{"127.0.0.1", 26381}, RunID: "not-a-run-id"},
		{Addr: Addr{"127.0.0.1", 26382}, RunID: peerID},
		{Addr: Addr{"a,b", 26383}, RunID: peerID2},
	}
	st := State{MyID: testID, CurrentEpoch: 5, Masters: []Master{m}}
	dir := t.TempDir()

	sf := NewStateFile(filepath.Join(dir, "s.state.yaml"), nil)
	if err := sf.Save(st); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadState(sf.Path())
	if err != nil {
		t.Fatalf("the state file does not load: %v", err)
	}
	got := loaded.Masters[0]
	if got.Leader != "" || got.LeaderEpoch != 5 {
		t.Errorf("leader %q epoch %d; want the bad leader dropped, the epoch kept", got.Leader, got.LeaderEpoch)
	}
	wantReplicas := []Addr{{"127.0.0.1", 6380}, {"replica.example", 6383}}
	if !reflect.DeepEqual(got.KnownReplicas, wantReplicas) {
		t.Errorf("replicas %v, want %v", got.KnownReplicas, wantReplicas)
	}
	if len(got.KnownSentinels) != 1 || got.KnownSentinels[0].Addr.Port != 26380 {
		t.Errorf("sentinels %v, want only the first", got.KnownSentinels)
	}

	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte("sentinel monitor m 127.0.0.1 6379 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NewConfStore(conf).Save(st); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConf(conf)
	if err != nil {
		t.Fatalf("sentinel.conf does not load: %v", err)
	}
	// Without resolve-hostnames the named replica cannot load either.
	if r := cfg.Masters[0].KnownReplicas; !reflect.DeepEqual(r, []Addr{{"127.0.0.1", 6380}}) {
		t.Errorf("conf replicas %v", r)
	}
	if cfg.Masters[0].LeaderEpoch != 5 {
		t.Errorf("conf leader epoch %d, want 5", cfg.Masters[0].LeaderEpoch)
	}
	if st.Masters[0].Leader != "evil\tleader" || len(st.Masters[0].KnownReplicas) != 5 {
		t.Error("Save modified its input")
	}
}
