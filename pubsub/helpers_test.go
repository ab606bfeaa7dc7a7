package pubsub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/glob"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
	"github.com/sentinelgo/sentinel/settings"
)

// fakeController serves a fixture snapshot and records the calls it gets.
type fakeController struct {
	mu       sync.Mutex
	snap     *monitor.Snapshot
	calls    []string
	hellos   []string
	monitors []monitor.MasterConfig
	sets     [][]monitor.Setting
	config   []monitor.Setting
	shutdown func()
	err      error // returned by the mutating calls when set
}

func newFakeController() *fakeController {
	return &fakeController{
		snap: fixtureSnapshot(),
		config: []monitor.Setting{
			{Name: "resolve-hostnames", Value: "no"}, {Name: "announce-hostnames", Value: "no"},
			{Name: "announce-ip", Value: ""}, {Name: "announce-port", Value: "0"},
			{Name: "sentinel-user", Value: ""}, {Name: "sentinel-pass", Value: ""},
		},
	}
}

// fixtureSnapshot is one master with two replicas (one hidden) and one
// other sentinel, at a fixed instant.
func fixtureSnapshot() *monitor.Snapshot {
	at := goldenAt
	return &monitor.Snapshot{
		At:   at,
		MyID: "0dbc6b01093fd9b696051ff693c897ad0924d24d",
		Masters: []monitor.MasterView{{
			InstanceView: monitor.InstanceView{
				Name: "mymaster", Addr: monitor.Addr{Host: "127.0.0.1", Port: 16380},
				RunID: "aadd102a69cf33b432d1505d30f2f741f1d3d9b7", Flags: monitor.FlagMaster, LinkRefcount: 1,
				LastOKPing: at.Add(-100 * time.Millisecond), LastPingRply: at.Add(-100 * time.Millisecond),
				DownAfterPeriod: 5 * time.Second, InfoRefresh: at.Add(-time.Second), RoleReported: monitor.RoleMaster,
				RoleReportedTime: at.Add(-time.Minute), InfoCache: "# Server\r\nrun_id:aadd\r\n",
			},
			ConfigEpoch: 3,
			CurrentAddr: monitor.Addr{Host: "127.0.0.1", Port: 16380},
			Replicas: []monitor.ReplicaView{
				{
					InstanceView: monitor.InstanceView{Name: "127.0.0.1:16381", Addr: monitor.Addr{Host: "127.0.0.1", Port: 16381}, Flags: monitor.FlagReplica, RoleReported: monitor.RoleReplica},
					MasterLinkUp: true, MasterHost: "127.0.0.1", MasterPort: 16380, Priority: 100, ReplOffset: 1234, Announced: true,
				},
				{
					InstanceView: monitor.InstanceView{Name: "127.0.0.1:16382", Addr: monitor.Addr{Host: "127.0.0.1", Port: 16382}, Flags: monitor.FlagReplica},
					Priority:     100, Announced: false,
				},
			},
			Sentinels: []monitor.SentinelView{{
				InstanceView: monitor.InstanceView{Name: "7fd9760d79ee50de3887b8e31edb3be6be5e3645", RunID: "7fd9760d79ee50de3887b8e31edb3be6be5e3645", Addr: monitor.Addr{Host: "127.0.0.1", Port: 16391}, Flags: monitor.FlagSentinel},
			}},
			MasterSettings: settings.MasterSettings{Quorum: 2, FailoverTimeout: 3 * time.Minute, ParallelSyncs: 1},
		}},
	}
}

func (f *fakeController) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.err
}

