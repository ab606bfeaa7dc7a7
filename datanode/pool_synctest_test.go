package datanode

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

// fakeConn is a nodeConn driven by channels, so the queueing and lifecycle
// logic runs inside a synctest bubble without sockets.
type fakeConn struct {
	pingRelease chan error
	infoRelease chan string
	hellos      chan string
	askReply    any
	ip          string

	inFlight, maxInFlight atomic.Int32
	closed                atomic.Bool
	reconnects            atomic.Int32

	mu         sync.Mutex
	published  []string
	killed     int
	promotions []fakePromotion
}

// fakePromotion records a ReplicaOf or FailoverTo that reached the node,
// with its context's deadline.
type fakePromotion struct {
	action   monitor.Action
	deadline time.Time
}

func (f *fakeConn) promoted(ctx context.Context, a monitor.Action) {
	deadline, _ := ctx.Deadline()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.promotions = append(f.promotions, fakePromotion{a, deadline})
}

func newFakeConn() *fakeConn {
	return &fakeConn{
		pingRelease: make(chan error),
		infoRelease: make(chan string),
		hellos:      make(chan string),
		ip:          "10.9.8.7",
	}
}

func (f *fakeConn) ping(ctx context.Context) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case err := <-f.pingRelease:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (f *fakeConn) info(ctx context.Context) (string, error) {
	select {
	case s := <-f.infoRelease:
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (f *fakeConn) localIP(context.Context) (string, error) { return f.ip, nil }

func (f *fakeConn) publish(_ context.Context, payload string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, payload)
	return nil
}

func (f *fakeConn) askPeer(context.Context, monitor.AskPeer) (any, error) { return f.askReply, nil }

func (f *fakeConn) replicaOf(ctx context.Context, a monitor.ReplicaOf) error {
	f.promoted(ctx, a)
	return nil
}

func (f *fakeConn) failoverTo(ctx context.Context, a monitor.FailoverTo) error {
	f.promoted(ctx, a)
	return nil
}

func (f *fakeConn) scriptKill(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.killed++
	return nil
}

func (f *fakeConn) receiveHellos(ctx context.Context, handle func(string), broken func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case h := <-f.hellos:
			handle(h)
		}
	}
}

func (f *fakeConn) reconnect(bool) { f.reconnects.Add(1) }

func (f *fakeConn) close() error {
	f.closed.Store(true)
	return nil
}

// fakePool is a Pool whose every target talks to one fakeConn, run by the
// test's bubble.
type fakePool struct {
	*Pool
	conn   *fakeConn
	inputs chan monitor.Input
	cancel context.CancelFunc
	done   chan error
}

func newFakePool(t *testing.T, opts Options) *fakePool {
	fp := &fakePool{conn: newFakeConn(), inputs: make(chan monitor.Input, 64), done: make(chan error, 1)}
	opts.Registerer = prometheus.NewRegistry()
	opts.Deliver = func(in monitor.Input) { fp.inputs <- in }
	fp.Pool = New(opts)
	fp.Pool.connect = func(*target) nodeConn { return fp.conn }
	return fp
}

func (fp *fakePool) start() {
	ctx, cancel := context.WithCancel(context.Background())
	fp.cancel = cancel
	go func() { fp.done <- fp.Run(ctx) }()
}

func (fp *fakePool) stop(t *testing.T) {
	t.Helper()
	fp.cancel()
	if err := <-fp.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

var (
	masterAddr = monitor.Addr{Host: "10.0.0.1", Port: 6379}
	peerAddr   = monitor.Addr{Host: "10.0.0.9", Port: 26379}
)

func TestPool_OnePingInFlightAndCoalescing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fp := newFakePool(t, Options{})
		fp.start()
		fp.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})
		fp.Do(monitor.Ping{Target: masterAddr})
		synctest.Wait() // the first PING is on the wire
		fp.Do(monitor.Ping{Target: masterAddr})
		fp.Do(monitor.Ping{Target: masterAddr}) // coalesces into the queued one
		fp.Do(monitor.Ping{Target: masterAddr})

		fp.conn.pingRelease <- nil
		if got := (<-fp.inputs).(monitor.PingResult); got.Kind != monitor.ReplyPong || got.Target != masterAddr {
			t.Errorf("first result = %+v", got)
		}
		fp.conn.pingRelease <- io.EOF
		if got := (<-fp.inputs).(monitor.PingResult); got.Kind != monitor.ReplyConnErr {
			t.Errorf("second result = %+v, want connerr", got)
		}
		synctest.Wait()
		if len(fp.inputs) != 0 {
			t.Errorf("%d extra results; coalesced PINGs must not run", len(fp.inputs))
		}
		if m := fp.conn.maxInFlight.Load(); m != 1 {
			t.Errorf("max PINGs in flight = %d, want 1", m)
		}
		if n := metricValue(t, fp.metrics.actionsDropped.WithLabelValues("ping", dropCoalesced)); n != 2 {
			t.Errorf("coalesced pings = %v, want 2", n)
		}
		if n := metricValue(t, fp.metrics.pingDuration.WithLabelValues("master").(prometheus.Metric)); n != 1 {
			t.Errorf("ping duration samples = %v, want 1 (the connection error has no round trip)", n)
		}
		fp.stop(t)
		if !fp.conn.closed.Load() {
			t.Error("links not closed after Run returned")
		}
	})
}

