package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func addFileSeeds(f *testing.F, patterns ...string) {
	f.Helper()
	for _, pattern := range patterns {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzLoad: Load never panics, and a configuration it accepts marshals
// and loads back to the same value.
func FuzzLoad(f *testing.F) {
	addFileSeeds(f, "sentinel.example.yaml", "sentinel.raft.example.yaml", "testdata/good/*.yaml", "testdata/bad/*.yaml")
	f.Add([]byte("masters:\n  - {name: m, host: '::1', port: 1, quorum: 1, rename_commands: {a: b}}\n"))
	f.Add([]byte("masters:\n  - &b {name: m, address: '127.0.0.1:1', quorum: 1, down_after: 1s}\n  - {<<: *b, name: n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load(data)
		if err != nil {
			return
		}
		assertYAMLRoundTrip(t, cfg)
	})
}

// FuzzLoadConf: ParseConf never panics, and the rewrite of an accepted
// file with its own state parses back to the same state and keeps every
// unsupported directive.
func FuzzLoadConf(f *testing.F) {
	addFileSeeds(f, "sentinel.example.conf", "testdata/conf/*.conf", "testdata/rewrite/*.conf", "testdata/rewrite/*.golden")
	f.Add([]byte(fullConf))
	f.Add([]byte("sentinel monitor \"a\\x00b\" 127.0.0.1 1 1\nsentinel auth-pass \"a\\x00b\" 'x y'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConf(data, "fuzz.conf")
		if err != nil {
			return
		}
		st := StateOf(cfg)
		out := RewriteConf(data, st)
		assertConfHolds(t, out, st)
		again, err := ParseConf(out, "fuzz.conf")
		if err != nil {
			t.Fatal(err)
		}
		if !sameDirectives(cfg.Unsupported, again.Unsupported) {
			t.Fatalf("unsupported directives changed:\n%+v\n%+v", cfg.Unsupported, again.Unsupported)
		}
	})
}

func sameDirectives(a, b []Directive) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !reflect.DeepEqual(a[i].Args, b[i].Args) {
			return false
		}
	}
	return true
}
