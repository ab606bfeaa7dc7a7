package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

// harness runs a Scripts loop with a fake runner; call it inside a bubble.
type harness struct {
	s      *Scripts
	runner *fakeRunner
	events *eventLog
	reg    *prometheus.Registry
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startHarness(t *testing.T, o ScriptOptions) *harness {
	t.Helper()
	h := &harness{runner: &fakeRunner{}, events: &eventLog{}, reg: prometheus.NewRegistry()}
	o.Runner = h.runner
	o.Report = h.events.report
	o.Registerer = h.reg
	o.Logger = testLogger(t)
	if o.Lookup == nil {
		o.Lookup = func(master string) (string, string) {
			return "/scripts/notify-" + master, "/scripts/reconfig-" + master
		}
	}
	h.s = NewScripts(o)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.wg.Go(func() {
		if err := h.s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

// stop cancels Run and waits for it: every test in a bubble must end with
// no goroutine left.
func (h *harness) stop() {
	h.cancel()
	h.wg.Wait()
}

func masterEvent(typ string) monitor.Event {
	return monitor.Event{
		Type:  typ,
		Level: monitor.LevelWarning,
		Instance: &monitor.InstanceRef{
			Kind: monitor.KindMaster, Name: "mymaster",
			Addr: monitor.Addr{Host: "127.0.0.1", Port: 6379},
		},
		Extra: "#quorum 2/2",
	}
}

func TestScripts_NotificationRunsWithRedisArguments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{})
		defer h.stop()
		h.s.Notify(masterEvent("+odown"))
		synctest.Wait()
		procs := h.runner.procs()
		if len(procs) != 1 {
			t.Fatalf("started %d processes, want 1", len(procs))
		}
		p := procs[0]
		wantArgs := []string{"+odown", "master mymaster 127.0.0.1 6379 #quorum 2/2"}
		if p.path != "/scripts/notify-mymaster" || !slices.Equal(p.args, wantArgs) {
			t.Fatalf("ran %s %q, want /scripts/notify-mymaster %q", p.path, p.args, wantArgs)
		}
		if !slices.Contains(p.env, "SENTINEL_EVENT_TYPE=+odown") {
			t.Fatalf("env %q lacks SENTINEL_EVENT_TYPE", p.env)
		}
		pending := h.s.Pending()
		if len(pending) != 1 || !pending[0].Running || pending[0].PID != p.pid || pending[0].Retries != 1 {
			t.Fatalf("Pending = %+v, want one running job with pid %d", pending, p.pid)
		}
		p.finish(ExitStatus{})
		synctest.Wait()
		if got := h.s.Pending(); len(got) != 0 {
			t.Fatalf("Pending after success = %+v, want empty", got)
		}
		if w := h.events.warnings(); len(w) != 0 {
			t.Fatalf("warnings after success: %q", w)
		}
		if got := counterValue(t, h.reg, "sentinel_notify_scripts_run_total", "kind", "notification"); got != 1 {
			t.Fatalf("scripts_run_total{notification} = %v, want 1", got)
		}
	})
}

