package datanode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

// Defaults for zero Options fields.
const (
	DefaultDialTimeout    = time.Second
	DefaultCommandTimeout = time.Second
	DefaultQueueSize      = 32
	DefaultPubSubIdle     = 5 * time.Second
)

// Options configures a Pool. Only Deliver is required.
type Options struct {
	// Logger receives link-level logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the package's metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// MyID is this sentinel's run id; its first 8 characters name our
	// connections on the data nodes (sentinel-<id8>-cmd / -pubsub), as Redis
	// does, so operators can tell them apart in CLIENT LIST.
	MyID string
	// DialTimeout bounds connection set-up (TCP, TLS, AUTH, CLIENT SETNAME).
	DialTimeout time.Duration
	// CommandTimeout is how long a command is waited for before the core
	// hears a timeout. The command itself stays pending on its link (a
	// late reply is still read) until the pending limit: half of
	// DownAfter, at least DefaultPendingLimit; then the link is redialled.
	CommandTimeout time.Duration
	// DownAfter returns down-after-milliseconds of a master (it sets the
	// pending limit of the links to its data nodes and sentinels); nil or
	// zero means DefaultPendingLimit.
	DownAfter func(master string) time.Duration
	// Credentials returns auth-user/auth-pass for the data nodes of a
	// master; nil or an empty password means no AUTH.
	Credentials func(master string) (user, pass string)
	// PeerCredentials returns sentinel-user/sentinel-pass for peer
	// sentinels; nil or an empty password means no AUTH.
	PeerCredentials func() (user, pass string)
	// Renames returns the rename-command table of a master (original
	// command name → new name, any case). It applies to the data nodes of
	// that master only, never to peer sentinels.
	Renames func(master string) map[string]string
	// Deliver receives every result. It is called from the Pool's
	// goroutines, never while a lock is held; it may block briefly but must
	// return promptly once the Run context is done.
	Deliver func(monitor.Input)
	// TLSConfig, when set, makes every link use TLS (tls-replication).
	TLSConfig *tls.Config
	// TLSFor, when set, decides for the data nodes of one master instead
	// (sentinel tls <master> yes|no): their links use TLS with the config
	// it returns, plain TCP when nil. Peer links keep TLSConfig.
	TLSFor func(master string) *tls.Config
	// LookupHost resolves the host names of data nodes and peers, at every
	// dial; nil uses the system resolver (net.Dialer). Tests inject private
	// names with it.
	LookupHost LookupHost
	// QueueSize bounds the per-target queue of non-PING actions.
	QueueSize int
	// PubSubIdle is how long the hello subscription may stay silent before
	// the link is probed with a PING (and reopened if that fails).
	PubSubIdle time.Duration
	// Limits bound every reply from a data node or peer (zero fields take
	// the Default* values): a reply that breaks one fails the link.
	Limits ReplyLimits
	// ReconnectInitial and ReconnectMax pace the redials of a link that
	// keeps failing: the first redial is immediate, then the pauses grow
	// from ReconnectInitial to ReconnectMax (plus up to 25 % jitter).
	// Zero takes DefaultReconnectInitial / DefaultReconnectMax; a negative
	// ReconnectMax turns the backoff off (tests only).
	ReconnectInitial time.Duration
	ReconnectMax     time.Duration
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	o.DialTimeout = orDefault(o.DialTimeout, DefaultDialTimeout)
	o.CommandTimeout = orDefault(o.CommandTimeout, DefaultCommandTimeout)
	o.QueueSize = orDefault(o.QueueSize, DefaultQueueSize)
	o.PubSubIdle = orDefault(o.PubSubIdle, DefaultPubSubIdle)
	o.Limits.setDefaults()
	o.ReconnectInitial = orDefault(o.ReconnectInitial, DefaultReconnectInitial)
	if o.ReconnectMax == 0 {
		o.ReconnectMax = DefaultReconnectMax
	}
	if o.Deliver == nil {
		o.Deliver = func(monitor.Input) {}
	}
}

