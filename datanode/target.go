package datanode

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/sleep"
)

// errCommandTimeout is the cause attached to every per-command deadline, so
// a timeout in the logs names the limit that fired. It wraps
// context.DeadlineExceeded so Classify sees a timeout either way.
var errCommandTimeout = fmt.Errorf("datanode: command timeout (Options.CommandTimeout) expired: %w", context.DeadlineExceeded)

// nodeConn is the I/O of one watched instance. redisConn is the real one;
// tests substitute fakes to drive the queueing logic without sockets.
type nodeConn interface {
	ping(ctx context.Context) error
	info(ctx context.Context) (string, error)
	// localIP returns the local address of the command link, connecting
	// first if needed: it is what a hello without announce-ip carries.
	localIP(ctx context.Context) (string, error)
	publish(ctx context.Context, payload string) error
	askPeer(ctx context.Context, a monitor.AskPeer) (any, error)
	replicaOf(ctx context.Context, a monitor.ReplicaOf) error
	scriptKill(ctx context.Context) error
	// failoverTo sends FAILOVER TO <host> <port> TIMEOUT <ms> to a master.
	failoverTo(ctx context.Context, a monitor.FailoverTo) error
	// receiveHellos subscribes to the hello channel and calls handle for
	// every message until ctx is done, reopening the link when it breaks.
	// broken is called when the link breaks on the node's side (not when
	// we close or reconnect it).
	receiveHellos(ctx context.Context, handle func(payload string), broken func())
	// reconnect drops the open connections; the next command reopens them.
	// It must not block.
	reconnect(pubSubOnly bool)
	close() error
}

// target is one watched instance: its links and the two lanes that use them.
// PINGs have their own lane so that a slow INFO or a failover transaction
// never delays failure detection, and so that at most one PING is in flight.
type target struct {
	p        *Pool
	addr     monitor.Addr
	dataNode bool // masters and replicas get a pub/sub link; sentinels do not

	mu     sync.Mutex
	kind   monitor.InstanceKind
	master string

	pings      chan monitor.Ping   // capacity 1: the queued PING, if any
	commands   chan monitor.Action // capacity Options.QueueSize
	infoQueued atomic.Bool         // an Info sits in commands
	// reportedRole is the monitor.Role of the last INFO that parsed: what
	// a data node is now, which the kind it was watched as stops being
	// after a failover.
	reportedRole atomic.Uint32

	conn   nodeConn
	cancel context.CancelFunc // set under Pool.mu when started

	// The PING and command queues are drained on the Pool's workers
	// (workers.go), not by goroutines of their own.
	pingRunner, cmdRunner queueRunner
	jobsMu                sync.Mutex
	ctx                   context.Context // set under jobsMu when started
	closing               bool            // set under jobsMu: no new drain
	jobs                  sync.WaitGroup  // drains running

	report linkReport // under mu: what the core was last told (resolve.go)
	// riding holds, under mu, the hellos that go out with the next PING
	// (pinghello.go).
	riding []monitor.PublishHello
}

func newTarget(p *Pool, w monitor.Watch) *target {
	t := &target{
		p:        p,
		addr:     w.Target,
		dataNode: w.Kind != monitor.KindSentinel,
		kind:     w.Kind,
		master:   w.Master,
		pings:    make(chan monitor.Ping, 1),
		commands: make(chan monitor.Action, queueSize(p.opts.QueueSize, w.Kind)),
	}
	t.conn = p.connect(t)
	return t
}

func (t *target) update(kind monitor.InstanceKind, master string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.kind = kind
	if master != "" {
		t.master = master
	}
}

// role labels the PING histogram: "sentinel" for peers, else the role
// the node's last INFO reported, or the kind it is watched as before any.
func (t *target) role() string {
	if r := monitor.Role(t.reportedRole.Load()); t.dataNode && r != monitor.RoleUnknown {
		return r.String()
	}
	kind, _ := t.identity()
	return kind.String()
}

func (t *target) identity() (monitor.InstanceKind, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.kind, t.master
}

func (t *target) enqueuePing(a monitor.Ping) {
	select {
	case t.pings <- a:
		t.schedulePings()
	default:
		t.p.metrics.actionsDropped.WithLabelValues("ping", dropCoalesced).Inc()
	}
}

