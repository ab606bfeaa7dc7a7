package configs

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the expected-output files in testdata")

func TestLoadGood(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(data)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.Source != SourceYAML {
				t.Errorf("Source = %v, want yaml", cfg.Source)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate after Load: %v", err)
			}
			assertYAMLRoundTrip(t, cfg)
		})
	}
}

func TestLoadBad(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(data)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", cfg)
			}
			errFile := strings.TrimSuffix(file, ".yaml") + ".err"
			got := err.Error() + "\n"
			if *update {
				if err := os.WriteFile(errFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, rerr := os.ReadFile(errFile)
			if rerr != nil {
				t.Fatalf("missing %s (run with -update): %v", errFile, rerr)
			}
			if got != string(want) {
				t.Errorf("error mismatch\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load([]byte("masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sentinel
	if s.Port != 26379 || s.LogLevel != "info" || s.LogFormat != "text" || !s.DenyScriptsReconfig || !s.ProtectedMode || s.MetricsAddr != "" {
		t.Errorf("sentinel defaults wrong: %+v", s)
	}
	if s.Limits != (Limits{MaxReplicasPerMaster: 1000, MaxSentinelsPerMaster: 100}) {
		t.Errorf("limits default to %+v, want 1000 replicas and 100 sentinels", s.Limits)
	}
	m := cfg.Masters[0]
	if m.DownAfter != 30*time.Second || m.FailoverTimeout != 3*time.Minute || m.ParallelSyncs != 1 || m.RebootDownAfter != 0 {
		t.Errorf("master defaults wrong: %+v", m)
	}
	if m.Addr != (Addr{Host: "127.0.0.1", Port: 6379}) {
		t.Errorf("Addr = %v", m.Addr)
	}
}

// TestLoadLimits: one limit set keeps the other's default.
func TestLoadLimits(t *testing.T) {
	cfg, err := Load([]byte("sentinel:\n  limits:\n    max_sentinels_per_master: 7\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sentinel.Limits; got != (Limits{MaxReplicasPerMaster: DefaultMaxReplicasPerMaster, MaxSentinelsPerMaster: 7}) {
		t.Errorf("limits = %+v, want 1000 replicas (default) and 7 sentinels", got)
	}
}

func TestLoadExplicitFalseKept(t *testing.T) {
	cfg, err := Load([]byte("sentinel:\n  deny_scripts_reconfig: false\n  protected_mode: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sentinel.DenyScriptsReconfig || cfg.Sentinel.ProtectedMode {
		t.Errorf("explicit false replaced by default: %+v", cfg.Sentinel)
	}
}

func TestLoadHostPort(t *testing.T) {
	cfg, err := Load([]byte("sentinel:\n  resolve_hostnames: true\nmasters:\n  - name: m\n    host: db.example\n    port: 6400\n    quorum: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Masters[0]
	if m.Addr != (Addr{Host: "db.example", Port: 6400}) || m.Host != "" || m.Port != 0 {
		t.Errorf("host/port not moved into Addr: %+v", m)
	}
	_, err = Load([]byte("masters:\n  - name: m\n    host: 127.0.0.1\n    port: 6400\n    address: 127.0.0.1:6400\n    quorum: 1\n"))
	if err == nil || !strings.Contains(err.Error(), "masters[0](m).address: set either address or host and port, not both (line 5)") {
		t.Errorf("want both-set error, got %v", err)
	}
}

func TestLoadFileResolvesRelativePathsAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pass"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	yml := "sentinel:\n  requirepass_file: pass\n  state_file: st.yaml\nmasters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 1\n    auth_pass_file: pass\n    notification_script: notify.sh\n"
	path := filepath.Join(dir, "sentinel.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sentinel.RequirePass.Reveal() != "s3cret" || cfg.Masters[0].AuthPass.Reveal() != "s3cret" {
		t.Errorf("secret files not read: %q %q", cfg.Sentinel.RequirePass.Reveal(), cfg.Masters[0].AuthPass.Reveal())
	}
	if cfg.Masters[0].NotificationScript != script {
		t.Errorf("script = %q, want %q", cfg.Masters[0].NotificationScript, script)
	}
	if got, want := cfg.StatePath(), filepath.Join(dir, "st.yaml"); got != want {
		t.Errorf("StatePath = %q, want %q", got, want)
	}
	if cfg.Path != path {
		t.Errorf("Path = %q", cfg.Path)
	}

	// A script that is not executable is refused, as Redis does.
	if err := os.Chmod(script, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(path)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "masters[0](m).notification_script" || fe.Line != 9 {
		t.Errorf("want a FieldError for the script at line 9, got %v", err)
	}
}

// TestLoadFileDir: dir is relative to the YAML file and must exist; the
// other relative paths are relative to dir.
func TestLoadFileDir(t *testing.T) {
	root := realTempDir(t)
	if err := os.MkdirAll(filepath.Join(root, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "sentinel.yaml")
	if err := os.WriteFile(path, []byte("sentinel:\n  dir: work\n  logfile: s.log\n  state_file: st.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(root, "work")
	if s := cfg.Sentinel; s.Dir != work || s.LogFile != filepath.Join(work, "s.log") || cfg.StatePath() != filepath.Join(work, "st.yaml") || cfg.WorkDir() != work {
		t.Errorf("dir %q logfile %q state %q, want them in %s", s.Dir, s.LogFile, cfg.StatePath(), work)
	}
	if err := os.WriteFile(path, []byte("sentinel:\n  dir: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(path)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "sentinel.dir" || fe.Line != 2 {
		t.Errorf("missing dir: %v", err)
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("want ErrNotExist, got %v", err)
	}
}

func TestEmptyIsError(t *testing.T) {
	for _, in := range []string{"", "\n", "# c\n", "~\n", "---\n"} {
		if _, err := Load([]byte(in)); !errors.Is(err, ErrEmpty) {
			t.Errorf("Load(%q) = %v, want ErrEmpty", in, err)
		}
	}
}

func TestStatePathDefault(t *testing.T) {
	for path, want := range map[string]string{
		"/etc/sentinel/sentinel.yaml": "/etc/sentinel/sentinel.state.yaml",
		"/etc/s.yml":                  "/etc/s.state.yaml",
		"/etc/s.conf.d":               "/etc/s.conf.d.state.yaml",
	} {
		cfg := &Config{Path: path}
		if got := cfg.StatePath(); got != want {
			t.Errorf("StatePath(%q) = %q, want %q", path, got, want)
		}
	}
	conf := &Config{Path: "/etc/redis/sentinel.conf", Source: SourceConf}
	if conf.StatePath() != "/etc/redis/sentinel.conf" {
		t.Errorf("conf StatePath = %q", conf.StatePath())
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	cfg, err := Load([]byte("sentinel:\n  requirepass: hunter2\nmasters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 1\n    auth_pass: hunter2\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("cfg", "pass", cfg.Sentinel.RequirePass, "master", cfg.Masters[0].AuthPass)
	for name, text := range map[string]string{
		"yaml":   string(out),
		"%v":     fmt.Sprintf("%v", cfg),
		"%+v":    fmt.Sprintf("%+v", *cfg),
		"%#v":    fmt.Sprintf("%#v", cfg.Masters[0]),
		"%q":     fmt.Sprintf("%q", cfg.Sentinel.RequirePass),
		"slog":   logged.String(),
		"String": cfg.Sentinel.RequirePass.String(),
	} {
		if strings.Contains(text, "hunter2") {
			t.Errorf("%s output leaks the secret: %s", name, text)
		}
		if !strings.Contains(text, "<secret>") {
			t.Errorf("%s output lacks <secret>: %s", name, text)
		}
	}
	if cfg.Sentinel.RequirePass.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
}

func TestExamplesLoad(t *testing.T) {
	cfg, err := LoadFile("sentinel.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Masters) != 2 || cfg.Masters[1].Addr.Port != 6380 {
		t.Errorf("unexpected example masters: %+v", cfg.Masters)
	}
	conf, err := LoadConf("sentinel.example.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(conf.Masters) != 1 || conf.Masters[0].Name != "mymaster" || conf.Sentinel.LogLevel != "info" {
		t.Errorf("unexpected example conf: %+v", conf)
	}
}

// assertYAMLRoundTrip marshals cfg, loads it again and compares. Secrets
// marshal as "<secret>", so they are compared masked.
func assertYAMLRoundTrip(t *testing.T, cfg *Config) {
	t.Helper()
	out, err := cfg.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	again, err := Load(out)
	if err != nil {
		t.Fatalf("reload of marshalled config: %v\n%s", err, out)
	}
	want, got := roundTripView(cfg), roundTripView(again)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("round trip differs\n got: %+v\nwant: %+v\nyaml:\n%s", got, want, out)
	}
}

// roundTripView strips what marshalling legitimately changes: secrets (and
// their file twins, which would then clash with the masked value), the
// line index and the source path.
func roundTripView(cfg *Config) *Config {
	c := cfg.Clone()
	c.Path = ""
	mask := func(s *Secret, file *string) {
		if s.IsSet() {
			*s = "<secret>"
		}
		*file = ""
	}
	mask(&c.Sentinel.RequirePass, &c.Sentinel.RequirePassFile)
	mask(&c.Sentinel.SentinelPass, &c.Sentinel.SentinelPassFile)
	for i := range c.Masters {
		m := &c.Masters[i]
		mask(&m.AuthPass, &m.AuthPassFile)
		if len(m.RenameCommands) == 0 {
			m.RenameCommands = nil
		}
	}
	if len(c.Masters) == 0 {
		c.Masters = nil
	}
	if len(c.Sentinel.Bind) == 0 {
		c.Sentinel.Bind = nil
	}
	return c
}

func TestLoadRedisLogLevels(t *testing.T) {
	for in, want := range map[string]string{"verbose": "debug", "notice": "info", "warning": "warn", "debug": "debug", "error": "error"} {
		cfg, err := Load([]byte("sentinel:\n  log_level: " + in + "\n"))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if cfg.Sentinel.LogLevel != want {
			t.Errorf("log_level %s = %q, want %q", in, cfg.Sentinel.LogLevel, want)
		}
	}
}

func TestLoadUserNeedsPassword(t *testing.T) {
	_, err := Load([]byte("sentinel:\n  sentinel_user: a\nmasters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 1\n    auth_user: b\n"))
	for _, want := range []string{"sentinel.sentinel_user: needs sentinel_pass", "masters[0](m).auth_user: needs auth_pass"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestLoadMergeKeysKeepMergedValues(t *testing.T) {
	cfg, err := Load([]byte(`
defaults: &defaults
  quorum: 2
  down_after: 5s
masters:
  - <<: *defaults
    name: a
    address: 127.0.0.1:6379
  - <<: *defaults
    name: b
    address: 127.0.0.1:6380
    down_after: 7s
`))
	if err == nil {
		t.Fatalf("unknown top-level key accepted: %+v", cfg)
	}
	// Top-level anchors need a home that strict decoding accepts: put them
	// on the first master instead.
	cfg, err = Load([]byte(`
masters:
  - &defaults
    name: a
    address: 127.0.0.1:6379
    quorum: 2
    down_after: 5s
  - <<: *defaults
    name: b
    address: 127.0.0.1:6380
    failover_timeout: 1m
`))
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Masters[1]
	if b.DownAfter != 5*time.Second || b.Quorum != 2 || b.FailoverTimeout != time.Minute || b.ParallelSyncs != 1 {
		t.Errorf("merged master b = %+v", b)
	}
}

func TestLoadMergedName(t *testing.T) {
	cfg, err := Load([]byte(`
masters:
  - &base
    name: a
    address: 127.0.0.1:6379
    quorum: 2
    down_after: 5s
  - <<: *base
    address: 127.0.0.1:6380
`))
	if err == nil {
		t.Fatalf("duplicate merged name accepted: %+v", cfg.Masters)
	}
	if !strings.Contains(err.Error(), "masters[1](a).name: duplicate master name") {
		t.Errorf("error = %v", err)
	}
}
