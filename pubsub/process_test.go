package pubsub

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/monitor"
)

// requireBinary finds a Redis tool; tests skip without it, except under CI
// where a missing binary is a failure.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

func runCLI(t *testing.T, cli string, port int, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port)}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("redis-cli %q: %v\nstderr: %s", args, err, errOut.String())
	}
	return out.String()
}

func TestRedisCLI(t *testing.T) {
	cli := requireBinary(t, "redis-cli")
	ts := startServer(t, nil)
	port := ts.Addr().(*net.TCPAddr).Port

	if got := runCLI(t, cli, port, "", "sentinel", "get-master-addr-by-name", "mymaster"); got != "127.0.0.1\n16380\n" {
		t.Errorf("argv get-master-addr-by-name = %q", got)
	}
	if got := runCLI(t, cli, port, "", "-3", "sentinel", "master", "mymaster"); !strings.HasPrefix(got, "name mymaster\nip 127.0.0.1\nport 16380\n") {
		t.Errorf("argv -3 sentinel master = %q", got)
	}
	if got := runCLI(t, cli, port, "", "ping"); got != "PONG\n" {
		t.Errorf("argv ping = %q", got)
	}
	// Commands on stdin go through redis-cli's REPL (which first asks
	// COMMAND DOCS for its hints), one line per command.
	stdin := "ping\nsentinel myid\nrole\nsentinel get-master-addr-by-name nosuch\nfoo bar\n"
	got := runCLI(t, cli, port, stdin)
	for _, want := range []string{"PONG\n", "0dbc6b01093fd9b696051ff693c897ad0924d24d\n", "sentinel\nmymaster\n", "ERR unknown command 'foo', with args beginning with: 'bar'"} {
		if !strings.Contains(got, want) {
			t.Errorf("stdin session lacks %q:\n%s", want, got)
		}
	}
}

// TestGoRedisFailoverClient runs go-redis's NewFailoverClient against our
// server, with the fixture's master pointing at a real redis-server: the
// full discovery path (HELLO, get-master-addr-by-name, sentinels,
// subscribe) and then real traffic to the data node.
func TestGoRedisFailoverClient(t *testing.T) {
	bin := requireBinary(t, "redis-server")
	dataPort := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	proc := exec.Command(bin, "--port", strconv.Itoa(dataPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = proc.Process.Kill()
		_ = proc.Wait()
	})
	data := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(dataPort)})
	t.Cleanup(func() { _ = data.Close() })
	eventually(t, "redis-server to accept connections", func() bool { return data.Ping(ctx).Err() == nil })

	ts := startServer(t, nil)
	ts.ctrl.mu.Lock()
	snap := fixtureSnapshot()
	snap.Masters[0].Addr = monitor.Addr{Host: "127.0.0.1", Port: dataPort}
	snap.Masters[0].CurrentAddr = snap.Masters[0].Addr
	ts.ctrl.snap = snap
	ts.ctrl.mu.Unlock()

	for _, proto := range []int{2, 3} {
		fc := redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:    "mymaster",
			SentinelAddrs: []string{ts.addr},
			Protocol:      proto,
		})
		if err := fc.Set(ctx, "k", "v"+strconv.Itoa(proto), 0).Err(); err != nil {
			t.Fatalf("RESP%d: SET through failover client: %v", proto, err)
		}
		if got, err := fc.Get(ctx, "k").Result(); err != nil || got != "v"+strconv.Itoa(proto) {
			t.Fatalf("RESP%d: GET = %q, %v", proto, got, err)
		}
		_ = fc.Close()
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
