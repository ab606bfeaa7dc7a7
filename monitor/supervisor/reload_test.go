package supervisor

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// lockedBuffer collects a sentinel's log lines for the test to read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// reloadSentinel is an in-process sentinel whose SIGHUP the test sends.
type reloadSentinel struct {
	conf   string
	level  *slog.LevelVar
	reload chan struct{}
	addr   string
	logs   *lockedBuffer
	client *redis.SentinelClient
}

// hup delivers a SIGHUP and returns once the reload it caused is over:
// every reload ends with one log line starting "configuration reload".
func (r *reloadSentinel) hup(t *testing.T) {
	t.Helper()
	ends := func() int { return strings.Count(r.logs.String(), `msg="configuration reload`) }
	before := ends()
	select {
	case r.reload <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the reload watcher did not take the signal within 10s")
	}
	datanodetest.Eventually(t, 10*time.Second, 5*time.Millisecond, func() bool { return ends() > before }, "the reload ends")
}

// edit rewrites the sentinel.conf: every line matching drop goes, add is
// appended, and each of replace's patterns is substituted.
func (r *reloadSentinel) edit(t *testing.T, drop *regexp.Regexp, add string, replace map[string]string) {
	t.Helper()
	data, err := os.ReadFile(r.conf)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if drop != nil && drop.MatchString(line) {
			continue
		}
		for from, to := range replace {
			line = regexp.MustCompile(from).ReplaceAllString(line, to)
		}
		out = append(out, line)
	}
	text := strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n" + add
	if err := os.WriteFile(r.conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func startReloadSentinel(t *testing.T) *reloadSentinel {
	t.Helper()
	return startReloadFile(t, "sentinel.conf", "port %d\nbind 127.0.0.1\nloglevel notice\nsentinel monitor mymaster 127.0.0.1 %d 2\n"+
		"sentinel down-after-milliseconds mymaster 5000\nsentinel failover-timeout mymaster 10000\n", func(p string) (*configs.Config, error) { return configs.LoadConf(p) })
}

// startReloadFile starts a sentinel on the file name made from format
// with its port and a dead master port, loaded (and reloaded) by load.
func startReloadFile(t *testing.T, name, format string, load func(string) (*configs.Config, error)) *reloadSentinel {
	t.Helper()
	dir := t.TempDir()
	port := datanodetest.FreePort(t)
	dead := datanodetest.FreePort(t) // nothing listens: the links just fail
	conf := filepath.Join(dir, name)
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(format, port, dead)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(conf)
	if err != nil {
		t.Fatal(err)
	}
	r := &reloadSentinel{conf: conf, level: new(slog.LevelVar), reload: make(chan struct{}), logs: &lockedBuffer{}}
	if err := r.level.UnmarshalText([]byte(cfg.Sentinel.LogLevel)); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: r.level}))
	sup, err := New(Options{Config: cfg, Logger: logger, LogLevel: r.level, Version: "test", Reload: r.reload,
		Load: func() (*configs.Config, error) { return load(conf) }})
	if err != nil {
		t.Fatal(err)
	}
	cancel, done := runInBackground(sup)
	t.Cleanup(func() {
		cancel()
		waitStopped(t, "sentinel", done, 10*time.Second)
		if t.Failed() {
			t.Logf("sentinel log:\n%s", r.logs.String())
		}
	})
	r.addr = fmt.Sprintf("127.0.0.1:%d", port)
	r.client = redis.NewSentinelClient(&redis.Options{Addr: r.addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { r.client.Close() })
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		return r.client.Ping(t.Context()).Err() == nil
	}, "the sentinel answers")
	return r
}

func (r *reloadSentinel) master(t *testing.T) map[string]string {
	t.Helper()
	m, err := r.client.Master(t.Context(), "mymaster").Result()
	if err != nil {
		t.Fatalf("SENTINEL MASTER: %v", err)
	}
	return m
}

func (r *reloadSentinel) configGet(t *testing.T, name string) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.addr, Protocol: 2, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	defer c.Close()
	v, err := c.Do(t.Context(), "SENTINEL", "CONFIG", "GET", name).Slice()
	if err != nil || len(v) != 2 {
		t.Fatalf("SENTINEL CONFIG GET %s: %v %v", name, v, err)
	}
	return fmt.Sprint(v[1])
}

