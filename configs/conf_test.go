package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

func TestLoadConfDebian(t *testing.T) {
	// testdata/conf/debian-sentinel.conf is /etc/redis/sentinel.conf as
	// shipped by Debian's redis-sentinel 7.0.15.
	cfg, err := LoadConf("testdata/conf/debian-sentinel.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source != SourceConf || cfg.Sentinel.Port != 26379 || !cfg.Sentinel.Daemonize || cfg.Sentinel.ProtectedMode {
		t.Errorf("server settings wrong: %+v", cfg.Sentinel)
	}
	if cfg.Sentinel.Dir != "/var/lib/redis" || cfg.Sentinel.LogFile != "/var/log/redis/redis-sentinel.log" || cfg.Sentinel.PidFile != "/run/sentinel/redis-sentinel.pid" {
		t.Errorf("paths wrong: %+v", cfg.Sentinel)
	}
	want := DefaultMaster()
	want.Name, want.Addr, want.Quorum = "mymaster", Addr{Host: "127.0.0.1", Port: 6379}, 2
	if len(cfg.Masters) != 1 || !reflect.DeepEqual(cfg.Masters[0], want) {
		t.Errorf("masters = %+v, want %+v", cfg.Masters, want)
	}
	if len(cfg.Unsupported) != 0 || cfg.Sentinel.ACLLogMaxLen != 128 {
		t.Errorf("Unsupported = %+v, acllog-max-len %d, want none and 128", cfg.Unsupported, cfg.Sentinel.ACLLogMaxLen)
	}
}

const fullConf = `# every sentinel directive
port 26380
bind 127.0.0.1 -::1
loglevel warning
logfile ""
daemonize no
protected-mode yes
requirepass "client pass"
tls-port 0
user default on nopass ~* &* +@all
supervised systemd
SENTINEL resolve-hostnames yes
sentinel down-after-milliseconds mymaster 5000
sentinel monitor mymaster 127.0.0.1 6379 2
sentinel failover-timeout mymaster 60000
sentinel parallel-syncs mymaster 3
sentinel auth-pass mymaster 'p@ss word'
sentinel auth-user mymaster sentinel
sentinel config-epoch mymaster 9
sentinel leader-epoch mymaster 8
sentinel known-replica mymaster 127.0.0.1 6380
sentinel known-slave mymaster db.example 6381
sentinel known-sentinel mymaster 127.0.0.1 26381 89abcdef0123456789abcdef0123456789abcdef
sentinel known-sentinel mymaster 127.0.0.1 26382
sentinel rename-command mymaster CONFIG XCONFIG
sentinel master-reboot-down-after-period mymaster 15000
sentinel myid 0123456789abcdef0123456789abcdef01234567
sentinel current-epoch 7
sentinel announce-ip 10.0.0.5
sentinel announce-port 36379
sentinel announce-hostnames yes
sentinel deny-scripts-reconfig no
sentinel sentinel-user peer
sentinel sentinel-pass peerpass
`

