package pubsub

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// requireBinary finds a Redis tool (datanodetest.RequireBinary): tests
// skip without it, except under CI, and always with -short.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	return datanodetest.RequireBinary(t, name)
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

// TestRealSentinelPeer makes a stock redis-sentinel discover our server as
// a peer (through a hello published on the master it monitors) and checks
// that it talks to us the way it talks to other sentinels: it names its
// link, PUBLISHes its hellos to us (they reach Controller.Hello), and once
// the master dies asks us SENTINEL IS-MASTER-DOWN-BY-ADDR.
func TestRealSentinelPeer(t *testing.T) {
	serverBin := requireBinary(t, "redis-server")
	sentinelBin := requireBinary(t, "redis-sentinel")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	startProc := func(bin string, args ...string) *exec.Cmd {
		t.Helper()
		p := exec.Command(bin, args...)
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = p.Process.Kill()
			_ = p.Wait()
		})
		return p
	}
	masterPort := freePort(t)
	masterProc := startProc(serverBin, "--port", strconv.Itoa(masterPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")
	master := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(masterPort)})
	t.Cleanup(func() { _ = master.Close() })
	eventually(t, "redis-server to accept connections", func() bool { return master.Ping(ctx).Err() == nil })

	peerPort := freePort(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	confText := "port " + strconv.Itoa(peerPort) + "\nbind 127.0.0.1\n" +
		"sentinel monitor mymaster 127.0.0.1 " + strconv.Itoa(masterPort) + " 2\n" +
		"sentinel down-after-milliseconds mymaster 1000\n"
	if err := os.WriteFile(conf, []byte(confText), 0o600); err != nil {
		t.Fatal(err)
	}
	startProc(sentinelBin, conf)

	ts := startServer(t, nil)
	ourPort := ts.Addr().(*net.TCPAddr).Port
	ourID := "2222222222222222222222222222222222222222"
	hello := "127.0.0.1," + strconv.Itoa(ourPort) + "," + ourID + ",0,mymaster,127.0.0.1," + strconv.Itoa(masterPort) + ",0"
	// Announce ourselves on the master until the real sentinel has
	// connected to us and sent its own hello.
	var got string
	eventually(t, "a hello from the real sentinel", func() bool {
		_ = master.Publish(ctx, monitor.HelloChannel, hello).Err()
		ts.ctrl.mu.Lock()
		defer ts.ctrl.mu.Unlock()
		for _, h := range ts.ctrl.hellos {
			if strings.HasPrefix(h, "127.0.0.1,"+strconv.Itoa(peerPort)+",") {
				got = h
				return true
			}
		}
		return false
	})
	parsed, err := monitor.ParseHello(got)
	if err != nil {
		t.Fatalf("hello %q does not parse: %v", got, err)
	}
	if parsed.MasterName != "mymaster" || parsed.MasterAddr.Port != masterPort {
		t.Errorf("hello = %+v", parsed)
	}
	var names []string
	for _, c := range ts.clientList() {
		c.mu.Lock()
		names = append(names, c.name)
		c.mu.Unlock()
	}
	found := false
	for _, n := range names {
		if strings.HasPrefix(n, "sentinel-") && strings.HasSuffix(n, "-cmd") {
			found = true
		}
	}
	if !found {
		t.Errorf("no sentinel command link among clients %q", names)
	}

	// Kill the master: after down-after the real sentinel asks its peers,
	// us included, whether they agree.
	_ = masterProc.Process.Kill()
	want := "is-master-down 127.0.0.1:" + strconv.Itoa(masterPort) + " "
	eventually(t, "SENTINEL IS-MASTER-DOWN-BY-ADDR from the real sentinel", func() bool {
		for _, call := range ts.ctrl.Calls() {
			if strings.HasPrefix(call, want) {
				return true
			}
		}
		return false
	})
}