func TestScripts_NotifyFilters(t *testing.T) {
	replica := monitor.Event{
		Type: "+sdown", Level: monitor.LevelWarning,
		Instance: &monitor.InstanceRef{
			Kind: monitor.KindReplica, Name: "127.0.0.1:6380",
			Addr:       monitor.Addr{Host: "127.0.0.1", Port: 6380},
			MasterName: "other", MasterAddr: monitor.Addr{Host: "127.0.0.1", Port: 6379},
		},
	}
	tests := []struct {
		name     string
		event    monitor.Event
		wantPath string // "" = nothing runs
	}{
		{"warning with master instance", masterEvent("+sdown"), "/scripts/notify-mymaster"},
		{"replica event uses its master's script", replica, "/scripts/notify-other"},
		{"notice level does not run", func() monitor.Event { e := masterEvent("+slave"); e.Level = monitor.LevelNotice; return e }(), ""},
		{"no instance does not run", monitor.Event{Type: "+new-epoch", Level: monitor.LevelWarning, Extra: "3"}, ""},
		{"master without a script", func() monitor.Event { e := masterEvent("+sdown"); e.Instance.Name = "noscript"; return e }(), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := startHarness(t, ScriptOptions{Lookup: func(m string) (string, string) {
					if m == "noscript" {
						return "", ""
					}
					return "/scripts/notify-" + m, ""
				}})
				defer h.stop()
				h.s.Notify(tc.event)
				synctest.Wait()
				procs := h.runner.procs()
				if tc.wantPath == "" {
					if len(procs) != 0 {
						t.Fatalf("started %s, want nothing", procs[0].path)
					}
					return
				}
				if len(procs) != 1 || procs[0].path != tc.wantPath {
					t.Fatalf("started %d processes, want one of %s", len(procs), tc.wantPath)
				}
			})
		})
	}
}

func TestScripts_ClientReconfigArgumentOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{})
		defer h.stop()
		h.s.ClientReconfig(monitor.RunClientReconfigScript{
			Master: "mymaster", Role: "leader", State: "start",
			From: monitor.Addr{Host: "10.0.0.1", Port: 6379},
			To:   monitor.Addr{Host: "10.0.0.2", Port: 6380},
		})
		synctest.Wait()
		procs := h.runner.procs()
		want := []string{"mymaster", "leader", "start", "10.0.0.1", "6379", "10.0.0.2", "6380"}
		if len(procs) != 1 || procs[0].path != "/scripts/reconfig-mymaster" || !slices.Equal(procs[0].args, want) {
			t.Fatalf("started %+v, want reconfig script with %q", procs, want)
		}
		procs[0].finish(ExitStatus{})
		synctest.Wait()
		if got := counterValue(t, h.reg, "sentinel_notify_scripts_run_total", "kind", "client_reconfig"); got != 1 {
			t.Fatalf("scripts_run_total{client_reconfig} = %v, want 1", got)
		}
	})
}

func TestScripts_RetryOnExit1WithDoublingDelayThenGiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{})
		defer h.stop()
		start := time.Now()
		h.s.Enqueue(KindNotification, "/bin/flaky", "a", "b")
		delay := DefaultScriptRetryDelay
		for run := 1; run <= DefaultScriptMaxRuns; run++ {
			synctest.Wait()
			procs := h.runner.procs()
			if len(procs) != run {
				t.Fatalf("after %v: %d runs started, want %d", time.Since(start), len(procs), run)
			}
			procs[run-1].finish(ExitStatus{Code: 1})
			synctest.Wait()
			if run == DefaultScriptMaxRuns {
				break
			}
			p := h.s.Pending()
			if len(p) != 1 || p[0].Running || p[0].RunDelay != delay || p[0].Retries != run {
				t.Fatalf("after run %d: Pending = %+v, want scheduled in %v", run, p, delay)
			}
			// Just before the delay ends nothing may start.
			time.Sleep(delay - time.Nanosecond)
			synctest.Wait()
			if n := len(h.runner.procs()); n != run {
				t.Fatalf("run %d started before its retry delay", n)
			}
			time.Sleep(time.Nanosecond)
			delay *= 2
		}
		// 30 s × (1 + 2 + … + 256) of virtual time.
		if got, want := time.Since(start), 511*DefaultScriptRetryDelay; got != want {
			t.Fatalf("gave up after %v, want %v", got, want)
		}
		if p := h.s.Pending(); len(p) != 0 {
			t.Fatalf("Pending after giving up = %+v", p)
		}
		want := []string{"-script-error /bin/flaky 0 1"}
		if got := h.events.warnings(); !slices.Equal(got, want) {
			t.Fatalf("warnings = %q, want %q", got, want)
		}
		if got := counterValue(t, h.reg, "sentinel_notify_script_failures_total", "kind", "notification", "reason", "exit"); got != DefaultScriptMaxRuns {
			t.Fatalf("failures{exit} = %v, want %d", got, DefaultScriptMaxRuns)
		}
	})
}

