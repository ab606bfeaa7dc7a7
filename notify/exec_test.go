package notify

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// writeScript writes an executable /bin/sh script into dir. The tests
// that run one start a process, so they skip with -short.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a real script process; skipped with -short")
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// runReal starts a Scripts with the real exec runner and stops it when the
// test ends (also on failure).
func runReal(t *testing.T, o ScriptOptions) (*Scripts, *eventLog) {
	t.Helper()
	events := &eventLog{}
	o.Report = events.report
	o.Logger = testLogger(t)
	s := NewScripts(o)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return s, events
}

func TestExec_ArgumentsArePassedVerbatimWithoutAShell(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	pwned := filepath.Join(dir, "pwned")
	script := writeScript(t, dir, "notify.sh",
		`for a in "$@"; do printf '%s\n' "$a"; done > "`+out+`.tmp"
printf '%s\n' "$SENTINEL_EVENT_TYPE" >> "`+out+`.tmp"
mv "`+out+`.tmp" "`+out+`"
`)
	s, events := runReal(t, ScriptOptions{Lookup: func(string) (string, string) { return script, "" }})
	// A master name full of shell syntax: it must arrive as plain text.
	evil := "m; touch " + pwned + " $(touch " + pwned + ")"
	s.Notify(monitor.Event{
		Type: "+sdown", Level: monitor.LevelWarning,
		Instance: &monitor.InstanceRef{Kind: monitor.KindMaster, Name: evil, Addr: monitor.Addr{Host: "127.0.0.1", Port: 6379}},
	})
	var got []byte
	eventually(t, "the script's output", func() bool {
		var err error
		got, err = os.ReadFile(out)
		return err == nil
	})
	want := "+sdown\nmaster " + evil + " 127.0.0.1 6379\n+sdown\n"
	if string(got) != want {
		t.Fatalf("script saw %q, want %q", got, want)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("event text was interpreted by a shell")
	}
	eventually(t, "the job to leave the queue", func() bool { return len(s.Pending()) == 0 })
	if w := events.warnings(); len(w) != 0 {
		t.Fatalf("warnings: %q", w)
	}
}

func TestExec_Exit1IsRetriedThenReported(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	script := writeScript(t, dir, "flaky.sh", `echo run >> "`+count+`"; exit 1`+"\n")
	s, events := runReal(t, ScriptOptions{RetryDelay: 5 * time.Millisecond, MaxRuns: 3})
	s.Enqueue(KindNotification, script)
	want := []string{"-script-error " + script + " 0 1"}
	eventually(t, "-script-error", func() bool { return slices.Equal(events.warnings(), want) })
	data, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	if runs := strings.Count(string(data), "run"); runs != 3 {
		t.Fatalf("script ran %d times, want 3", runs)
	}
}

func TestExec_TimeoutSendsSIGKILL(t *testing.T) {
	dir := t.TempDir()
	// exec replaces the shell, so SIGKILL reaches the sleeping process
	// itself and nothing outlives the test.
	script := writeScript(t, dir, "hang.sh", "exec sleep 30\n")
	s, events := runReal(t, ScriptOptions{MaxRuntime: 50 * time.Millisecond, MaxRuns: 1})
	s.Enqueue(KindNotification, script)
	eventually(t, "-script-error after the kill", func() bool {
		w := events.warnings()
		return len(w) == 2
	})
	w := events.warnings()
	if !strings.HasPrefix(w[0], "-script-timeout "+script+" ") || w[1] != "-script-error "+script+" 9 0" {
		t.Fatalf("warnings = %q, want -script-timeout then -script-error with signal 9", w)
	}
}

func TestExec_NotExecutableGivesUpWithExit2(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(path, []byte("not a script"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, events := runReal(t, ScriptOptions{})
	s.Enqueue(KindNotification, path)
	want := []string{"-script-error " + path + " 0 2"}
	eventually(t, "-script-error", func() bool { return slices.Equal(events.warnings(), want) })
	if p := s.Pending(); len(p) != 0 {
		t.Fatalf("Pending = %+v, want empty", p)
	}
}
