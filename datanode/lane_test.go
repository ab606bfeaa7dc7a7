package datanode

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

// pipeNode is a data node reached over net.Pipe inside a synctest bubble:
// it counts the connections dialled to it and answers what it reads with
// reply (nil: it reads everything and never answers).
type pipeNode struct {
	reply func(chunk []byte) []byte // the answer to a chunk read, nil for none

	mu      sync.Mutex
	accepts []time.Duration // since start
	start   time.Time
	conns   []net.Conn
	wg      sync.WaitGroup
}

func (n *pipeNode) dial(context.Context, string, string) (net.Conn, error) {
	client, server := net.Pipe()
	n.mu.Lock()
	n.accepts = append(n.accepts, time.Since(n.start))
	n.conns = append(n.conns, server)
	n.mu.Unlock()
	n.wg.Go(func() {
		buf := make([]byte, 4096)
		for {
			k, err := server.Read(buf)
			if err != nil {
				return
			}
			if n.reply != nil {
				if r := n.reply(buf[:k]); r != nil {
					if _, err := server.Write(r); err != nil {
						return
					}
				}
			}
		}
	})
	return client, nil
}

func (n *pipeNode) close() {
	n.mu.Lock()
	for _, c := range n.conns {
		_ = c.Close()
	}
	n.mu.Unlock()
	n.wg.Wait()
}

func (n *pipeNode) dialled() []time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]time.Duration(nil), n.accepts...)
}

// driveLikeTheCore sends a PING whenever the previous one has been
// answered, 100 ms later (the core's tick), for d, plus one INFO and one
// hello at the start; it returns the PING results.
func driveLikeTheCore(t *testing.T, p *Pool, inputs chan monitor.Input, d time.Duration) []monitor.PingResult {
	t.Helper()
	var results []monitor.PingResult
	p.Do(monitor.Info{Target: masterAddr, Master: "m"})
	p.Do(monitor.PublishHello{Target: masterAddr, Master: "m", Hello: monitor.Hello{
		SentinelAddr: monitor.Addr{Host: "10.0.0.1", Port: 26379}, RunID: testMyID, MasterName: "m", MasterAddr: masterAddr,
	}})
	start := time.Now()
	for time.Since(start) < d {
		sent := time.Now()
		p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
		for {
			in := <-inputs
			if r, ok := in.(monitor.PingResult); ok {
				if wait := r.At.Sub(sent); wait > p.opts.CommandTimeout {
					t.Fatalf("PING result after %v, command timeout %v: detection slowed", wait, p.opts.CommandTimeout)
				}
				results = append(results, r)
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return results
}

// runPipePool runs a Pool whose links go to node, inside the bubble.
func runPipePool(t *testing.T, node *pipeNode, downAfter time.Duration) (*Pool, chan monitor.Input, func()) {
	return runPipePoolWatching(t, node, time.Second, downAfter,
		monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})
}

// runPipePoolWatching runs a Pool whose links go to node, watching w; its
// PING results arrive on the returned channel. The returned func stops the
// Pool and closes node.
func runPipePoolWatching(t *testing.T, node *pipeNode, commandTimeout, downAfter time.Duration, w monitor.Watch) (*Pool, chan monitor.Input, func()) {
	inputs := make(chan monitor.Input, 64)
	p := New(Options{
		Registerer:     prometheus.NewRegistry(),
		MyID:           testMyID,
		CommandTimeout: commandTimeout,
		DialTimeout:    time.Second,
		DownAfter:      func(string) time.Duration { return downAfter },
		Deliver: func(in monitor.Input) {
			if _, ok := in.(monitor.PingResult); ok {
				inputs <- in
			}
		},
	})
	p.testDial = node.dial
	node.start = time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	p.Do(w)
	return p, inputs, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		node.close()
	}
}

// A node that accepts and never answers keeps its links, commands
// pending, as in Redis: per link one connection per pending limit (half of
// down-after, at least 15 s), not one per PING. Every PING still gets its
// "no reply" within the command timeout.
func TestPool_SilentNodeIsNotRedialledPerCommand(t *testing.T) {
	for _, tc := range []struct {
		downAfter time.Duration
		limit     time.Duration
	}{
		{30 * time.Second, 15 * time.Second},
		{5 * time.Second, 15 * time.Second},
		{60 * time.Second, 30 * time.Second},
	} {
		t.Run(tc.downAfter.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				node := &pipeNode{}
				p, inputs, stop := runPipePool(t, node, tc.downAfter)
				const window = 60 * time.Second
				results := driveLikeTheCore(t, p, inputs, window)
				stopAt := time.Now()
				stop()
				if d := time.Since(stopAt); d > time.Second {
					t.Errorf("links with commands pending took %v to close", d)
				}
				for _, r := range results {
					if r.Kind != monitor.ReplyTimeout {
						t.Fatalf("a silent node's PING got %v", r.Kind)
					}
				}
				if len(results) < int(window/(1200*time.Millisecond)) {
					t.Errorf("%d PING results in %v: the PING cadence stalled", len(results), window)
				}
				got := node.dialled()
				// Redis: the command and pub/sub links, each reopened once
				// per limit. The first INFO and hello wait behind the first
				// PING on its connection instead of opening another.
				want := 2 * (1 + int(window/tc.limit))
				if len(got) > want {
					t.Errorf("%d connections in %v (at %v), Redis's rate allows %d", len(got), window, got, want)
				}
				early := 0
				for _, at := range got {
					if at < tc.limit {
						early++
					}
				}
				if early != 2 {
					t.Errorf("%d connections before the pending limit (at %v), want 2 (command and pub/sub)", early, got)
				}
			})
		})
	}
}

