package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// dropinProc is one sentinel process (ours or Debian's redis-sentinel)
// started the way an operator starts redis-sentinel: from a working
// directory, with a config path relative to it.
type dropinProc struct {
	t      *testing.T
	name   string
	bin    string
	conf   string // absolute path of its sentinel.conf
	dir    string // absolute path of the dir the file names
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
	out    bytes.Buffer // stdout and stderr (before the logfile opens)
}

// start runs the binary from cwd with confArg and waits for PING.
func (p *dropinProc) start(cwd, confArg string) {
	p.t.Helper()
	p.out.Reset()
	cmd := exec.Command(p.bin, confArg)
	cmd.Dir = cwd
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	exited := p.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	p.t.Cleanup(p.stop)
	c := p.client("127.0.0.1")
	datanodetest.Eventually(p.t, 10*time.Second, 20*time.Millisecond, func() bool {
		select {
		case <-exited:
			p.t.Fatalf("%s exited at start-up:\n%s", p.name, p.out.String())
		default:
		}
		return c.Ping(p.t.Context()).Err() == nil
	}, "%s should answer PING", p.name)
}

// stop sends SIGTERM to this process only (by PID) and waits; SIGKILL
// after 10 s. Safe to call twice.
func (p *dropinProc) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.t.Errorf("%s did not stop on SIGTERM within 10 s", p.name)
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

func (p *dropinProc) client(host string) *redis.SentinelClient {
	c := redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("[%s]:%d", host, p.port), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	p.t.Cleanup(func() { c.Close() })
	return c
}

func (p *dropinProc) file(name string) string {
	b, err := os.ReadFile(filepath.Join(p.dir, name))
	if err != nil {
		return ""
	}
	return string(b)
}

