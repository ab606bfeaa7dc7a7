package supervisor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// TestE2E_DoorKeepsTheFileLoadable: what SENTINEL MONITOR, SET and CONFIG
// SET refuse over the wire is what the loader would refuse; what they
// accept is on disk in a sentinel.conf the sentinel starts from again.
func TestE2E_DoorKeepsTheFileLoadable(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over loopback is skipped with -short")
	}
	ctx := t.Context()
	// No data node is needed: the sentinel only has to accept commands.
	master := monitor.Addr{Host: "127.0.0.1", Port: datanodetest.FreePort(t)}
	s := startOurs(t, master, 1, 5*time.Second, "")
	c := s.client()
	do := func(args ...any) error { return c.Process(ctx, redis.NewCmd(ctx, args...)) }

	for _, tc := range []struct {
		args []any
		want string // "" accepted, else part of the error
	}{
		{[]any{"SENTINEL", "MONITOR", "a\tb", "127.0.0.1", "6390", "1"}, "invalid master name"},
		{[]any{"SENTINEL", "MONITOR", "a\x00b", "127.0.0.1", "6390", "1"}, "invalid master name"},
		{[]any{"SENTINEL", "MONITOR", "a\x1bb", "127.0.0.1", "6390", "1"}, "invalid master name"},
		{[]any{"SENTINEL", "MONITOR", "\xff", "127.0.0.1", "6390", "1"}, "invalid master name"},
		{[]any{"SENTINEL", "MONITOR", "other", "127.0.0.1", "6390", "1"}, ""},
		{[]any{"SENTINEL", "SET", "other", "rename-command", "CONFIG", "X\tCONFIG"}, "invalid argument"},
		{[]any{"SENTINEL", "SET", "other", "rename-command", "<<", "XCONFIG"}, ""},
		{[]any{"SENTINEL", "SET", "other", "auth-pass", "\n"}, ""},
		{[]any{"SENTINEL", "CONFIG", "SET", "announce-ip", "10.0.0.1 evil"}, "must not contain spaces"},
		{[]any{"SENTINEL", "CONFIG", "SET", "announce-ip", "10.0.0.7"}, ""},
	} {
		err := do(tc.args...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	s.stop()
	cfg, err := configs.LoadConf(s.conf)
	if err != nil {
		t.Fatalf("the sentinel's own file does not load: %v", err)
	}
	m := cfg.Master("other")
	if m == nil || m.RenameCommands["<<"] != "XCONFIG" || m.AuthPass.Reveal() != "\n" || cfg.Sentinel.AnnounceIP != "10.0.0.7" || len(cfg.Masters) != 2 {
		t.Fatalf("reloaded: %+v", cfg)
	}
}

// TestE2E_StateFileDeletedWhileRunning: with sentinel.conf deleted (or
// replaced by an empty directory), vote requests are still answered, the
// file comes back with the operator's lines, and the sentinel restarts
// from it.
func TestE2E_StateFileDeletedWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over loopback is skipped with -short")
	}
	ctx := t.Context()
	master := monitor.Addr{Host: "127.0.0.1", Port: datanodetest.FreePort(t)}
	s := startOurs(t, master, 1, 5*time.Second, "")
	c := s.client()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for epoch, harm := range []func(){
		func() {},
		func() { _ = os.Remove(s.conf) },
		func() {
			_ = os.Remove(s.conf)
			_ = os.Mkdir(s.conf, 0o755)
		},
	} {
		harm()
		// The same candidate each epoch: a vote for another one within
		// 1.5 s of the last is refused by design (voteLocked).
		candidate := strings.Repeat("1", 40)
		cmd := redis.NewSliceCmd(ctx, "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", master.Host, fmt.Sprint(master.Port), fmt.Sprint(epoch+1), candidate)
		if err := c.Process(ctx, cmd); err != nil {
			t.Fatalf("vote request %d after the file was harmed: %v", epoch+1, err)
		}
		if got := fmt.Sprint(cmd.Val()[1]); got != candidate {
			t.Fatalf("vote %d went to %s, want %s", epoch+1, got, candidate)
		}
		// The vote itself is durable in the vote journal beside the file
		// before the reply (votejournal.go); the file follows with the next
		// coalesced state write.
		datanodetest.Eventually(t, 10*time.Second, 10*time.Millisecond, func() bool {
			fi, err := os.Stat(s.conf)
			return err == nil && fi.Mode().IsRegular()
		}, fmt.Sprintf("the state file to be re-created after vote %d", epoch+1))
	}
	s.stop()
	cfg, err := configs.LoadConf(s.conf)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sentinel.Port != s.port || cfg.Masters[0].LeaderEpoch != 3 {
		t.Fatalf("re-created file: port %d (want %d), leader epoch %d (want 3)", cfg.Sentinel.Port, s.port, cfg.Masters[0].LeaderEpoch)
	}
	s.start()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("restart from the re-created file: %v", err)
	}
}

