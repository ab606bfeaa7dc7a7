package datanode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

// fakeNet models one node's network for staggeredDial: a SYN sent before
// healAt is lost (the attempt waits for its context), one sent after it
// is answered after rtt; refuseFrom, when set, makes attempts started
// from then on refused at once. ignoreCancel makes an answered attempt
// connect even when cancelled meanwhile (the race a real dialer can lose).
type fakeNet struct {
	start        time.Time
	healAt       time.Duration
	rtt          time.Duration
	refuseFrom   time.Duration
	ignoreCancel bool

	mu       sync.Mutex
	started  []time.Duration // attempt start times since start
	conns    []*trackedConn  // every connection handed out
	inFlight int
	maxIn    int
}

type trackedConn struct {
	net.Conn
	mu     sync.Mutex
	closed bool
}

func (c *trackedConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return c.Conn.Close()
}

func (c *trackedConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (f *fakeNet) dial(ctx context.Context) (net.Conn, error) {
	at := time.Since(f.start)
	f.mu.Lock()
	f.started = append(f.started, at)
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.refuseFrom > 0 && at >= f.refuseFrom {
		return nil, fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
	}
	if at < f.healAt {
		<-ctx.Done() // the SYN is lost
		return nil, fmt.Errorf("dial: %w", context.Cause(ctx))
	}
	if f.ignoreCancel {
		time.Sleep(f.rtt)
	} else {
		select {
		case <-time.After(f.rtt):
		case <-ctx.Done():
			return nil, fmt.Errorf("dial: %w", context.Cause(ctx))
		}
	}
	a, b := net.Pipe()
	_ = b.Close()
	c := &trackedConn{Conn: a}
	f.mu.Lock()
	f.conns = append(f.conns, c)
	f.mu.Unlock()
	return c, nil
}

// run dials through staggeredDial with a 1 s deadline (the dial timeout)
// and reports what it returned and when.
func (f *fakeNet) run() (net.Conn, time.Duration, error) {
	f.start = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := staggeredDial(ctx, dialStagger, maxDialAttempts, f.dial)
	return c, time.Since(f.start), err
}

// A node that answers at once costs one attempt, as before.
func TestStaggeredDial_FastNodeOneAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNet{}
		c, took, err := f.run()
		if err != nil || c == nil || took != 0 || len(f.started) != 1 {
			t.Fatalf("conn %v err %v after %v, %d attempts: want one attempt connecting at once", c, err, took, len(f.started))
		}
		_ = c.Close()
	})
}

// A partition that drops packets heals during a dial: the attempt started
// after the heal connects, within dialStagger of it, while the attempts
// whose SYNs were lost are cancelled. Before, the dial waited out its
// timeout and the link came back only with the next one.
func TestStaggeredDial_HealSeenWithinStagger(t *testing.T) {
	for _, heal := range []time.Duration{1 * time.Millisecond, 240 * time.Millisecond, 260 * time.Millisecond, 600 * time.Millisecond, 749 * time.Millisecond} {
		t.Run(heal.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeNet{healAt: heal, rtt: time.Millisecond}
				c, took, err := f.run()
				if err != nil {
					t.Fatalf("err %v, want a connection", err)
				}
				_ = c.Close()
				if took <= heal || took > heal+dialStagger+f.rtt {
					t.Fatalf("connected %v after the start, heal at %v: want within %v of it", took, heal, dialStagger+f.rtt)
				}
				if f.maxIn > maxDialAttempts {
					t.Fatalf("%d attempts at once, want at most %d", f.maxIn, maxDialAttempts)
				}
				if f.inFlight != 0 {
					t.Fatalf("%d attempts still running after the dial returned", f.inFlight)
				}
			})
		})
	}
}

// A slow link (round trip 400 ms, above dialStagger): the first attempt
// keeps its whole timeout and connects; the spare attempt started at
// 250 ms is cancelled, or, if it connected anyway, closed.
func TestStaggeredDial_SlowLinkKeepsFirstAttempt(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignoreCancel=%v", ignore), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeNet{rtt: 400 * time.Millisecond, ignoreCancel: ignore}
				c, _, err := f.run()
				if err != nil {
					t.Fatalf("err %v, want the first attempt's connection", err)
				}
				defer c.Close()
				if len(f.started) != 2 {
					t.Fatalf("attempts at %v, want 2 (0 and %v)", f.started, dialStagger)
				}
				if c != net.Conn(f.conns[0]) {
					t.Fatal("returned a spare attempt's connection, want the first")
				}
				for _, sc := range f.conns[1:] {
					if !sc.isClosed() {
						t.Fatal("a spare connection was left open")
					}
				}
				if f.conns[0].isClosed() {
					t.Fatal("the returned connection is closed")
				}
			})
		})
	}
}