func TestLoadConfEveryDirective(t *testing.T) {
	path := writeTemp(t, "sentinel.conf", fullConf)
	cfg, err := LoadConf(path)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sentinel
	if s.Port != 26380 || !reflect.DeepEqual(s.Bind, []string{"127.0.0.1", "-::1"}) || s.LogLevel != "warn" || s.LogFile != "" ||
		!s.ProtectedMode || s.RequirePass.Reveal() != "client pass" || !s.ResolveHostnames || !s.AnnounceHostnames ||
		s.DenyScriptsReconfig || s.SentinelUser != "peer" || s.SentinelPass.Reveal() != "peerpass" ||
		s.AnnounceIP != "10.0.0.5" || s.AnnouncePort != 36379 || s.ID != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("sentinel settings wrong: %+v", s)
	}
	// config-epoch 9 lifts current-epoch 7, as in Redis.
	if s.CurrentEpoch != 9 {
		t.Errorf("CurrentEpoch = %d, want 9", s.CurrentEpoch)
	}
	want := Master{
		Name: "mymaster", Addr: Addr{"127.0.0.1", 6379},
		MasterSettings: settings.MasterSettings{
			Quorum: 2, DownAfter: 5 * time.Second, FailoverTimeout: time.Minute, ParallelSyncs: 3,
			AuthUser: "sentinel", AuthPass: "p@ss word", RebootDownAfter: 15 * time.Second,
			RenameCommands: map[string]string{"CONFIG": "XCONFIG"},
		},
		ConfigEpoch: 9, LeaderEpoch: 8,
		KnownReplicas:  []Addr{{"127.0.0.1", 6380}, {"db.example", 6381}},
		KnownSentinels: []KnownSentinel{{Addr: Addr{"127.0.0.1", 26381}, RunID: "89abcdef0123456789abcdef0123456789abcdef"}},
	}
	if len(cfg.Masters) != 1 || !reflect.DeepEqual(cfg.Masters[0], want) {
		t.Errorf("master =\n%+v\nwant\n%+v", cfg.Masters, want)
	}
	var names []string
	for _, d := range cfg.Unsupported {
		names = append(names, d.Name)
	}
	if want := []string{"supervised"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Unsupported = %v, want %v", names, want)
	}
	// A user line is kept for the server, never ignored.
	if want := []string{`default on nopass ~* &* +@all`}; !reflect.DeepEqual(cfg.Sentinel.Users, want) {
		t.Errorf("Users = %q, want %q", cfg.Sentinel.Users, want)
	}
}