// orDefault is v, or def when v is zero or negative (an unset option).
func orDefault[T ~int | ~int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Pool holds the links to every instance the core watches and executes the
// core's actions on them. Create it with New, start it with Run, feed it with
// Do. A Pool runs once: after Run returns, Do drops everything.
type Pool struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	// connect opens the I/O of a target; tests replace it with fakes.
	connect func(t *target) nodeConn
	// testDial, when set, replaces the network dial of the real links
	// (tests run them over net.Pipe inside a synctest bubble).
	testDial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu      sync.Mutex
	targets map[monitor.Addr]*target
	runCtx  context.Context // set by Run while it runs; nil before
	stopped bool
	wg      sync.WaitGroup // every target goroutine and worker
	// workers run the targets' queues and pending commands (workers.go).
	workers workers

	helloMu   sync.Mutex
	nextHello time.Time // when the next new hello subscription may start
}

// Start-up stagger: the hello subscriptions of targets watched together (a
// start-up with 250 masters watches ~500 data nodes in one go) start
// helloSpacing apart, spread over at most helloStaggerMax, instead of all
// dialling and sending AUTH, CLIENT SETNAME and SUBSCRIBE at the same
// instant. A few targets see no delay worth the name (2 ms each). PINGs
// and INFO are not delayed: the core times them.
const (
	helloSpacing    = 2 * time.Millisecond
	helloStaggerMax = time.Second
)

// helloDelay is how long a new target waits before opening its hello
// subscription.
func (p *Pool) helloDelay(now time.Time) time.Duration {
	p.helloMu.Lock()
	defer p.helloMu.Unlock()
	at := p.nextHello
	if at.Before(now) {
		at = now
	}
	if at.Sub(now) > helloStaggerMax {
		at = now.Add(helloStaggerMax)
	}
	p.nextHello = at.Add(helloSpacing)
	return at.Sub(now)
}

// New builds a Pool. Nothing is dialled until Run runs and a Watch arrives.
func New(opts Options) *Pool {
	opts.setDefaults()
	p := &Pool{
		opts:    opts,
		log:     opts.Logger.With("component", "datanode"),
		metrics: newMetrics(opts.Registerer),
		targets: make(map[monitor.Addr]*target),
	}
	p.workers.wg = &p.wg
	p.connect = func(t *target) nodeConn { return newRedisConn(p, t) }
	return p
}

// ErrAlreadyRun is returned by a second call to Run.
var ErrAlreadyRun = errors.New("datanode: Pool.Run called twice")

// Run owns every link goroutine. It returns nil once ctx is done and all of
// them have exited and every link is closed.
func (p *Pool) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.runCtx != nil || p.stopped {
		p.mu.Unlock()
		return ErrAlreadyRun
	}
	p.runCtx = ctx
	p.workers.start(ctx.Done())
	for _, t := range p.targets {
		p.startLocked(t)
	}
	p.mu.Unlock()

	<-ctx.Done()

	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	// Every target context derives from ctx, so all target goroutines are
	// already winding down; wait for them outside the lock, since they
	// never take it but Do might be waiting on it.
	p.wg.Wait()
	p.mu.Lock()
	clear(p.targets)
	p.mu.Unlock()
	p.metrics.targets.Set(0)
	return nil
}