// TestProcess_CrashLoopLeavesNoTempFiles: the real binary SIGKILLed while
// it writes its state, again and again, may leave temp files; the next
// clean start removes every one of them, and the file still loads.
func TestProcess_CrashLoopLeavesNoTempFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes are skipped with -short")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	port := datanodetest.FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 %d 1\n", port, datanodetest.FreePort(t))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { c.Close() })

	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(bin, conf)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		datanodetest.Eventually(t, 10*time.Second, 10*time.Millisecond, func() bool {
			return c.Ping(t.Context()).Err() == nil
		}, "the sentinel should answer")
		return cmd
	}
	temps := func() []string {
		m, err := filepath.Glob(filepath.Join(dir, ".sentinel.conf.tmp-*"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	const crashes = 10
	leftBehind := 0
	for i := range crashes {
		cmd := start()
		// Every SET is a state write; the kill lands in one of them. The
		// writer stops at the first error (the process is gone).
		base := 100000 * (i + 1)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			for n := 1; n <= 10000 && ctx.Err() == nil; n++ {
				if c.Do(ctx, "SENTINEL", "SET", "mymaster", "down-after-milliseconds", fmt.Sprint(base+n)).Err() != nil {
					return
				}
			}
		}()
		// Let a few writes through first, a different number each round.
		datanodetest.Eventually(t, 10*time.Second, time.Millisecond, func() bool {
			m, err := c.Do(t.Context(), "SENTINEL", "MASTER", "mymaster").StringSlice()
			return err == nil && countWrites(m) > base+i
		}, "writes should go through")
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		cancel()
		<-done
		leftBehind += len(temps())
	}
	t.Logf("%d temp files seen after %d SIGKILLs during writes (each start removes the earlier ones)", leftBehind, crashes)
	// A crash at the worst moment leaves one like this, whatever the
	// kills above happened to hit.
	planted := filepath.Join(dir, ".sentinel.conf.tmp-123456789")
	if err := os.WriteFile(planted, []byte("half a rewrite"), 0o600); err != nil {
		t.Fatal(err)
	}

	// One clean start removes them all; the file loads. The new process
	// may itself be in the middle of a write when it first answers (a temp
	// file of its own, renamed a moment later), so the leftovers must be
	// gone at once and no temp file at all shortly after.
	leftovers := temps()
	cmd := start()
	for _, f := range leftovers {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("after a clean start %s, left by a crash, remains", f)
		}
	}
	datanodetest.Eventually(t, 10*time.Second, 10*time.Millisecond, func() bool { return len(temps()) == 0 },
		"no temp file once the clean start's own writes are done")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := configs.LoadConf(conf); err != nil {
		t.Fatalf("after the crash loop the file does not load: %v", err)
	}
}

// countWrites reads down-after-milliseconds from a SENTINEL MASTER reply.
func countWrites(fields []string) int {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] == "down-after-milliseconds" {
			var n int
			_, _ = fmt.Sscan(fields[i+1], &n)
			return n
		}
	}
	return 0
}