func (t *target) schedulePings() {
	t.pingRunner.schedule(t, t.pingLoop, func() bool { return len(t.pings) > 0 })
}

func (t *target) scheduleCommands() {
	t.cmdRunner.schedule(t, t.commandLoop, func() bool { return len(t.commands) > 0 })
}

func (t *target) enqueueInfo(a monitor.Info) {
	if !t.infoQueued.CompareAndSwap(false, true) {
		t.p.metrics.actionsDropped.WithLabelValues("info", dropCoalesced).Inc()
		return
	}
	if !t.tryEnqueue("info", a) {
		t.infoQueued.Store(false)
	}
}

func (t *target) enqueue(action string, a monitor.Action) { t.tryEnqueue(action, a) }

func (t *target) tryEnqueue(action string, a monitor.Action) bool {
	select {
	case t.commands <- a:
		t.scheduleCommands()
		return true
	default:
		t.p.metrics.actionsDropped.WithLabelValues(action, dropQueueFull).Inc()
		t.p.log.Warn("action dropped: queue full", "action", action, "target", t.addr.String(), "queue_size", cap(t.commands))
		return false
	}
}

// run owns the target's links. Its queues are drained on the Pool's
// workers; its only goroutine of its own (this one) reads the hello
// subscription of a data node, or just waits for ctx on a peer. As soon as
// ctx ends the links are closed, which unblocks anything still waiting on
// the network (a hello link being set up on a silent node included); run
// returns once that is done and the drains in progress have ended.
func (t *target) run(ctx context.Context) {
	t.jobsMu.Lock()
	t.ctx = ctx
	t.jobsMu.Unlock()
	closed := make(chan struct{})
	context.AfterFunc(ctx, func() {
		defer close(closed)
		t.jobsMu.Lock()
		t.closing = true
		t.jobsMu.Unlock()
		if err := t.conn.close(); err != nil {
			t.p.log.Debug("closing links", "target", t.addr.String(), "err", err)
		}
	})
	// Actions queued before the start (Watch before Run) run now.
	t.schedulePings()
	t.scheduleCommands()
	if t.dataNode {
		t.helloLoop(ctx)
	}
	<-closed
	t.jobs.Wait()
}

func (t *target) deliver(ctx context.Context, in monitor.Input) {
	if ctx.Err() != nil {
		return // shutting down or unwatched: nobody wants the result
	}
	t.p.opts.Deliver(in)
}

func (t *target) commandContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return untilDeadline(ctx, time.Now().Add(t.p.opts.CommandTimeout))
}

// untilDeadline is a command's context ending at deadline, with
// errCommandTimeout as its cause: what commandContext makes, for a caller
// that already holds the deadline (the PING drain, pingWith).
func untilDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	return context.WithDeadlineCause(ctx, deadline, errCommandTimeout)
}

// survived recovers a panic that escaped a link operation (the go-redis
// calls recover their own; this catches our bugs), counts and logs it, and
// reports whether there was one. Whatever happens on one link, the process
// and every other link go on.
func (t *target) survived(op string, r any) bool {
	if r == nil {
		return false
	}
	t.p.metrics.panics.Inc()
	t.p.log.Error("recovered panic in link goroutine", "target", t.addr.String(), "op", op, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return true
}

// helloLoop runs the hello subscription, first waiting its turn in a
// start-up burst (Pool.helloDelay), restarting it (after a pause, so
// a panic that repeats cannot spin) if it ever panics out.
func (t *target) helloLoop(ctx context.Context) {
	if !sleep.For(ctx, t.p.helloDelay(time.Now())) {
		return
	}
	for ctx.Err() == nil {
		panicked := func() (panicked bool) {
			defer func() { panicked = t.survived("hello subscription", recover()) }()
			t.conn.receiveHellos(ctx, func(payload string) { t.handleHello(ctx, payload) }, func() {
				t.deliver(ctx, monitor.LinkBroken{At: time.Now(), Target: t.addr})
			})
			return false
		}()
		if !panicked {
			return
		}
		sleep.For(ctx, DefaultReconnectMax)
	}
}

// pingLoop sends the queued PING, if any (a worker's drain, workers.go).
func (t *target) pingLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.pings:
		default:
			return // empty: the next Ping schedules a drain again
		}
		t.pingOnce(ctx)
		if ctx.Err() != nil {
			return
		}
	}
}