// Do hands one action to the Pool. It never blocks on I/O: actions are
// queued per target and executed by that target's goroutines. Overflow
// policy: a Ping while a Ping for the same target is queued, or an Info while
// an Info is queued, coalesces into the queued one; any other action that
// finds its target's queue (Options.QueueSize) full is dropped and logged.
// Actions for targets without a Watch, and everything after Run returned, are
// dropped. Every drop is counted in sentinel_datanode_actions_dropped_total.
// Actions this package does not execute (FlushConfig, scripts) are ignored
// with a debug log.
func (p *Pool) Do(a monitor.Action) {
	switch a := a.(type) {
	case monitor.Watch:
		p.watch(a)
	case monitor.Unwatch:
		p.unwatch(a.Target)
	case monitor.Ping:
		p.withTarget("ping", a.Target, func(t *target) { t.enqueuePing(a) })
	case monitor.Info:
		p.withTarget("info", a.Target, func(t *target) { t.enqueueInfo(a) })
	case monitor.PublishHello:
		if a.WithPing {
			p.withTarget("publish-hello", a.Target, func(t *target) { t.holdHello(a) })
			break
		}
		p.enqueue("publish-hello", a.Target, a)
	case monitor.AskPeer:
		p.enqueue("ask-peer", a.Peer, a)
	case monitor.ReplicaOf:
		p.enqueue("replicaof", a.Target, a)
	case monitor.ScriptKill:
		p.enqueue("script-kill", a.Target, a)
	case monitor.FailoverTo:
		p.enqueue("failover-to", a.Target, a)
	case monitor.SetFencing:
		p.enqueue("set-fencing", a.Target, a)
	case monitor.ReadFencing:
		p.enqueue("read-fencing", a.Target, a)
	case monitor.DropClients:
		p.enqueue("drop-clients", a.Target, a)
	case monitor.Reconnect:
		// Closing sockets does not block, but keep it outside p.mu anyway.
		var t *target
		p.withTarget("reconnect", a.Target, func(found *target) { t = found })
		if t != nil {
			t.conn.reconnect(a.PubSub)
		}
	default:
		p.log.Debug("action ignored: not a link action", "action", fmt.Sprintf("%T", a))
	}
}

// enqueue queues a, named action in logs and the drop counter, on the
// command goroutine of addr's target.
func (p *Pool) enqueue(action string, addr monitor.Addr, a monitor.Action) {
	p.withTarget(action, addr, func(t *target) { t.enqueue(action, a) })
}

// withTarget runs f on the target of addr while holding p.mu, or counts the
// drop. f must not block.
func (p *Pool) withTarget(action string, addr monitor.Addr, f func(t *target)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		p.metrics.actionsDropped.WithLabelValues(action, dropStopped).Inc()
		return
	}
	t, ok := p.targets[addr]
	if !ok {
		p.metrics.actionsDropped.WithLabelValues(action, dropUnwatched).Inc()
		p.log.Debug("action dropped: target not watched", "action", action, "target", addr.String())
		return
	}
	f(t)
}

func (p *Pool) watch(w monitor.Watch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		p.metrics.actionsDropped.WithLabelValues("watch", dropStopped).Inc()
		return
	}
	if t, ok := p.targets[w.Target]; ok {
		// Kind and master may change (a replica promoted, a peer shared by
		// several masters); the links stay, credentials and renames are
		// read again on the next connect.
		t.update(w.Kind, w.Master)
		return
	}
	t := newTarget(p, w)
	p.targets[w.Target] = t
	p.metrics.targets.Inc()
	if p.runCtx != nil {
		p.startLocked(t)
	}
}

func (p *Pool) unwatch(addr monitor.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.targets[addr]
	if !ok {
		return
	}
	delete(p.targets, addr)
	p.metrics.targets.Dec()
	if t.cancel != nil {
		t.cancel() // its goroutines close the links and exit; Run waits for them
	} else {
		_ = t.conn.close()
	}
}

// startLocked starts t's goroutines under the Run context. p.mu is held.
func (p *Pool) startLocked(t *target) {
	ctx, cancel := context.WithCancel(p.runCtx)
	t.cancel = cancel
	p.wg.Go(func() { t.run(ctx) })
}

// rename maps a command through master's rename-command table.
func (p *Pool) rename(master, command string) string {
	if p.opts.Renames == nil {
		return command
	}
	for from, to := range p.opts.Renames(master) {
		if to != "" && strings.EqualFold(from, command) {
			return to
		}
	}
	return command
}

// clientName is what CLIENT SETNAME gives our link, like Redis's
// sentinelSetClientName: sentinel-<first 8 of myid>-<type>.
func (p *Pool) clientName(linkType string) string {
	id := p.opts.MyID
	if len(id) > 8 {
		id = id[:8]
	}
	if id == "" {
		return ""
	}
	return "sentinel-" + id + "-" + linkType
}