// TestReload_AppliesRuntimeSettings edits the sentinel.conf of a running
// sentinel and sends SIGHUP: the per-master and global settings and the
// log level change, an added master is only reported, and a file that
// does not load changes nothing.
func TestReload_AppliesRuntimeSettings(t *testing.T) {
	r := startReloadSentinel(t)
	drop := regexp.MustCompile(`^(loglevel|sentinel (down-after-milliseconds|parallel-syncs|announce-port|announce-hostnames|deny-scripts-reconfig) )`)
	add := "loglevel debug\nsentinel down-after-milliseconds mymaster 7000\nsentinel parallel-syncs mymaster 3\n" +
		"sentinel announce-port 4242\nsentinel announce-hostnames yes\nsentinel monitor other 127.0.0.1 1 1\n"
	quorum3 := map[string]string{`^(sentinel monitor mymaster \S+ \d+) 2$`: "$1 3"}
	// The sentinel rewrites its file on every state change, which may
	// undo an edit: edit and reload until the change shows.
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		r.edit(t, drop, add, quorum3)
		r.hup(t)
		m := r.master(t)
		return m["down-after-milliseconds"] == "7000" && m["quorum"] == "3"
	}, "SENTINEL MASTER shows the reloaded settings")
	m := r.master(t)
	if m["parallel-syncs"] != "3" || m["failover-timeout"] != "10000" {
		t.Errorf("parallel-syncs %q failover-timeout %q, want 3 and 10000 (unchanged)", m["parallel-syncs"], m["failover-timeout"])
	}
	if got := r.configGet(t, "announce-port"); got != "4242" {
		t.Errorf("announce-port %q, want 4242", got)
	}
	if got := r.configGet(t, "announce-hostnames"); got != "yes" {
		t.Errorf("announce-hostnames %q, want yes", got)
	}
	if r.level.Level() != slog.LevelDebug {
		t.Errorf("log level %v, want debug", r.level.Level())
	}
	if masters, err := r.client.Masters(t.Context()).Result(); err != nil || len(masters) != 1 {
		t.Errorf("SENTINEL MASTERS: %d masters (%v), want the one monitored before: SIGHUP adds none", len(masters), err)
	}
	if !strings.Contains(r.logs.String(), "SIGHUP does not add masters") || !strings.Contains(r.logs.String(), "master=other") {
		t.Error("no warning names the master added to the file")
	}
	if strings.Contains(r.logs.String(), "needs a restart") {
		t.Error("a restart was asked for, but only runtime settings changed")
	}

	// A file that does not load: nothing changes, the error is logged.
	bad := "sentinel down-after-milliseconds mymaster 9000\nsentinel parallel-syncs mymaster not-a-number\n"
	dropBad := regexp.MustCompile(`^sentinel (down-after-milliseconds|parallel-syncs) `)
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		r.edit(t, dropBad, bad, nil)
		r.hup(t)
		return strings.Contains(r.logs.String(), "configuration reload (SIGHUP) failed; nothing changed")
	}, "the bad file's error is logged")
	m = r.master(t)
	if m["down-after-milliseconds"] != "7000" || m["parallel-syncs"] != "3" || m["quorum"] != "3" {
		t.Errorf("after a bad file: down-after %q parallel-syncs %q quorum %q, want 7000, 3, 3", m["down-after-milliseconds"], m["parallel-syncs"], m["quorum"])
	}
	if !regexp.MustCompile(`failed; nothing changed.*sentinel\.conf:\d+: sentinel parallel-syncs`).MatchString(r.logs.String()) {
		t.Error("the reload error does not give the file, line and directive")
	}
}

// TestReload_BadValueChangesNothing: one refused value (a script that
// does not exist) refuses the whole file, including its good changes.
func TestReload_BadValueChangesNothing(t *testing.T) {
	r := startReloadSentinel(t)
	drop := regexp.MustCompile(`^sentinel (down-after-milliseconds|notification-script) `)
	add := "sentinel down-after-milliseconds mymaster 8000\nsentinel notification-script mymaster /nonexistent/notify.sh\n"
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		r.edit(t, drop, add, nil)
		r.hup(t)
		return strings.Contains(r.logs.String(), "notify.sh seems non existing")
	}, "the refusal is logged")
	if got := r.master(t)["down-after-milliseconds"]; got != "5000" {
		t.Errorf("down-after-milliseconds %q, want 5000: a refused reload changes nothing", got)
	}
}