func (f *fakeController) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeController) Snapshot() *monitor.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeController) Monitor(_ context.Context, m monitor.MasterConfig) error {
	f.mu.Lock()
	f.monitors = append(f.monitors, m)
	f.mu.Unlock()
	return f.record("monitor " + m.Name)
}
func (f *fakeController) Remove(_ context.Context, name string) error {
	return f.record("remove " + name)
}
func (f *fakeController) Set(_ context.Context, name string, s []monitor.Setting) error {
	f.mu.Lock()
	f.sets = append(f.sets, s)
	f.mu.Unlock()
	return f.record("set " + name)
}
func (f *fakeController) Reset(_ context.Context, pattern string) (int, error) {
	n := 0
	for _, m := range f.Snapshot().Masters {
		if glob.Match(pattern, m.Name) {
			n++
		}
	}
	return n, f.record("reset " + pattern)
}
func (f *fakeController) Failover(_ context.Context, name string, coordinated bool) error {
	if coordinated {
		return f.record("failover " + name + " coordinated")
	}
	return f.record("failover " + name)
}
func (f *fakeController) CKQuorum(_ context.Context, name string) (int, error) {
	return 2, f.record("ckquorum " + name)
}
func (f *fakeController) IsMasterDownByAddr(_ context.Context, req monitor.IsMasterDownRequest) (monitor.IsMasterDownReply, error) {
	if err := f.record("is-master-down " + req.Addr.String() + " " + req.RunID); err != nil {
		return monitor.IsMasterDownReply{}, err
	}
	if req.RunID == "*" {
		return monitor.IsMasterDownReply{Down: true}, nil
	}
	return monitor.IsMasterDownReply{Down: true, Leader: req.RunID, LeaderEpoch: req.CurrentEpoch}, nil
}
func (f *fakeController) FlushConfig(context.Context) error { return f.record("flushconfig") }
func (f *fakeController) ConfigGet(_ context.Context, pattern string) ([]monitor.Setting, error) {
	var out []monitor.Setting
	for _, s := range f.config {
		if glob.Match(pattern, s.Name) {
			out = append(out, s)
		}
	}
	return out, f.record("config-get " + pattern)
}
func (f *fakeController) ConfigSet(_ context.Context, s []monitor.Setting) error {
	return f.record("config-set " + s[0].Name)
}
func (f *fakeController) Debug(_ context.Context, s []monitor.Setting) ([]monitor.Setting, error) {
	return []monitor.Setting{{Name: "info-period", Value: "10000"}, {Name: "ping-period", Value: "1000"}}, f.record("debug")
}
func (f *fakeController) Hello(_ context.Context, payload string) error {
	f.mu.Lock()
	f.hellos = append(f.hellos, payload)
	f.mu.Unlock()
	return f.record("hello")
}
func (f *fakeController) Shutdown(context.Context) error {
	f.mu.Lock()
	fn := f.shutdown
	f.mu.Unlock()
	if fn != nil {
		fn()
	}
	return f.record("shutdown")
}

// testServer runs a Server on a free loopback port until the test ends.
type testServer struct {
	*Server
	ctrl *fakeController
	reg  *prometheus.Registry
	addr string
}

func startServer(t testing.TB, mutate func(*Options)) *testServer {
	t.Helper()
	ctrl := newFakeController()
	reg := prometheus.NewRegistry()
	opts := Options{
		Addrs:      []string{"127.0.0.1:0"},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Controller: ctrl,
		Registerer: reg,
		RunID:      "1111111111111111111111111111111111111111",
		Version:    "test",
	}
	if mutate != nil {
		mutate(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return &testServer{Server: srv, ctrl: ctrl, reg: reg, addr: srv.Addr().String()}
}

// rawConn is a minimal RESP client for byte-exact tests.
type rawConn struct {
	t    testing.TB
	conn net.Conn
	vr   *resp.ValueReader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &rawConn{t: t, conn: conn, vr: resp.NewValueReader(conn, resp.Limits{MaxBulkLen: 64 << 20})}
}

// ioTimeout bounds every raw read and write, so a broken server fails the
// test instead of hanging it (generous: CI machines can be slow).
const ioTimeout = 30 * time.Second

func (r *rawConn) send(s string) {
	r.t.Helper()
	_ = r.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(r.conn, s); err != nil {
		r.t.Fatal(err)
	}
}

// do sends a command as a multi-bulk array and reads one reply.
func (r *rawConn) do(args ...string) resp.Value {
	r.t.Helper()
	r.send(encode(args...))
	return r.read()
}

func (r *rawConn) read() resp.Value {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	v, err := r.vr.ReadValue()
	if err != nil {
		r.t.Fatalf("read reply: %v", err)
	}
	return v
}

// readExact reads exactly n raw bytes (for byte-exact comparisons).
func (r *rawConn) readExact(n int) []byte {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	buf := make([]byte, n)
	if _, err := io.ReadFull(r.conn, buf); err != nil {
		r.t.Fatalf("read %d bytes: %v", n, err)
	}
	return buf
}

// expectClosed asserts the server closed the connection.
func (r *rawConn) expectClosed() {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	v, err := r.vr.ReadValue()
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
		r.t.Fatalf("connection still open: read %+v, %v", v, err)
	}
}

func encode(args ...string) string {
	var b strings.Builder
	b.WriteString("*" + itoa(len(args)) + "\r\n")
	for _, a := range args {
		b.WriteString("$" + itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	return b.String()
}

func errText(t testing.TB, v resp.Value) string {
	t.Helper()
	if v.Kind != resp.KindError {
		t.Fatalf("reply is %v %+v, want an error", v.Kind, v)
	}
	return v.Str
}

// eventually polls cond until it holds or the deadline passes (for state
// that other goroutines change, never as a sleep).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// metricValue reads an unlabelled counter or gauge from the test registry.
func (ts *testServer) metricValue(t testing.TB, name string) float64 {
	t.Helper()
	families, err := ts.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}
