package supervisor

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// testLoopOptions is a loop over one master with no I/O behind it.
func testLoopOptions(exec Executor, per Persister) LoopOptions {
	return LoopOptions{
		Logger: slog.New(slog.DiscardHandler),
		Core: monitor.Config{
			MyID:     strings.Repeat("a", 40),
			Announce: monitor.Addr{Host: "127.0.0.1", Port: 26379},
			Timers:   monitor.DefaultTimers(),
			Masters:  []monitor.MasterConfig{{Name: "mymaster", Addr: monitor.Addr{Host: "127.0.0.1", Port: 6379}, MasterSettings: settings.MasterSettings{Quorum: 2}}},
		},
		Exec: exec, Sink: nopSink{}, Persist: per, Seed: 1,
	}
}

// startTestLoop runs a test loop until the test ends.
func startTestLoop(t *testing.T, exec Executor, per Persister) *Loop {
	t.Helper()
	loop, err := NewLoop(testLoopOptions(exec, per))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return loop
}

func TestSet_ScriptPaths(t *testing.T) {
	loop := startTestLoop(t, nopExec{}, &switchablePersister{})
	dir := t.TempDir()
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	set := func(deny bool, name, value string) error {
		c := &controller{loop: loop, globals: &globals{level: new(slog.LevelVar), g: Globals{DenyScriptsReconfig: deny}}}
		return c.Set(t.Context(), "mymaster", []monitor.Setting{{Name: name, Value: value}})
	}
	for _, tc := range []struct {
		name        string
		deny        bool
		opt, value  string
		wantErrText string
	}{
		{"denied by default", true, "notification-script", script, "denied for security reasons"},
		{"missing script", false, "notification-script", filepath.Join(dir, "nope"), "Notification script seems non existing or non executable"},
		{"not executable", false, "client-reconfig-script", plain, "Client reconfiguration script seems non existing or non executable"},
		{"executable", false, "notification-script", script, ""},
		{"cleared", false, "notification-script", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := set(tc.deny, tc.opt, tc.value)
			if tc.wantErrText == "" {
				if err != nil {
					t.Fatalf("SET %s %q: %v", tc.opt, tc.value, err)
				}
				if got := loop.Snapshot().Master("mymaster").NotificationScript; tc.opt == "notification-script" && got != tc.value {
					t.Fatalf("notification-script is %q, want %q", got, tc.value)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErrText) {
				t.Fatalf("SET %s %q: err %v, want %q", tc.opt, tc.value, err, tc.wantErrText)
			}
		})
	}
}

// recordingExec keeps the hellos the loop asks to publish.
type recordingExec struct {
	mu     sync.Mutex
	hellos []monitor.Hello
}

func (r *recordingExec) Do(a monitor.Action) {
	if h, ok := a.(monitor.PublishHello); ok {
		r.mu.Lock()
		r.hellos = append(r.hellos, h.Hello)
		r.mu.Unlock()
	}
}

func (r *recordingExec) last() (monitor.Hello, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.hellos) == 0 {
		return monitor.Hello{}, 0
	}
	return r.hellos[len(r.hellos)-1], len(r.hellos)
}

// TestConfigSet_AnnounceReachesHellos: a new announce-ip goes out in the
// very next hello, without a restart.
func TestConfigSet_AnnounceReachesHellos(t *testing.T) {
	rec := &recordingExec{}
	loop := startTestLoop(t, rec, &switchablePersister{})
	ctx := t.Context()
	c := &controller{loop: loop, globals: &globals{level: new(slog.LevelVar)}, selfAddr: monitor.Addr{Host: "127.0.0.1", Port: 26379}}
	// Let the first tick create the links (and send the first hello).
	if _, err := Invoke(ctx, loop, func(time.Time, *monitor.Core) (struct{}, error) { return struct{}{}, nil }); err != nil {
		t.Fatal(err)
	}
	_, before := rec.last()
	if err := c.ConfigSet(ctx, []monitor.Setting{{Name: "announce-ip", Value: "10.9.9.9"}, {Name: "announce-port", Value: "26390"}}); err != nil {
		t.Fatal(err)
	}
	h, n := rec.last()
	if n <= before || h.SentinelAddr != (monitor.Addr{Host: "10.9.9.9", Port: 26390}) {
		t.Fatalf("after CONFIG SET the last hello (%d of %d) announces %v", n, before, h.SentinelAddr)
	}
	// Clearing announce-ip goes back to the link's local address: the core
	// leaves the host empty for the driver to fill in, never the old value.
	if err := c.ConfigSet(ctx, []monitor.Setting{{Name: "announce-ip", Value: ""}}); err != nil {
		t.Fatal(err)
	}
	h, m := rec.last()
	if m <= n || h.SentinelAddr != (monitor.Addr{Host: "", Port: 26390}) {
		t.Fatalf("after clearing announce-ip the last hello (%d of %d) announces %v", m, n, h.SentinelAddr)
	}
}

// TestDebug_ScriptTimersReachNotify: SENTINEL DEBUG script-max-runtime and
// script-retry-delay change how scripts run, not only what DEBUG lists.
func TestDebug_ScriptTimersReachNotify(t *testing.T) {
	loop := startTestLoop(t, nopExec{}, &switchablePersister{})
	var gotRuntime, gotDelay time.Duration
	c := &controller{loop: loop, globals: &globals{level: new(slog.LevelVar)},
		scriptTimers: func(r, d time.Duration) { gotRuntime, gotDelay = r, d }}
	if _, err := c.Debug(t.Context(), []monitor.Setting{{Name: "script-max-runtime", Value: "5000"}, {Name: "script-retry-delay", Value: "750"}}); err != nil {
		t.Fatal(err)
	}
	if gotRuntime != 5*time.Second || gotDelay != 750*time.Millisecond {
		t.Fatalf("scripts got max runtime %v and retry delay %v", gotRuntime, gotDelay)
	}
}