func TestPool_PingDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fp := newFakePool(t, Options{CommandTimeout: 700 * time.Millisecond})
		fp.start()
		fp.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})
		start := time.Now()
		fp.Do(monitor.Ping{Target: masterAddr})
		got := (<-fp.inputs).(monitor.PingResult)
		if got.Kind != monitor.ReplyTimeout {
			t.Errorf("unanswered PING = %v, want timeout", got.Kind)
		}
		if d := got.At.Sub(start); d != 700*time.Millisecond {
			t.Errorf("timeout fired after %v, want the 700ms CommandTimeout", d)
		}
		fp.stop(t)
	})
}

func TestPool_InfoCoalescingQueueOverflowAndParse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fp := newFakePool(t, Options{QueueSize: 2})
		fp.start()
		fp.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})
		fp.Do(monitor.Info{Target: masterAddr})
		// The first INFO is in flight.
		synctest.Wait()
		fp.Do(monitor.Info{Target: masterAddr})                                                  // queued (1/2)
		fp.Do(monitor.Info{Target: masterAddr})                                                  // coalesced
		fp.Do(monitor.ScriptKill{Target: masterAddr})                                            // queued (2/2)
		fp.Do(monitor.PublishHello{Target: masterAddr, Hello: monitor.Hello{RunID: "overflow"}}) // dropped

		fp.conn.infoRelease <- "PONG"
		got := (<-fp.inputs).(monitor.InfoResult)
		if got.Kind != monitor.ReplyOther || got.Raw != "PONG" {
			t.Errorf("unparsable INFO = %v raw %q, want other with the raw text kept", got.Kind, got.Raw)
		}
		fp.conn.infoRelease <- "# Replication\r\nrole:slave\r\nmaster_port:6380\r\n"
		got = (<-fp.inputs).(monitor.InfoResult)
		if got.Kind != monitor.ReplyPong || got.Info.Role != monitor.RoleReplica || got.Info.MasterPort != 6380 {
			t.Errorf("INFO = %+v", got)
		}
		synctest.Wait()
		fp.conn.mu.Lock()
		killed, published := fp.conn.killed, len(fp.conn.published)
		fp.conn.mu.Unlock()
		if killed != 1 || published != 0 {
			t.Errorf("script kills %d, publishes %d; want 1 and 0 (the publish overflowed)", killed, published)
		}
		if n := metricValue(t, fp.metrics.actionsDropped.WithLabelValues("info", dropCoalesced)); n != 1 {
			t.Errorf("coalesced infos = %v, want 1", n)
		}
		if n := metricValue(t, fp.metrics.actionsDropped.WithLabelValues("publish-hello", dropQueueFull)); n != 1 {
			t.Errorf("overflowed publishes = %v, want 1", n)
		}
		// The queue drained, so another Info is accepted again.
		fp.Do(monitor.Info{Target: masterAddr})
		fp.conn.infoRelease <- "role:master\n"
		if got := (<-fp.inputs).(monitor.InfoResult); got.Info.Role != monitor.RoleMaster {
			t.Errorf("INFO after drain = %+v", got)
		}
		fp.stop(t)
	})
}

func TestPool_HelloDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fp := newFakePool(t, Options{})
		fp.start()
		fp.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindReplica, Master: "m"})
		valid := monitor.Hello{
			SentinelAddr: monitor.Addr{Host: "10.0.0.5", Port: 26379}, RunID: strings.Repeat("d", 40),
			CurrentEpoch: 1, MasterName: "m", MasterAddr: masterAddr, MasterConfigEpoch: 1,
		}
		fp.conn.hellos <- "garbage"
		fp.conn.hellos <- "10.0.0.5,26379,short-runid,1,m,10.0.0.1,6379,1"
		fp.conn.hellos <- valid.String()
		got := (<-fp.inputs).(monitor.HelloReceived)
		if got.Via != masterAddr || got.Hello != valid {
			t.Errorf("HelloReceived = %+v", got)
		}
		synctest.Wait()
		if len(fp.inputs) != 0 {
			t.Errorf("garbage hellos were delivered")
		}
		if n := metricValue(t, fp.metrics.helloDropped.WithLabelValues(helloMalformed)); n != 2 {
			t.Errorf("dropped hellos = %v, want 2", n)
		}
		fp.stop(t)
	})
}