// TestReload_YAML: an edit of the YAML applies; a SENTINEL SET made after
// that reload survives the next one (the state's base moved on).
func TestReload_YAML(t *testing.T) {
	yaml := "sentinel:\n  port: %d\n  bind: [127.0.0.1]\n  log_level: info\nmasters:\n" +
		"  - name: mymaster\n    address: 127.0.0.1:%d\n    quorum: 2\n    down_after: 5s\n    failover_timeout: 10s\n    parallel_syncs: 1\n"
	r := startReloadFile(t, "sentinel.yaml", yaml, configs.LoadFile)
	r.edit(t, nil, "", map[string]string{`quorum: 2`: "quorum: 3", `down_after: 5s`: "down_after: 7s"})
	r.hup(t) // the YAML is never rewritten: one reload is enough
	if m := r.master(t); m["quorum"] != "3" || m["down-after-milliseconds"] != "7000" {
		t.Fatalf("after the YAML edit: quorum %q down-after %q, want 3 and 7000", m["quorum"], m["down-after-milliseconds"])
	}
	if err := r.client.Set(t.Context(), "mymaster", "quorum", "4").Err(); err != nil {
		t.Fatalf("SENTINEL SET: %v", err)
	}
	r.hup(t)
	if got := r.master(t)["quorum"]; got != "4" {
		t.Errorf("quorum %q after a second reload, want 4: the SENTINEL SET made after the first reload must stay", got)
	}
}

func TestMasterChanges(t *testing.T) {
	cur := settings.MasterSettings{Quorum: 2, DownAfter: 5 * time.Second, FailoverTimeout: time.Minute, ParallelSyncs: 1,
		RenameCommands: map[string]string{"CONFIG": "cfg", "FLUSHALL": "x"}}
	next := cur.Clone()
	next.Quorum, next.Fencing, next.AuthPass = 3, true, settings.Secret("pw")
	next.RenameCommands = map[string]string{"config": "cfg2"}
	got, err := masterChanges(cur, next)
	if err != nil {
		t.Fatal(err)
	}
	want := []monitor.Setting{{Name: "quorum", Value: "3"}, {Name: "auth-pass", Value: "pw"}, {Name: "fencing", Value: "yes"},
		{Name: "rename-command", Value: "config cfg2"}, {Name: "rename-command", Value: "flushall flushall"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes\n got %v\nwant %v", got, want)
	}
	if same, _ := masterChanges(cur, cur.Clone()); len(same) != 0 {
		t.Errorf("no change gave %v", same)
	}
	withTLS := cur.Clone()
	withTLS.TLS = "yes"
	if _, err := masterChanges(withTLS, cur); err == nil {
		t.Error("tls yes back to unset: want an error (needs a restart)")
	}
}

func TestRestartOnly(t *testing.T) {
	a := &configs.Config{Sentinel: configs.Sentinel{Port: 26379, Bind: []string{"127.0.0.1"}, Dir: "/a"}}
	b := &configs.Config{Sentinel: configs.Sentinel{Port: 26380, Bind: []string{"127.0.0.1"}, Dir: "/b"}}
	b.Election.Mode = configs.ElectionRaft
	if got := fmt.Sprint(restartOnly(a, b)); got != "[port dir election mode]" {
		t.Errorf("restartOnly = %s", got)
	}
	if got := restartOnly(a, a); len(got) != 0 {
		t.Errorf("same config: %v", got)
	}
}

// TestReload_RefusedTLSChoiceChangesNothing: a reload that turns on TLS
// for a master while the sentinel has no TLS files is refused as a whole
// (the loader refuses it; planReload checks again), so the change to a
// master earlier in the same file does not apply either.
func TestReload_RefusedTLSChoiceChangesNothing(t *testing.T) {
	r := startReloadSentinel(t)
	if err := r.client.Monitor(t.Context(), "other", "127.0.0.1", "1", "1").Err(); err != nil {
		t.Fatalf("SENTINEL MONITOR other: %v", err)
	}
	drop := regexp.MustCompile(`^sentinel (down-after-milliseconds mymaster|tls other) `)
	add := "sentinel down-after-milliseconds mymaster 8000\nsentinel tls other yes\n"
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		r.edit(t, drop, add, nil)
		r.hup(t)
		return strings.Contains(r.logs.String(), "nothing changed") && strings.Contains(r.logs.String(), "TLS towards other")
	}, "the refused TLS choice is logged")
	if got := r.master(t)["down-after-milliseconds"]; got != "5000" {
		t.Errorf("down-after-milliseconds %q, want 5000: a refused reload changes nothing", got)
	}
}