func (t *target) pingOnce(ctx context.Context) {
	defer func() {
		if t.survived("ping", recover()) {
			// The core waits for every PING it sent: answer with a failure.
			t.deliver(ctx, monitor.PingResult{At: time.Now(), Target: t.addr, Kind: monitor.ReplyConnErr})
		}
	}()
	riders, payloads := t.ridingPayloads(t.takeHellos())
	start := time.Now()
	err := t.pingWith(ctx, start.Add(t.p.opts.CommandTimeout), riders, payloads)
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return
	}
	kind := Classify(err)
	if kind.Connected() {
		t.p.metrics.pingDuration.WithLabelValues(t.role()).Observe(elapsed.Seconds())
	}
	if kind != monitor.ReplyPong {
		t.p.metrics.commandError(cmdPing, kind)
		t.p.log.Debug("ping failed", "target", t.addr.String(), "kind", kind.String(), "err", err)
	}
	t.deliver(ctx, monitor.PingResult{At: time.Now(), Target: t.addr, Kind: kind})
}

// commandLoop executes the queued commands in order until the queue is
// empty (a worker's drain, workers.go).
func (t *target) commandLoop(ctx context.Context) {
	for {
		var a monitor.Action
		select {
		case <-ctx.Done():
			return
		case a = <-t.commands:
		default:
			return // empty: the next command schedules a drain again
		}
		t.execute(ctx, a)
	}
}

func (t *target) execute(ctx context.Context, a monitor.Action) {
	cctx, cancel := t.commandContext(ctx)
	defer cancel()
	defer func() {
		if !t.survived(fmt.Sprintf("%T", a), recover()) {
			return
		}
		// Answer what the core waits for with a failure.
		switch a := a.(type) {
		case monitor.Info:
			t.deliver(ctx, monitor.InfoResult{At: time.Now(), Target: t.addr, Kind: monitor.ReplyConnErr})
		case monitor.AskPeer:
			t.deliver(ctx, monitor.PeerReply{At: time.Now(), Master: a.Master, Peer: a.PeerRunID, Kind: monitor.ReplyConnErr})
		}
	}()
	switch a := a.(type) {
	case monitor.Info:
		t.infoQueued.Store(false)
		t.doInfo(ctx, cctx)
	case monitor.PublishHello:
		if !t.publishQueued(ctx, cctx, a) {
			t.doPublishHello(cctx, a)
		}
	case monitor.AskPeer:
		t.doAskPeer(ctx, cctx, a)
	case monitor.ReplicaOf:
		if c, ok := t.beforeNotAfter(ctx, cctx, a.NotAfter, a.Master, a.Target); ok {
			t.doReplicaOf(c, a)
		}
	case monitor.ScriptKill:
		if err := t.conn.scriptKill(cctx); err != nil {
			t.commandFailed(cmdScriptKill, err)
		}
	case monitor.FailoverTo:
		if c, ok := t.beforeNotAfter(ctx, cctx, a.NotAfter, a.Master, a.Target); ok {
			t.doFailoverTo(ctx, c, a)
		}
	case monitor.SetFencing, monitor.ReadFencing, monitor.DropClients:
		t.doFencing(ctx, cctx, a)
	}
}

// beforeNotAfter enforces a promotion's NotAfter (set by raft mode): past
// it, the command is dropped unsent and PromotionNotSent reported so the
// core can send it again while it still has the right to; before it, the
// returned context ends at NotAfter, so a write held up on the socket is
// abandoned rather than delivered late. A zero NotAfter changes nothing.
func (t *target) beforeNotAfter(ctx, cctx context.Context, notAfter time.Time, master string, target monitor.Addr) (context.Context, bool) {
	if notAfter.IsZero() {
		return cctx, true
	}
	if !time.Now().Before(notAfter) {
		t.commandFailed(cmdReplicaOf, context.DeadlineExceeded)
		t.p.log.Warn("promotion dropped unsent: past its not-after moment", "target", t.addr.String(), "master", master,
			"late", time.Since(notAfter).String())
		t.deliver(ctx, monitor.PromotionNotSent{At: time.Now(), Target: target, Master: master})
		return nil, false
	}
	c, cancel := context.WithDeadline(cctx, notAfter)
	context.AfterFunc(cctx, cancel) // released with cctx, which execute cancels
	return c, true
}