func TestPool_PublishHelloAddress(t *testing.T) {
	base := monitor.Hello{SentinelAddr: monitor.Addr{Port: 26379}, RunID: strings.Repeat("e", 40), MasterName: "m", MasterAddr: masterAddr}
	explicit := base
	explicit.SentinelAddr.Host = "203.0.113.1"
	tests := []struct {
		name     string
		hello    monitor.Hello
		wantHost string
	}{
		{"local address of the link", base, "10.9.8.7"},
		{"host set by the core (announce-ip)", explicit, "203.0.113.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fp := newFakePool(t, Options{})
				fp.start()
				fp.Do(monitor.Watch{Target: peerAddr, Kind: monitor.KindSentinel, Master: "m"})
				fp.Do(monitor.PublishHello{Target: peerAddr, Master: "m", Hello: tc.hello})
				synctest.Wait()
				want := tc.hello
				want.SentinelAddr.Host = tc.wantHost
				fp.conn.mu.Lock()
				got := append([]string(nil), fp.conn.published...)
				fp.conn.mu.Unlock()
				if len(got) != 1 || got[0] != want.String() {
					t.Errorf("published %q, want [%q]", got, want.String())
				}
				fp.stop(t)
			})
		})
	}
}

func TestPool_AskPeerReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply any
		want  monitor.PeerReply
	}{
		{"vote", []any{int64(1), "abc", int64(9)}, monitor.PeerReply{Kind: monitor.ReplyPong, Down: true, LeaderRunID: "abc", LeaderEpoch: 9}},
		{"malformed", []any{int64(1), "abc"}, monitor.PeerReply{Kind: monitor.ReplyOther}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fp := newFakePool(t, Options{})
				fp.conn.askReply = tc.reply
				fp.start()
				fp.Do(monitor.Watch{Target: peerAddr, Kind: monitor.KindSentinel, Master: "m"})
				fp.Do(monitor.AskPeer{Peer: peerAddr, PeerRunID: "peer", Master: "m", MasterAddr: masterAddr, RunID: "*"})
				got := (<-fp.inputs).(monitor.PeerReply)
				want := tc.want
				want.At, want.Master, want.Peer = got.At, "m", "peer"
				if got != want {
					t.Errorf("PeerReply = %+v, want %+v", got, want)
				}
				fp.stop(t)
			})
		})
	}
}

func TestPool_Lifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fp := newFakePool(t, Options{})
		// Actions before Run wait for it.
		fp.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})
		fp.Do(monitor.Ping{Target: masterAddr})
		fp.Do(monitor.FlushConfig{}) // not ours: ignored
		fp.start()
		fp.conn.pingRelease <- nil
		if got := (<-fp.inputs).(monitor.PingResult); got.Kind != monitor.ReplyPong {
			t.Errorf("PING queued before Run = %+v", got)
		}
		if err := fp.Run(context.Background()); !errors.Is(err, ErrAlreadyRun) {
			t.Errorf("second Run = %v, want ErrAlreadyRun", err)
		}

		// Reconnect reaches the link; Unwatch closes it and stops its goroutines.
		fp.Do(monitor.Reconnect{Target: masterAddr, PubSub: true})
		if n := fp.conn.reconnects.Load(); n != 1 {
			t.Errorf("reconnects = %d, want 1", n)
		}
		if n := metricValue(t, fp.metrics.targets); n != 1 {
			t.Errorf("targets = %v, want 1", n)
		}
		fp.Do(monitor.Unwatch{Target: masterAddr})
		synctest.Wait()
		if !fp.conn.closed.Load() {
			t.Error("Unwatch did not close the links")
		}
		if n := metricValue(t, fp.metrics.targets); n != 0 {
			t.Errorf("targets after Unwatch = %v, want 0", n)
		}
		fp.Do(monitor.Ping{Target: masterAddr})
		if n := metricValue(t, fp.metrics.actionsDropped.WithLabelValues("ping", dropUnwatched)); n != 1 {
			t.Errorf("pings to an unwatched target dropped = %v, want 1", n)
		}

		fp.stop(t)
		fp.Do(monitor.Watch{Target: peerAddr, Kind: monitor.KindSentinel})
		if n := metricValue(t, fp.metrics.actionsDropped.WithLabelValues("watch", dropStopped)); n != 1 {
			t.Errorf("watch after stop dropped = %v, want 1", n)
		}
	})
}

// BenchmarkPoolDo measures the cost Do adds to the supervisor's owner loop
// for the most frequent action: a PING that coalesces into a queued one.
func BenchmarkPoolDo(b *testing.B) {
	p := New(Options{Registerer: prometheus.NewRegistry()})
	p.connect = func(*target) nodeConn { return newFakeConn() }
	p.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})
	ping := monitor.Ping{Target: masterAddr, Master: "m"}
	b.ReportAllocs()
	for b.Loop() {
		p.Do(ping)
	}
}