func TestScripts_ExitCodes(t *testing.T) {
	tests := []struct {
		name      string
		status    ExitStatus
		wantRetry bool
		wantEvent string
	}{
		{"exit 0 ends quietly", ExitStatus{}, false, ""},
		{"exit 1 is retried", ExitStatus{Code: 1}, true, ""},
		{"signal is retried", ExitStatus{Signal: 15}, true, ""},
		{"exit 2 gives up", ExitStatus{Code: 2}, false, "-script-error /bin/s 0 2"},
		{"exit 255 gives up", ExitStatus{Code: 255}, false, "-script-error /bin/s 0 255"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := startHarness(t, ScriptOptions{})
				defer h.stop()
				h.s.Enqueue(KindNotification, "/bin/s")
				synctest.Wait()
				h.runner.procs()[0].finish(tc.status)
				synctest.Wait()
				pending := h.s.Pending()
				if retried := len(pending) == 1; retried != tc.wantRetry {
					t.Fatalf("Pending = %+v, want retry=%v", pending, tc.wantRetry)
				}
				var want []string
				if tc.wantEvent != "" {
					want = []string{tc.wantEvent}
				}
				if got := h.events.warnings(); !slices.Equal(got, want) {
					t.Fatalf("warnings = %q, want %q", got, want)
				}
			})
		})
	}
}

func TestScripts_TimeoutKillsAndRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{MaxRuntime: 5 * time.Second, MaxRuns: 2})
		defer h.stop()
		h.s.Enqueue(KindClientReconfig, "/bin/hang")
		synctest.Wait()
		first := h.runner.procs()[0]
		time.Sleep(5*time.Second - time.Nanosecond)
		synctest.Wait()
		if w := h.events.warnings(); len(w) != 0 {
			t.Fatalf("warnings before the limit: %q", w)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		want := []string{fmt.Sprintf("-script-timeout /bin/hang %d", first.pid)}
		if got := h.events.warnings(); !slices.Equal(got, want) {
			t.Fatalf("warnings = %q, want %q", got, want)
		}
		p := h.s.Pending()
		if len(p) != 1 || p[0].Running || p[0].RunDelay != DefaultScriptRetryDelay {
			t.Fatalf("Pending after timeout = %+v, want a scheduled retry", p)
		}
		// The retry hangs too; it is the last run, so it ends in -script-error.
		time.Sleep(DefaultScriptRetryDelay + 5*time.Second)
		synctest.Wait()
		procs := h.runner.procs()
		want = append(want,
			fmt.Sprintf("-script-timeout /bin/hang %d", procs[1].pid),
			"-script-error /bin/hang 9 0")
		if got := h.events.warnings(); !slices.Equal(got, want) {
			t.Fatalf("warnings = %q, want %q", got, want)
		}
		if got := counterValue(t, h.reg, "sentinel_notify_script_failures_total", "kind", "client_reconfig", "reason", "timeout"); got != 2 {
			t.Fatalf("failures{timeout} = %v, want 2", got)
		}
	})
}

func TestScripts_SetTimersShortensRunningLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{})
		defer h.stop()
		h.s.Enqueue(KindNotification, "/bin/hang")
		synctest.Wait()
		time.Sleep(time.Second)
		h.s.SetTimers(2*time.Second, time.Second)
		time.Sleep(time.Second)
		synctest.Wait()
		if w := h.events.warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "-script-timeout ") {
			t.Fatalf("warnings = %q, want one -script-timeout at the new limit", w)
		}
		if p := h.s.Pending(); len(p) != 1 || p[0].RunDelay != time.Second {
			t.Fatalf("Pending = %+v, want a retry after the new 1 s delay", p)
		}
	})
}