// doFailoverTo asks the master to hand over. A refusal (an error reply:
// FAILOVER unknown, renamed away, or not possible now) is reported so the
// core can abort at once; a broken link is only counted, as for REPLICAOF:
// the promotion, or its absence, shows in INFO.
func (t *target) doFailoverTo(ctx, cctx context.Context, a monitor.FailoverTo) {
	err := t.conn.failoverTo(cctx, a)
	if err == nil {
		return
	}
	t.commandFailed(cmdFailover, err)
	var redisErr redis.Error
	if errors.As(err, &redisErr) {
		t.p.log.Warn("master refused FAILOVER", "target", t.addr.String(), "to", a.To.String(), "err", err)
		t.deliver(ctx, monitor.FailoverRefused{At: time.Now(), Target: a.Target, Master: a.Master, Reason: redisErr.Error()})
	}
}

func (t *target) commandFailed(command string, err error) {
	kind := Classify(err)
	t.p.metrics.commandError(command, kind)
	t.p.log.Debug("command failed", "command", command, "target", t.addr.String(), "kind", kind.String(), "err", err)
}

func (t *target) doInfo(ctx, cctx context.Context) {
	raw, err := t.conn.info(cctx)
	if ctx.Err() != nil {
		return
	}
	res := monitor.InfoResult{Target: t.addr, Kind: Classify(err), Raw: raw}
	if err != nil {
		t.commandFailed(cmdInfo, err)
	} else if info, perr := ParseInfo(raw); perr != nil {
		res.Kind = t.unparsable(cmdInfo, "INFO reply does not parse", "target", perr)
	} else {
		res.Info = info
		t.reportedRole.Store(uint32(info.Role))
	}
	res.At = time.Now()
	t.deliver(ctx, res)
}

func (t *target) doPublishHello(cctx context.Context, a monitor.PublishHello) {
	h := a.Hello
	// The core says what to announce (announce-ip, changed at run time by
	// SENTINEL CONFIG SET); an empty host means the local address of this
	// link, as Redis does without announce-ip.
	if h.SentinelAddr.Host == "" {
		ip, err := t.conn.localIP(cctx)
		if err != nil {
			t.commandFailed(cmdPublish, err)
			return
		}
		h.SentinelAddr.Host = ip
	}
	if err := t.conn.publish(cctx, h.String()); err != nil {
		t.commandFailed(cmdPublish, err)
	}
}

func (t *target) doAskPeer(ctx, cctx context.Context, a monitor.AskPeer) {
	if t.askQueued(ctx, cctx, a) {
		return // pipelined with the questions queued behind it (askpeers.go)
	}
	reply, err := t.conn.askPeer(cctx, a)
	if ctx.Err() != nil {
		return
	}
	t.deliver(ctx, t.peerReply(a, reply, err, time.Now()))
}

func (t *target) doReplicaOf(cctx context.Context, a monitor.ReplicaOf) {
	// Like sentinelSendSlaveOf, the replies are not acted upon: the effect is
	// verified through INFO. Failures are logged and counted.
	if err := t.conn.replicaOf(cctx, a); err != nil {
		t.commandFailed(cmdReplicaOf, err)
		to := "NO ONE"
		if !a.NoOne {
			to = a.NewMaster.Host + " " + strconv.Itoa(a.NewMaster.Port)
		}
		t.p.log.Warn("replicaof transaction failed", "target", t.addr.String(), "to", to, "err", err)
	}
}

func (t *target) handleHello(ctx context.Context, payload string) {
	h, err := monitor.ParseHello(payload)
	if err != nil {
		t.p.metrics.helloDropped.WithLabelValues(helloMalformed).Inc()
		t.p.log.Debug("hello dropped", "via", t.addr.String(), "err", err)
		return
	}
	t.deliver(ctx, monitor.HelloReceived{At: time.Now(), Via: t.addr, Hello: h})
}

// unparsable counts and logs (at debug, naming the instance under key) a
// reply to cmd that does not parse; the core is told ReplyOther.
func (t *target) unparsable(cmd, msg, key string, err error) monitor.ReplyKind {
	t.p.metrics.commandError(cmd, monitor.ReplyOther)
	t.p.log.Debug(msg, key, t.addr.String(), "err", err)
	return monitor.ReplyOther
}
