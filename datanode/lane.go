package datanode

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// Pending commands. Redis pipelines every command of an instanceLink on
// one connection and never times a single command out: a node that
// accepts and then says nothing keeps its link, commands pending, until a
// PING has been pending for more than half of down-after (and the link is
// older than min-link-reconnect-period). Closing the connection at every
// command deadline instead would redial a silent node at the PING rate.
//
// So a command runs on a goroutine apart (a worker) under a long deadline, the
// pending limit, while its caller waits only Options.CommandTimeout: the
// core hears "no reply" on time (a timeout, as before) and the command
// stays pending on its connection, where a late reply is still read. Only
// when the pending limit passes does go-redis give the connection up, and
// dropIfBroken replaces the client, so the next command redials.
//
// Each lane (PING; everything else) has at most one command pending,
// which is also what keeps go-redis's pool at its one connection: while
// it is pending, the lane's next command waits for it within its own
// deadline and is not sent if it does not end. A data node's PINGs keep
// the same rules on a link of their own (probelink.go); a peer's share
// its one connection with its other commands.

// DefaultPendingLimit is the shortest time a command may stay pending on a
// silent link before the link is closed: Redis's default
// min-link-reconnect-period, which is also half its default down-after.
const DefaultPendingLimit = 15 * time.Second

// call is one command running on a lane.
type call struct {
	late bool // its reply may answer a later call that is late too (PING)
	done chan struct{}
	val  any   // set before done is closed
	err  error // set before done is closed
}

// callFunc is a command run on a lane: its reply and error.
type callFunc func(ctx context.Context) (any, error)

// lane runs the commands of one go-redis connection one at a time.
type lane struct {
	turn chan struct{} // one caller at a time

	mu  sync.Mutex
	cur *call // the pending call, if any
}

func newLane() *lane {
	return &lane{turn: make(chan struct{}, 1)}
}

// pending returns the call still running on the lane, if any.
func (l *lane) pending() *call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

func (l *lane) setPending(c *call) {
	l.mu.Lock()
	l.cur = c
	l.mu.Unlock()
}

// run runs fn on the lane through start and waits for it until ctx ends.
// A call still pending from an earlier caller is waited for first; if it
// ends in time, its reply is this caller's when both are late calls (PING:
// any answer proves the node alive, as the reply to an old PING does in
// Redis) and the node answered; otherwise a new call starts. When ctx ends
// first the error is context.Cause(ctx) (a timeout) and the call stays
// pending.
func (l *lane) run(ctx context.Context, start func(callFunc, bool) *call, fn callFunc, late bool) (any, error) {
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { <-l.turn }()
	if p := l.pending(); p != nil {
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, context.Cause(ctx) // still pending: nothing more is sent
		}
		l.setPending(nil)
		if late && p.late && Classify(p.err).Connected() {
			return p.val, p.err
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
	}
	c := start(fn, late)
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		l.setPending(c)
		return nil, context.Cause(ctx)
	}
}

// pendingLimit is how long a command may wait for its reply on this link:
// half of the master's down-after, as Redis closes a link whose PING has
// been pending that long, and never less than DefaultPendingLimit (Redis's
// min-link-reconnect-period) or the command timeout.
func (c *redisConn) pendingLimit() time.Duration {
	limit := max(DefaultPendingLimit, c.p.opts.CommandTimeout)
	if c.p.opts.DownAfter != nil {
		_, master := c.t.identity()
		limit = max(limit, c.p.opts.DownAfter(master)/2)
	}
	return limit
}

// startCall runs fn on one of the Pool's workers (workers.go), counted in
// the link's calls, under the pending limit; closing the link cancels it.
func (c *redisConn) startCall(fn callFunc, late bool) *call {
	cl := &call{late: late, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cl.err = errLinkClosed
		close(cl.done)
		return cl
	}
	c.calls.Add(1)
	c.mu.Unlock()
	c.p.workers.run(func() {
		defer c.calls.Done()
		defer close(cl.done)
		ctx, cancel := context.WithTimeoutCause(c.life, c.pendingLimit(), errPendingLimit)
		defer cancel()
		cl.val, cl.err = fn(ctx)
	})
	return cl
}

// onPingLane runs a PING.
func (c *redisConn) onPingLane(ctx context.Context, fn callFunc) (any, error) {
	return c.pingLane.run(ctx, c.startCall, fn, true)
}

// onCmdLane runs any other command. Until the command client has had a
// reply, its commands queue on the PING lane's connection, as every
// command of a fresh link does in Redis: a node that accepts and never
// answers gets one connection per link, not one per lane.
func (c *redisConn) onCmdLane(ctx context.Context, fn callFunc) (any, error) {
	c.mu.Lock()
	proven := c.proven == c.cmd
	c.mu.Unlock()
	l := c.cmdLane
	switch {
	case proven:
	case c.probe != nil:
		// A data node's PINGs go over the probe link: the command client
		// opens its connection once the node has answered there. Once it
		// has had a reply of its own it goes on whatever happens to the
		// probe link (a CLIENT KILL, a refused redial).
		if err := c.probe.waitProven(ctx); err != nil {
			return nil, err
		}
	default:
		l = c.pingLane
	}
	return l.run(ctx, c.startCall, fn, false)
}

// onCmdLaneErr is onCmdLane for a command with no reply to return.
func (c *redisConn) onCmdLaneErr(ctx context.Context, fn func(ctx context.Context) error) error {
	_, err := c.onCmdLane(ctx, func(ctx context.Context) (any, error) { return nil, fn(ctx) })
	return err
}

// sendOnCmdLane sends one command on the command lane and returns only
// its error.
func (c *redisConn) sendOnCmdLane(ctx context.Context, args ...any) error {
	return c.onCmdLaneErr(ctx, func(ctx context.Context) error { return c.do(ctx, args...).Err() })
}

// pubSubGiveUp says whether a subscription silent for `silent`, opened
// `age` ago, is given up: like Redis's pub/sub link, after three silent
// periods and only once the link is older than the pending limit, so a
// node that accepts and never answers keeps this link as long as the
// command link.
func (c *redisConn) pubSubGiveUp(age, silent time.Duration) bool {
	return silent >= 3*c.p.opts.PubSubIdle && age >= c.pendingLimit()
}

// errPendingLimit is the cause of the deadline of a pending command; it
// wraps context.DeadlineExceeded so Classify sees a timeout.
var errPendingLimit = fmt.Errorf("datanode: no reply within the pending limit (half of down-after), closing the link: %w", context.DeadlineExceeded)

// dial opens a connection for a link: the test hook when set, else the
// system dialer through Options.LookupHost.
func (p *Pool) dial(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	if p.testDial != nil {
		return p.testDial(ctx, network, addr)
	}
	return dialHost(ctx, d, p.opts.LookupHost, network, addr)
}