func TestScripts_AtMostMaxRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{})
		defer h.stop()
		for i := range DefaultScriptMaxRunning + 4 {
			h.s.Enqueue(KindNotification, fmt.Sprintf("/bin/s%d", i))
		}
		synctest.Wait()
		procs := h.runner.procs()
		if len(procs) != DefaultScriptMaxRunning {
			t.Fatalf("%d running, want %d", len(procs), DefaultScriptMaxRunning)
		}
		procs[3].finish(ExitStatus{})
		synctest.Wait()
		procs = h.runner.procs()
		if len(procs) != DefaultScriptMaxRunning+1 || procs[DefaultScriptMaxRunning].path != "/bin/s16" {
			t.Fatalf("after one exit: %d started (last %s), want 17 with /bin/s16 next", len(procs), procs[len(procs)-1].path)
		}
	})
}

func TestScripts_FullQueueDropsOldestWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{})
		defer h.stop()
		total := DefaultScriptMaxQueue + 3
		for i := range total {
			h.s.Enqueue(KindNotification, fmt.Sprintf("/bin/s%d", i))
			if i == DefaultScriptMaxRunning-1 {
				synctest.Wait() // the first 16 are now running
			}
		}
		synctest.Wait()
		p := h.s.Pending()
		if len(p) != DefaultScriptMaxQueue {
			t.Fatalf("queue length %d, want %d", len(p), DefaultScriptMaxQueue)
		}
		for i := range DefaultScriptMaxRunning {
			if !p[i].Running || p[i].Args[0] != fmt.Sprintf("/bin/s%d", i) {
				t.Fatalf("job %d = %+v, want running /bin/s%d kept", i, p[i], i)
			}
		}
		// /bin/s16, s17, s18 were the oldest waiting jobs; s19 is now first.
		if got := p[DefaultScriptMaxRunning].Args[0]; got != "/bin/s19" {
			t.Fatalf("first waiting job = %s, want /bin/s19", got)
		}
		if got := counterValue(t, h.reg, "sentinel_notify_dropped_total", "integration", "script"); got != 3 {
			t.Fatalf("dropped{script} = %v, want 3", got)
		}
	})
}

func TestScripts_StartFailureIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{})
		defer h.stop()
		h.runner.failStart = errNoSuchFile
		h.s.Enqueue(KindNotification, "/missing")
		synctest.Wait()
		if p := h.s.Pending(); len(p) != 0 {
			t.Fatalf("Pending = %+v, want empty", p)
		}
		want := []string{"-script-error /missing 0 2"}
		if got := h.events.warnings(); !slices.Equal(got, want) {
			t.Fatalf("warnings = %q, want %q", got, want)
		}
		if got := counterValue(t, h.reg, "sentinel_notify_script_failures_total", "kind", "notification", "reason", "start"); got != 1 {
			t.Fatalf("failures{start} = %v, want 1", got)
		}
	})
}

func TestScripts_ShutdownStopsRunningScripts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHarness(t, ScriptOptions{})
		h.s.Enqueue(KindNotification, "/bin/hang")
		synctest.Wait()
		p := h.runner.procs()[0]
		h.stop() // returns only once the waiter goroutine has finished
		if p.ctx.Err() == nil {
			t.Fatal("the running script's context was not cancelled")
		}
	})
}

func TestScripts_EnqueueRefusesEmptyPath(t *testing.T) {
	s := NewScripts(ScriptOptions{})
	if s.Enqueue(KindNotification, "") {
		t.Fatal("Enqueue accepted an empty path")
	}
	if !s.Enqueue(KindNotification, "/bin/true") || len(s.Pending()) != 1 {
		t.Fatal("Enqueue before Run should queue the job")
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		runs int
		want time.Duration
	}{{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {9, 256 * 30 * time.Second}} {
		if got := backoff(30*time.Second, tc.runs); got != tc.want {
			t.Errorf("backoff(30s, %d) = %v, want %v", tc.runs, got, tc.want)
		}
	}
	if got := backoff(time.Second, 1000); got <= 0 {
		t.Fatalf("backoff overflowed: %v", got)
	}
}
