package datanode

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

const testMyID = "0123456789abcdef0123456789abcdef01234567"

// pollTick is how often the real-process tests look at observable state
// (datanodetest.Eventually), where there is nothing else to synchronise on.
const pollTick = 20 * time.Millisecond

// redisProc is a redis-server started by a test through datanodetest, from
// a config file (rename-command is a config-file-only directive in Redis 7)
// with persistence off; it is killed by PID when the test ends.
type redisProc struct {
	*datanodetest.Process
	addr     monitor.Addr
	confPath string
}

// startRedis starts redis-server on a free port and waits until it answers
// PING with the given password (under PING's renamed name, if any).
func startRedis(t *testing.T, password string, extraConf ...string) *redisProc {
	t.Helper()
	return startRedisOnPort(t, 0, password, extraConf...)
}

// startRedisOnPort is startRedis on a given port (0 picks a free one).
func startRedisOnPort(t *testing.T, port int, password string, extraConf ...string) *redisProc {
	t.Helper()
	// The file is written even without extra lines: CONFIG REWRITE, which
	// the REPLICAOF transaction runs, needs one.
	conf := append([]string{"# datanode test server; datanodetest adds bind, port, dir and persistence flags"}, extraConf...)
	p := datanodetest.StartRedis(t, datanodetest.RedisOptions{
		Port:     port,
		ConfText: strings.Join(conf, "\n") + "\n",
	})
	r := &redisProc{
		Process:  p,
		addr:     monitor.Addr{Host: datanodetest.Loopback, Port: p.Port()},
		confPath: filepath.Join(p.Dir(), datanodetest.RedisConfName),
	}
	c := r.client(password)
	defer c.Close()
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Do(ctx, r.mapped(extraConf, "PING")).Err() == nil
	}, "redis-server to answer PING")
	return r
}

// mapped returns the name a command got through rename-command lines.
func (r *redisProc) mapped(conf []string, command string) string {
	for _, l := range conf {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == "rename-command" && strings.EqualFold(f[1], command) {
			return f[2]
		}
	}
	return command
}

func (r *redisProc) client(password string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: r.addr.String(), Password: password, Protocol: 2, MaxRetries: -1,
		DisableIdentity: true, ReadTimeout: -1,
	})
}

// kill stops the server now and waits until the process is gone.
func (r *redisProc) kill(t *testing.T) {
	t.Helper()
	if err := r.Kill(); err != nil {
		t.Fatalf("redis-server %s: %v", r.addr, err)
	}
}

// poolHarness runs a Pool for one test and collects what it delivers.
type poolHarness struct {
	pool   *Pool
	reg    *prometheus.Registry
	inputs chan monitor.Input
}

func startPool(t *testing.T, opts Options) *poolHarness {
	t.Helper()
	h := &poolHarness{reg: prometheus.NewRegistry(), inputs: make(chan monitor.Input, 1024)}
	ctx, cancel := context.WithCancel(context.Background())
	opts.Registerer = h.reg
	if opts.MyID == "" {
		opts.MyID = testMyID
	}
	if opts.CommandTimeout == 0 {
		opts.CommandTimeout = 2 * time.Second
	}
	opts.Deliver = func(in monitor.Input) {
		select {
		case h.inputs <- in:
		case <-ctx.Done():
		}
	}
	h.pool = New(opts)
	done := make(chan error, 1)
	go func() { done <- h.pool.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Pool.Run did not return after cancel")
		}
	})
	return h
}

// next waits for the first delivered input that matches.
func next[T monitor.Input](t *testing.T, h *poolHarness, match func(T) bool) T {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case in := <-h.inputs:
			if v, ok := in.(T); ok && (match == nil || match(v)) {
				return v
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T delivered within 10s", zero)
			return zero
		}
	}
}

// fakeServer is a loopback TCP server that answers RESP commands with a
// handler, for peers and for error replies no real server gives on demand.
type fakeServer struct {
	addr monitor.Addr

	mu   sync.Mutex
	seen [][]string // every command received, in order
}

// startFake serves handler (command args → raw RESP reply, or "" to
// stay silent) until the test ends.
func startFake(t *testing.T, handler func(args []string) string) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.addr = serveLoopback(t, func(c net.Conn) { f.serve(c, handler) })
	return f
}

// serveLoopback accepts loopback connections and runs serve on each, in a
// goroutine of its own, until the test ends: then the listener and every
// connection are closed and the goroutines waited for.
func serveLoopback(t *testing.T, serve func(net.Conn)) monitor.Addr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var connsMu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
			wg.Go(func() { serve(c) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		connsMu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		connsMu.Unlock()
		wg.Wait()
	})
	return monitor.Addr{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
}

func (f *fakeServer) serve(c net.Conn, handler func(args []string) string) {
	defer c.Close()
	rd := bufio.NewReader(c)
	for {
		args, err := readCommand(rd)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, args)
		f.mu.Unlock()
		if reply := handler(args); reply != "" {
			if _, err := io.WriteString(c, reply); err != nil {
				return
			}
		}
	}
}

func (f *fakeServer) commands() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.seen...)
}

// readCommand reads one RESP array of bulk strings, as go-redis sends.
func readCommand(rd *bufio.Reader) ([]string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("want an array, got %q", line)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 0 || n > 64 {
		return nil, errors.New("bad array length")
	}
	args := make([]string, 0, n)
	for range n {
		hdr, err := rd.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(hdr, "$")))
		if err != nil || size < 0 || size > 1<<20 {
			return nil, errors.New("bad bulk length")
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		args = append(args, string(buf[:size]))
	}
	return args, nil
}

// peerHandler answers like a sentinel that knows nothing but PING, AUTH,
// CLIENT SETNAME, PUBLISH and a fixed is-master-down-by-addr reply.
func peerHandler(sentinelReply string) func(args []string) string {
	return func(args []string) string {
		switch strings.ToUpper(args[0]) {
		case "PING":
			return "+PONG\r\n"
		case "AUTH", "CLIENT":
			return "+OK\r\n"
		case "PUBLISH":
			return ":1\r\n"
		case "SENTINEL":
			return sentinelReply
		default:
			return "-ERR unknown command '" + args[0] + "'\r\n"
		}
	}
}

// metricValue reads a counter or gauge child (testutil would need a module
// the go.sum does not carry).
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	switch {
	case out.Counter != nil:
		return out.Counter.GetValue()
	case out.Gauge != nil:
		return out.Gauge.GetValue()
	case out.Histogram != nil:
		return float64(out.Histogram.GetSampleCount())
	}
	t.Fatalf("unsupported metric %v", m.Desc())
	return 0
}

// Tests route go-redis's global logger away from stderr, as cmd does.
func TestMain(m *testing.M) {
	redis.SetLogger(GoRedisLogger(slog.New(slog.DiscardHandler)))
	os.Exit(m.Run())
}