func TestLoadConfErrors(t *testing.T) {
	tests := []struct {
		name, conf string
		want       []string // each must appear in the error text
	}{
		{"no such master", "sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds x 100\n",
			[]string{"sentinel.conf:2: sentinel down-after-milliseconds: no such master \"x\""}},
		{"quorum", "sentinel monitor m 127.0.0.1 6379 0\n", []string{"sentinel.conf: masters[0](m).quorum: must be >= 1, got 0 (line 1)"}},
		{"quorum not a number", "sentinel monitor m 127.0.0.1 6379 two\n", []string{":1: sentinel monitor: invalid quorum \"two\""}},
		{"duplicate master", "sentinel monitor m 127.0.0.1 6379 1\nsentinel monitor m 127.0.0.1 6380 1\n", []string{":2: sentinel monitor: duplicate master name \"m\""}},
		{"bad port", "sentinel monitor m 127.0.0.1 99999 1\n", []string{":1: sentinel monitor: invalid port number \"99999\""}},
		{"hostname needs resolve", "sentinel monitor m db.example 6379 1\n", []string{"can't resolve instance hostname \"db.example\""}},
		{"arg count", "sentinel monitor m 127.0.0.1 6379\n", []string{":1: sentinel monitor: wrong number of arguments (want 4, got 3)"}},
		{"zero down-after", "sentinel monitor m 127.0.0.1 6379 1\nsentinel down-after-milliseconds m 0\n", []string{"masters[0](m).down_after: must be positive, got 0s (line 2)"}},
		{"negative reboot period", "sentinel monitor m 127.0.0.1 6379 1\nsentinel master-reboot-down-after-period m -5\n", []string{"masters[0](m).master_reboot_down_after: must be positive, got -5ms (line 2)"}},
		{"port range", "port 70000\nsentinel announce-port 65536\n", []string{"sentinel.port: must be in 1..65535, got 70000 (line 1)", "sentinel.announce_port: must be in 0..65535, got 65536 (line 2)"}},
		{"not a number", "sentinel monitor m 127.0.0.1 6379 1\nsentinel failover-timeout m soon\n", []string{`"soon" is not a number of milliseconds`}},
		{"myid", "sentinel myid abc\n", []string{":1: sentinel myid: malformed sentinel id \"abc\""}},
		{"yes no", "sentinel deny-scripts-reconfig maybe\n", []string{"please specify yes or no"}},
		{"unknown sentinel", "sentinel frobnicate x\n", []string{":1: sentinel frobnicate: unrecognized sentinel configuration statement"}},
		{"unknown server", "portt 1\n", []string{":1: portt: bad directive or wrong number of arguments"}},
		{"quotes", "sentinel monitor \"m 127.0.0.1 6379 1\n", []string{":1: (line): unbalanced quotes in configuration line"}},
		{"include", "include /etc/other.conf\n", []string{":1: include: include is not supported"}},
		{"dup replica", "sentinel monitor m 127.0.0.1 6379 1\nsentinel known-replica m 127.0.0.1 1\nsentinel known-slave m 127.0.0.1 1\n", []string{":3: sentinel known-slave: duplicate hostname and port for replica"}},
		{"dup rename", "sentinel monitor m 127.0.0.1 6379 1\nsentinel rename-command m config a\nsentinel rename-command m CONFIG b\n", []string{":3: sentinel rename-command: same command \"CONFIG\" renamed multiple times"}},
		{"script", "sentinel monitor m 127.0.0.1 6379 1\nsentinel notification-script m /nonexistent/script.sh\n", []string{":2: sentinel notification-script: script /nonexistent/script.sh seems non existing"}},
		{"loglevel", "loglevel loud\n", []string{":1: loglevel: must be debug, verbose, notice or warning"}},
		{"every error at once", "port x\nsentinel myid abc\nsentinel monitor m 127.0.0.1 6379 0\n", []string{":1: port:", ":2: sentinel myid:", "masters[0](m).quorum: must be >= 1, got 0 (line 3)"}},
		{"validate: name with comma", "sentinel monitor a,b 127.0.0.1 6379 1\n", []string{"sentinel.conf: masters[0](a,b).name: must not contain spaces, commas"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConf([]byte(tt.conf), "sentinel.conf")
			if err == nil {
				t.Fatal("ParseConf succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfLineErrorIsTyped(t *testing.T) {
	_, err := ParseConf([]byte("\n\nsentinel parallel-syncs nope 1\n"), "s.conf")
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || le.File != "s.conf" || le.Directive != "sentinel parallel-syncs" {
		t.Fatalf("want a *LineError at s.conf:3, got %#v (%v)", le, err)
	}
}

func TestLoadConfOldKnownSentinelIgnored(t *testing.T) {
	cfg, err := ParseConf([]byte("sentinel monitor m 127.0.0.1 6379 1\nsentinel known-sentinel m 127.0.0.1 26380\n"), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Masters[0].KnownSentinels) != 0 {
		t.Errorf("old known-sentinel form was not ignored: %+v", cfg.Masters[0].KnownSentinels)
	}
}

// TestLoadConfDir: as redis-sentinel, which chdirs into each dir line as
// it reads it, a relative dir is relative to the directory the process
// runs in (not the file's), dirs chain, and logfile, pidfile and scripts
// are relative to the last dir; scripts are kept as written.
func TestLoadConfDir(t *testing.T) {
	root := realTempDir(t)
	for _, d := range []string{"confs", "start/s1/inner", "scripts"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "start/scripts.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(root, "confs", "sentinel.conf")
	text := "dir s1\ndir inner\nlogfile sentinel.log\npidfile run/s.pid\n" +
		"sentinel monitor m 127.0.0.1 6379 1\nsentinel notification-script m ../../scripts.sh\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(root, "start"))
	cfg, err := LoadConf("../confs/sentinel.conf")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sentinel
	wantDir := filepath.Join(root, "start/s1/inner")
	if s.Dir != wantDir || cfg.WorkDir() != wantDir {
		t.Errorf("Dir = %q, WorkDir = %q, want %q", s.Dir, cfg.WorkDir(), wantDir)
	}
	if s.LogFile != filepath.Join(wantDir, "sentinel.log") || s.PidFile != filepath.Join(wantDir, "run/s.pid") {
		t.Errorf("logfile %q pidfile %q, want them inside %s", s.LogFile, s.PidFile, wantDir)
	}
	if got := cfg.Masters[0].NotificationScript; got != "../../scripts.sh" {
		t.Errorf("script kept as %q, want the text of the file", got)
	}
	if cfg.Path != conf {
		t.Errorf("Path = %q, want the absolute %q", cfg.Path, conf)
	}

	// The script is looked for inside dir, not next to the file or in the
	// start directory.
	bad := strings.Replace(text, "../../scripts.sh", "../scripts.sh", 1)
	if _, err := ParseConf([]byte(bad), "s.conf"); err == nil || !strings.Contains(err.Error(), filepath.Join(root, "start/s1/scripts.sh")) {
		t.Errorf("a script missing from dir: %v", err)
	}
	// A dir that does not exist stops the load at its line, as Redis's
	// chdir does.
	var le *LineError
	if _, err := ParseConf([]byte("port 1\ndir nope\n"), "s.conf"); !errors.As(err, &le) || le.Line != 2 || le.Directive != "dir" {
		t.Errorf("missing dir: %v", err)
	}
	// Without dir: the start directory.
	cfg, err = ParseConf([]byte("logfile l.log\n"), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "start"); cfg.Sentinel.Dir != want || cfg.Sentinel.LogFile != filepath.Join(want, "l.log") {
		t.Errorf("without dir: Dir %q logfile %q, want %s", cfg.Sentinel.Dir, cfg.Sentinel.LogFile, want)
	}
}

// TestConfStoreRewritesDir: the rewrite records dir as an absolute path in
// place of the first dir line (as Redis's getcwd rewrite), so the
// sentinel restarted from another directory finds the same dir and the
// same relative script.
func TestConfStoreRewritesDir(t *testing.T) {
	root := realTempDir(t)
	if err := os.MkdirAll(filepath.Join(root, "a/s1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "a/s1/n.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(root, "sentinel.conf")
	if err := os.WriteFile(conf, []byte("# top\ndir a\nport 26379\ndir s1\nsentinel monitor m 127.0.0.1 6379 1\nsentinel notification-script m n.sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	cfg, err := LoadConf("sentinel.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := NewStore(cfg).Save(StateOf(cfg)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("# top\ndir %q\nport 26379\nsentinel monitor m 127.0.0.1 6379 1\nsentinel notification-script m n.sh\n", filepath.Join(root, "a/s1"))
	if !strings.HasPrefix(string(data), want) || strings.Count(string(data), "\ndir ") != 1 {
		t.Fatalf("rewritten file:\n%s\nwant it to start with\n%s", data, want)
	}

	t.Chdir(t.TempDir())
	again, err := LoadConf(conf)
	if err != nil {
		t.Fatalf("restart from another directory: %v", err)
	}
	if again.Sentinel.Dir != cfg.Sentinel.Dir || again.Masters[0].NotificationScript != "n.sh" {
		t.Errorf("restart: dir %q script %q, want %q and n.sh", again.Sentinel.Dir, again.Masters[0].NotificationScript, cfg.Sentinel.Dir)
	}

	// A file without dir gets one after the rewrite signature, as Redis
	// appends it.
	bare := filepath.Join(root, "bare.conf")
	if err := os.WriteFile(bare, []byte("port 26379\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = LoadConf(bare)
	if err != nil {
		t.Fatal(err)
	}
	if err := NewStore(cfg).Save(StateOf(cfg)); err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(bare)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), rewriteSignature+"\ndir "+fmt.Sprintf("%q", cfg.Sentinel.Dir)+"\n") {
		t.Errorf("no dir appended:\n%s", data)
	}
}

// realTempDir is t.TempDir with symlinks resolved (the loader records the
// physical directory, as getcwd does).
func realTempDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfAuthUserAloneAccepted(t *testing.T) {
	// Redis accepts (and ignores) a user without a password; so do we in
	// sentinel.conf mode, to stay a drop-in replacement.
	cfg, err := ParseConf([]byte("sentinel monitor m 127.0.0.1 6379 1\nsentinel auth-user m bob\nsentinel sentinel-user alice\n"), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Masters[0].AuthUser != "bob" || cfg.Sentinel.SentinelUser != "alice" {
		t.Errorf("users lost: %+v %+v", cfg.Masters[0], cfg.Sentinel)
	}
}