// Nothing answers: at most maxDialAttempts attempts, 250 ms apart, and
// the dial ends at its deadline with a timeout.
func TestStaggeredDial_UnreachableTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNet{healAt: time.Hour}
		c, took, err := f.run()
		if c != nil || !dialTimedOut(err) || took != time.Second {
			t.Fatalf("conn %v err %v after %v, want a timeout after 1s", c, err, took)
		}
		want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond}
		if fmt.Sprint(f.started) != fmt.Sprint(want) {
			t.Fatalf("attempts at %v, want %v", f.started, want)
		}
	})
}

// An answer (refused) ends the dial at once, also while an earlier
// attempt's SYN is still unanswered.
func TestStaggeredDial_RefusedEndsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNet{healAt: time.Hour, refuseFrom: 200 * time.Millisecond}
		c, took, err := f.run()
		if c != nil || !errors.Is(err, syscall.ECONNREFUSED) || took != dialStagger {
			t.Fatalf("conn %v err %v after %v, want refused after %v", c, err, took, dialStagger)
		}
		if f.inFlight != 0 {
			t.Fatalf("%d attempts still running", f.inFlight)
		}
	})
}

// droppingNode is a pipeNode behind a partition that drops packets until
// healAt (since start): a dial before then waits for its deadline.
type droppingNode struct {
	*pipeNode
	healAt time.Duration
}

func (n *droppingNode) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if time.Since(n.start) < n.healAt {
		<-ctx.Done()
		return nil, fmt.Errorf("dial %s: %w", addr, context.Cause(ctx))
	}
	return n.pipeNode.dial(ctx, network, addr)
}

// The whole link of a peer sentinel (go-redis's pool, the backoff, the lanes) behind a cut
// that drops packets for a few seconds, PINGed as the core does: the
// first PONG after the heal comes within one stagger step of it plus the
// core's tick between a timed-out PING and the next, wherever in the dial
// cycle the heal falls. Before, a dial that started during the cut timed
// out first and the next was paced: up to about 1.35 s.
func TestPool_HealAfterDroppedPacketsSeenQuickly(t *testing.T) {
	for i := range 8 {
		heal := 5*time.Second + time.Duration(i)*137*time.Millisecond
		t.Run(heal.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				node := &droppingNode{pipeNode: &pipeNode{reply: peerReply}, healAt: heal}
				inputs := make(chan monitor.Input, 64)
				p, stop := runDroppingPool(t, node, inputs)
				defer stop()
				var pong time.Duration
				for pong == 0 && time.Since(node.start) < heal+5*time.Second {
					p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
					r := (<-inputs).(monitor.PingResult)
					if r.Kind == monitor.ReplyPong {
						pong = r.At.Sub(node.start)
						break
					}
					time.Sleep(100 * time.Millisecond) // the core's tick before its next PING
				}
				if pong < heal {
					t.Fatalf("PONG at %v, before the heal at %v", pong, heal)
				}
				if late := pong - heal; late > dialStagger+100*time.Millisecond {
					t.Fatalf("first PONG %v after the heal, want at most %v", late, dialStagger+100*time.Millisecond)
				}
			})
		})
	}
}

// peerReply answers a peer sentinel's link: OK to CLIENT SETNAME, PONG to
// PING, an error to anything else.
func peerReply(chunk []byte) []byte {
	switch {
	case bytes.Contains(chunk, []byte("SETNAME")):
		return []byte("+OK\r\n")
	case bytes.Contains(chunk, []byte("PING")):
		return []byte("+PONG\r\n")
	}
	return []byte("-ERR unknown command\r\n")
}

// runDroppingPool runs a Pool (inside the bubble) whose links go to
// node, watching the master; its PING results arrive on inputs.
func runDroppingPool(t *testing.T, node *droppingNode, inputs chan monitor.Input) (*Pool, func()) {
	p := New(Options{
		Registerer:     prometheus.NewRegistry(),
		MyID:           testMyID,
		CommandTimeout: time.Second,
		DialTimeout:    time.Second,
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
	p.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindSentinel, Master: "m"})
	return p, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		// go-redis probes a client whose dials failed from a goroutine of
		// its own (tryDial: a dial, then a 1 s pause) until it sees the
		// client closed; in the bubble's fake time, let those end first.
		time.Sleep(3 * time.Second)
		node.close()
	}
}