// TestE2E_DropInDirAndBind starts two of our sentinels and one Debian
// redis-sentinel from one working directory, each from a sentinel.conf
// with its own relative dir, relative logfile, pidfile and script paths,
// and "bind 127.0.0.1 -::1 -192.0.2.1"; every check holds for both
// implementations alike:
//
//   - they listen on 127.0.0.1 and, when the host has it, ::1; the
//     optional address the host lacks (192.0.2.1) is skipped;
//   - logs and pid files are written inside each one's dir, not shared in
//     the start directory;
//   - SENTINEL SET notification-script takes a path relative to dir, and
//     refuses one that exists only relative to the start directory;
//   - the rewrite records dir as an absolute path and the script as
//     written; the script runs with dir as its working directory;
//   - restarted from another directory, each starts from its own file
//     (the load checks the relative script exists, so a wrong base stops
//     it) and keeps logging into its dir;
//   - with only optional addresses, none on this host, neither starts.
func TestE2E_DropInDirAndBind(t *testing.T) {
	requireRedis(t)
	redisSentinel := datanodetest.RequireBinary(t, "redis-sentinel")
	bin := buildBinary(t)
	ctx := t.Context()
	t.Run("nothing to listen on", func(t *testing.T) { bindNothingLeft(t, bin, redisSentinel) })
	master := datanodetest.StartRedis(t, datanodetest.RedisOptions{})

	root := t.TempDir()
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r // dir is recorded as the physical path, as getcwd gives it
	}
	start := filepath.Join(root, "start")
	if err := os.MkdirAll(filepath.Join(start, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The script writes into its working directory: dir, if run as Redis.
	if err := os.WriteFile(filepath.Join(start, "scripts", "notify.sh"), []byte("#!/bin/sh\necho \"$*\" >> notified.txt\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ipv6 := probeListen("[::1]:0") == nil

	var procs []*dropinProc
	for _, impl := range []struct{ name, bin string }{{"ours-1", bin}, {"ours-2", bin}, {"redis", redisSentinel}} {
		p := &dropinProc{t: t, name: impl.name, bin: impl.bin, port: datanodetest.FreePort(t)}
		p.conf = filepath.Join(start, impl.name+".conf")
		p.dir = filepath.Join(start, impl.name)
		if err := os.Mkdir(p.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprintf("port %d\nbind 127.0.0.1 -::1 -192.0.2.1\ndir %s\nlogfile sentinel.log\npidfile sentinel.pid\n"+
			"sentinel deny-scripts-reconfig no\nsentinel monitor mymaster 127.0.0.1 %d 5\nsentinel down-after-milliseconds mymaster 500\n",
			p.port, impl.name, master.Port())
		if err := os.WriteFile(p.conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		p.start(start, impl.name+".conf")
		procs = append(procs, p)
	}

	for _, p := range procs {
		if ipv6 {
			if err := p.client("::1").Ping(ctx).Err(); err != nil {
				t.Errorf("%s: not listening on [::1]: %v", p.name, err)
			}
		}
		if log := p.file("sentinel.log"); log == "" {
			t.Errorf("%s: no log in its dir %s", p.name, p.dir)
		}
		if pid := strings.TrimSpace(p.file("sentinel.pid")); pid != strconv.Itoa(p.cmd.Process.Pid) {
			t.Errorf("%s: pidfile in its dir holds %q, want %d", p.name, pid, p.cmd.Process.Pid)
		}

		c := p.client("127.0.0.1")
		set := func(path string) error {
			return c.Process(ctx, redis.NewCmd(ctx, "SENTINEL", "SET", "mymaster", "notification-script", path))
		}
		err := set("scripts/notify.sh")
		if err == nil || !strings.Contains(err.Error(), "seems non existing or non executable") {
			t.Errorf("%s: a script that exists only relative to the start directory: %v, want it refused", p.name, err)
		}
		if err := set("../scripts/notify.sh"); err != nil {
			t.Fatalf("%s: SENTINEL SET of a script relative to dir: %v", p.name, err)
		}
		m, err := c.Master(ctx, "mymaster").Result()
		if err != nil || m["notification-script"] != "../scripts/notify.sh" {
			t.Errorf("%s: SENTINEL MASTER notification-script = %q (%v), want the path as set", p.name, m["notification-script"], err)
		}
		conf, err := os.ReadFile(p.conf)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{fmt.Sprintf("dir %q", p.dir), "sentinel notification-script mymaster ../scripts/notify.sh"} {
			if !strings.Contains("\n"+string(conf), "\n"+line+"\n") {
				t.Errorf("%s: the rewritten file lacks %q:\n%s", p.name, line, conf)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(start, "sentinel.log")); err == nil {
		t.Errorf("a log file was written in the start directory")
	}

	// The script runs in dir.
	if err := master.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
			return strings.Contains(p.file("notified.txt"), "+sdown master mymaster")
		}, "%s: the notification script should write +sdown into %s/notified.txt", p.name, p.dir)
	}

	// Restarted from another directory, from the absolute path of its file.
	elsewhere := t.TempDir()
	for _, p := range procs {
		before := len(p.file("sentinel.log"))
		p.stop()
		p.start(elsewhere, p.conf)
		m, err := p.client("127.0.0.1").Master(ctx, "mymaster").Result()
		if err != nil || m["notification-script"] != "../scripts/notify.sh" {
			t.Errorf("%s after restart: notification-script = %q (%v)", p.name, m["notification-script"], err)
		}
		datanodetest.Eventually(t, 5*time.Second, 20*time.Millisecond, func() bool {
			return len(p.file("sentinel.log")) > before
		}, "%s: the restarted sentinel should log into %s/sentinel.log", p.name, p.dir)
		if _, err := os.Stat(filepath.Join(elsewhere, "sentinel.log")); err == nil {
			t.Errorf("%s: a log file was written in the restart directory", p.name)
		}
	}
	// Each of ours logged its two starts, and only its own, into its dir.
	for i, p := range procs[:2] {
		other := procs[1-i]
		var own, foreign int
		for _, line := range strings.Split(p.file("sentinel.log"), "\n") {
			if !strings.Contains(line, `msg="sentinel started"`) {
				continue
			}
			if strings.Contains(line, fmt.Sprintf("addr=127.0.0.1:%d ", p.port)) {
				own++
			}
			if strings.Contains(line, fmt.Sprintf("addr=127.0.0.1:%d ", other.port)) {
				foreign++
			}
		}
		if own != 2 || foreign != 0 {
			t.Errorf("%s/sentinel.log has %d of its own starts (want 2) and %d of %s's (want 0)", p.dir, own, foreign, other.name)
		}
	}
}

// bindNothingLeft: with only optional addresses and none on this host,
// each binary refuses to start ("not listen anywhere").
func bindNothingLeft(t *testing.T, bins ...string) {
	for _, b := range bins {
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf("port %d\nbind -192.0.2.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 6379 2\n", datanodetest.FreePort(t), dir)
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		out, err := exec.CommandContext(ctx, b, conf).CombinedOutput()
		cancel()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("%s with no address to listen on: %v, want exit status 1\n%s", filepath.Base(b), err, out)
		}
	}
}

// TestE2E_RelativeScriptInProcess: a supervisor run inside a process that
// never chdirs (as tests run several) still resolves a relative script
// against the configured dir, both when SENTINEL SET checks it and when
// an event runs it.
func TestE2E_RelativeScriptInProcess(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	work := t.TempDir()
	out := filepath.Join(t.TempDir(), "calls")
	if err := os.WriteFile(filepath.Join(work, "notify.sh"), []byte("#!/bin/sh\necho \"$1\" >> "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	master := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	s := startOurs(t, addrOf(master), 1, 500*time.Millisecond, fmt.Sprintf("dir %q\nsentinel deny-scripts-reconfig no\n", work))
	c := s.client()
	if err := c.Process(ctx, redis.NewCmd(ctx, "SENTINEL", "SET", "mymaster", "notification-script", "notify.sh")); err != nil {
		t.Fatalf("SENTINEL SET of a script in dir: %v", err)
	}
	if err := master.Kill(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "+sdown")
	}, "the relative notification-script should run on +sdown")
}