// A PING answered late is not lost: the PING that timed out stays pending
// and its PONG answers the next one, on the same connection.
func TestPool_LatePongAnswersTheNextPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		node := &pipeNode{}
		node.reply = func(chunk []byte) []byte {
			var setName []byte
			if bytes.Contains(chunk, []byte("SETNAME")) {
				setName = []byte("+OK\r\n") // sent with the first PING or SUBSCRIBE
			}
			switch {
			case bytes.Contains(chunk, []byte("PING")):
				<-release
				return append(setName, "+PONG\r\n"...)
			case setName != nil:
				return setName
			case bytes.Contains(chunk, []byte("hello\r\n$1\r\n2")):
				return []byte("-ERR unknown command 'HELLO'\r\n") // Redis 5
			}
			return nil // SUBSCRIBE: silence
		}
		p, inputs, stop := runPipePool(t, node, 30*time.Second)
		defer stop()
		p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
		if r := (<-inputs).(monitor.PingResult); r.Kind != monitor.ReplyTimeout {
			t.Fatalf("first PING = %v, want timeout", r.Kind)
		}
		time.Sleep(500 * time.Millisecond)
		close(release)
		p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
		if r := (<-inputs).(monitor.PingResult); r.Kind != monitor.ReplyPong {
			t.Fatalf("second PING = %v, want the late PONG (connections at %v)", r.Kind, node.dialled())
		}
		if n := len(node.dialled()); n > 2 {
			t.Errorf("%d connections, want the command link and the pub/sub link only", n)
		}
	})
}

// lane.run: one pending call per lane; a late reply answers the next
// late call only.
func TestLane_PendingCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		start := func(fn callFunc, late bool) *call {
			c := &call{late: late, done: make(chan struct{})}
			wg.Go(func() {
				defer close(c.done)
				c.val, c.err = fn(context.Background())
			})
			return c
		}
		errTimeout := errors.New("caller gave up")
		within := func(d time.Duration) (context.Context, context.CancelFunc) {
			return context.WithTimeoutCause(context.Background(), d, errTimeout)
		}
		l := newLane()
		var nStarted atomic.Int32
		slow := func(d time.Duration, v string) callFunc {
			return func(context.Context) (any, error) {
				nStarted.Add(1)
				time.Sleep(d)
				return v, nil
			}
		}

		ctx, cancel := within(time.Second)
		if _, err := l.run(ctx, start, slow(3*time.Second, "late"), true); !errors.Is(err, errTimeout) {
			t.Fatalf("slow call = %v, want the caller's timeout", err)
		}
		cancel()
		// Still pending: the next caller waits and is not sent.
		ctx, cancel = within(time.Second)
		if _, err := l.run(ctx, start, slow(0, "second"), true); !errors.Is(err, errTimeout) || nStarted.Load() != 1 {
			t.Fatalf("call behind a pending one = %v (started %d), want a timeout and nothing sent", err, nStarted.Load())
		}
		cancel()
		// The pending call ends within this caller's wait: its reply is
		// this caller's answer, and nothing new is sent.
		ctx, cancel = within(2 * time.Second)
		if v, err := l.run(ctx, start, slow(0, "third"), true); err != nil || v != "late" || nStarted.Load() != 1 {
			t.Fatalf("call after a late reply = %v, %v (started %d), want the late reply", v, err, nStarted.Load())
		}
		cancel()

		// A late reply is not the answer of a call that is not late.
		ctx, cancel = within(time.Second)
		_, _ = l.run(ctx, start, slow(1500*time.Millisecond, "late"), true)
		cancel()
		ctx, cancel = within(2 * time.Second)
		if v, err := l.run(ctx, start, slow(0, "info"), false); err != nil || v != "info" || nStarted.Load() != 3 {
			t.Fatalf("command after a late PING = %v, %v (started %d), want its own reply", v, err, nStarted.Load())
		}
		cancel()
	})
}
