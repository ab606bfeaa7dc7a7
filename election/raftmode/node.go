package raftmode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Peer is one voting member of the static raft group.
type Peer struct {
	ID   string
	Addr string // host:port of the peer's raft transport
}

// Timing tunes raft. Zero fields keep hashicorp/raft's defaults.
type Timing struct {
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// BarrierTimeout bounds how long a new leader waits to enqueue the
	// barrier that must precede its first report of leadership.
	BarrierTimeout time.Duration
	// ApplyTimeout bounds how long a proposal waits to be enqueued when
	// the caller's context has no deadline.
	ApplyTimeout time.Duration
}

// Options configures NewNode.
type Options struct {
	// ID is this sentinel's raft server ID (stable across restarts).
	ID string
	// BindAddr is the host:port the raft TCP transport listens on; it is a
	// port of its own, separate from the RESP port.
	BindAddr string
	// Advertise is the host:port peers dial; empty means the bound address,
	// which must then not be a wildcard.
	Advertise string
	// Peers is the full static voter set. This node is added with its
	// advertised address when it is not listed.
	Peers []Peer
	// Dir holds the durable log, stable store and snapshots.
	Dir string
	// Logger receives raft's own logs too. Required.
	Logger *slog.Logger
	// Bootstrap lets this node bootstrap the group from Peers when it has
	// no raft state yet. Every peer may set it with the same Peers.
	Bootstrap bool
	Timing    Timing
	// TLS, when set, runs the raft transport over TLS (tlsstream.go).
	TLS *TLS

	// transport and inmemStores are test seams: an in-memory transport
	// (which lets tests partition nodes) and raft's in-memory stores.
	transport   raft.Transport
	inmemStores bool
}

// ErrNotLeader is returned by proposals made on a node that is not the raft
// leader; only the leader may act.
var ErrNotLeader = errors.New("raftmode: not the raft leader")

// ErrNodeClosed is returned by proposals after Close.
var ErrNodeClosed = errors.New("raftmode: node closed")

// ErrRejected matches every *RejectedError.
var ErrRejected = errors.New("raftmode: command rejected")

// RejectedError says that a committed command was refused by the state
// machine, and why.
type RejectedError struct {
	Op     string
	Master string
	Reason Rejection
	Detail string
}

func (e *RejectedError) Error() string {
	msg := fmt.Sprintf("raftmode: %s %q rejected: %s", e.Op, e.Master, e.Reason)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// Node is one member of the raft group. Its methods are safe for
// concurrent use.
type Node struct {
	id     string
	logger *slog.Logger
	raft   *raft.Raft
	fsm    *fsm
	timing Timing
	now    func() time.Time

	closers    []io.Closer // transport and stores, closed after raft
	peers      *peerTracker
	leadership chan bool

	cancel    context.CancelFunc
	mu        sync.Mutex // guards closed and wg.Add against Close's Wait
	closed    bool
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

const (
	notifyBuffer          = 16
	defaultBarrierTimeout = 30 * time.Second
	defaultApplyTimeout   = 5 * time.Second
	closeTimeout          = 10 * time.Second
	tcpMaxPool            = 3
	tcpTimeout            = 10 * time.Second
	snapshotsRetained     = 2
)

func (o *Options) validate() error {
	if o.ID == "" {
		return errors.New("raftmode: options: ID is empty")
	}
	if o.Logger == nil {
		return errors.New("raftmode: options: Logger is nil")
	}
	if o.transport == nil && o.BindAddr == "" {
		return errors.New("raftmode: options: BindAddr is empty")
	}
	if !o.inmemStores && o.Dir == "" {
		return errors.New("raftmode: options: Dir is empty")
	}
	seen := make(map[string]bool, len(o.Peers))
	for i, p := range o.Peers {
		if p.ID == "" || p.Addr == "" {
			return fmt.Errorf("raftmode: options: peers[%d] needs both ID and Addr", i)
		}
		if seen[p.ID] {
			return fmt.Errorf("raftmode: options: peers[%d]: duplicate ID %q", i, p.ID)
		}
		seen[p.ID] = true
	}
	for name, d := range map[string]time.Duration{
		"HeartbeatTimeout": o.Timing.HeartbeatTimeout, "ElectionTimeout": o.Timing.ElectionTimeout,
		"LeaderLeaseTimeout": o.Timing.LeaderLeaseTimeout, "CommitTimeout": o.Timing.CommitTimeout,
		"BarrierTimeout": o.Timing.BarrierTimeout, "ApplyTimeout": o.Timing.ApplyTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("raftmode: options: Timing.%s is negative", name)
		}
	}
	return nil
}

// NewNode starts a raft member, wired in the order Consul's setupRaft uses:
// transport, stores, bootstrap only when there is no existing state and
// Bootstrap is set, a buffered NotifyCh, then raft itself. On any failure
// everything opened so far is closed again.
func NewNode(ctx context.Context, opts Options) (node *Node, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("raftmode: new node: %w", err)
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	logger := opts.Logger.With("raft_id", opts.ID)
	hlog := newHCLogger(logger, "raft")

	var closers []io.Closer
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i].Close()
			}
		}
	}()

	trans := opts.transport
	if trans == nil {
		if trans, err = newNetworkTransport(opts, hlog); err != nil {
			return nil, err
		}
	}
	if c, ok := trans.(io.Closer); ok {
		closers = append(closers, c)
	}
	// Raft sees the transport through the tracker of per-peer progress
	// (peerlag.go).
	peers := newPeerTracker(time.Now)
	trans = &trackingTransport{Transport: trans, t: peers}

	var (
		logs   raft.LogStore
		stable raft.StableStore
		snaps  raft.SnapshotStore
	)
	if opts.inmemStores {
		mem := raft.NewInmemStore()
		logs, stable, snaps = mem, mem, raft.NewInmemSnapshotStore()
	} else {
		st, err := openStores(opts.Dir, hlog)
		if err != nil {
			return nil, err
		}
		closers = append(closers, st)
		logs, stable, snaps = st.bolt, st.bolt, st.snaps
	}

	conf, t := raftConfig(opts, hlog)
	// Raft blocks on this channel, so it is buffered and always drained by
	// the node's leadership goroutine.
	notify := make(chan bool, notifyBuffer)
	conf.NotifyCh = notify
	if err := raft.ValidateConfig(conf); err != nil {
		return nil, fmt.Errorf("raftmode: raft config: %w", err)
	}

	existing, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		return nil, fmt.Errorf("raftmode: read existing state: %w", err)
	}
	if !existing && opts.Bootstrap {
		if err := raft.BootstrapCluster(conf, logs, stable, snaps, trans, groupConfiguration(opts, trans)); err != nil {
			return nil, fmt.Errorf("raftmode: bootstrap: %w", err)
		}
	}

	fsm := newFSM()
	r, err := raft.NewRaft(conf, fsm, logs, stable, snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("raftmode: start raft: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n := &Node{
		id:         opts.ID,
		logger:     logger,
		raft:       r,
		fsm:        fsm,
		timing:     t,
		now:        time.Now,
		closers:    closers,
		peers:      peers,
		leadership: make(chan bool),
		cancel:     cancel,
	}
	n.wg.Go(func() { n.watchLeadership(runCtx, notify) })
	return n, nil
}

// newNetworkTransport is the raft transport on opts.BindAddr, over TLS when
// opts.TLS is set.
func newNetworkTransport(opts Options, hlog hclog.Logger) (raft.Transport, error) {
	var advertise net.Addr
	if opts.Advertise != "" {
		a, err := net.ResolveTCPAddr("tcp", opts.Advertise)
		if err != nil {
			return nil, fmt.Errorf("raftmode: advertise address: %w", err)
		}
		advertise = a
	}
	var (
		nt  *raft.NetworkTransport
		err error
	)
	if opts.TLS != nil {
		nt, err = newTLSTransport(opts.BindAddr, advertise, opts.TLS, hlog.Named("transport"))
	} else {
		nt, err = raft.NewTCPTransportWithLogger(opts.BindAddr, advertise, tcpMaxPool, tcpTimeout, hlog.Named("transport"))
	}
	if err != nil {
		return nil, fmt.Errorf("raftmode: transport: %w", err)
	}
	return nt, nil
}

// raftConfig is hashicorp/raft's default configuration with opts.Timing's
// non-zero fields applied, and the timing with our own defaults filled in.
func raftConfig(opts Options, hlog hclog.Logger) (*raft.Config, Timing) {
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(opts.ID)
	conf.Logger = hlog
	t := opts.Timing
	if t.HeartbeatTimeout > 0 {
		conf.HeartbeatTimeout = t.HeartbeatTimeout
	}
	if t.ElectionTimeout > 0 {
		conf.ElectionTimeout = t.ElectionTimeout
	}
	if t.LeaderLeaseTimeout > 0 {
		conf.LeaderLeaseTimeout = t.LeaderLeaseTimeout
	}
	if t.CommitTimeout > 0 {
		conf.CommitTimeout = t.CommitTimeout
	}
	if t.BarrierTimeout == 0 {
		t.BarrierTimeout = defaultBarrierTimeout
	}
	if t.ApplyTimeout == 0 {
		t.ApplyTimeout = defaultApplyTimeout
	}
	return conf, t
}

// groupConfiguration is the static voter set, always including this node.
func groupConfiguration(opts Options, trans raft.Transport) raft.Configuration {
	var conf raft.Configuration
	self := false
	for _, p := range opts.Peers {
		self = self || p.ID == opts.ID
		conf.Servers = append(conf.Servers, raft.Server{
			Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr),
		})
	}
	if !self {
		conf.Servers = append(conf.Servers, raft.Server{
			Suffrage: raft.Voter, ID: raft.ServerID(opts.ID), Address: trans.LocalAddr(),
		})
	}
	return conf
}

// Leadership delivers this node's leadership changes in order: true once
// the node is leader and a barrier has applied everything committed before
// its term (so State is current), false when it stops being leader. The
// channel closes after Close. Callers must keep reading it; changes queue
// up in the node until read.
func (n *Node) Leadership() <-chan bool { return n.leadership }

// watchLeadership turns raft's NotifyCh into the Leadership channel. It
// never blocks raft for long: sends to the caller go through a queue.
func (n *Node) watchLeadership(ctx context.Context, notify <-chan bool) {
	defer close(n.leadership)
	var queue []bool
	reported := false
	for {
		var out chan<- bool
		var head bool
		if len(queue) > 0 {
			out, head = n.leadership, queue[0]
		}
		select {
		case <-ctx.Done():
			return
		case out <- head:
			queue = queue[1:]
		case leader := <-notify:
			if leader {
				leader = n.confirmLeadership(ctx)
			}
			if leader != reported {
				reported = leader
				queue = append(queue, leader)
				n.logger.Info("raft leadership changed", "leader", leader)
			}
		}
	}
}

// confirmLeadership runs a barrier, as Consul's leaderLoop does, so that the
// new leader has applied every entry of earlier terms before it acts.
func (n *Node) confirmLeadership(ctx context.Context) bool {
	for ctx.Err() == nil && n.raft.State() == raft.Leader {
		err := n.raft.Barrier(n.timing.BarrierTimeout).Error()
		if err == nil {
			return true
		}
		n.logger.Warn("raft barrier failed", "err", err)
		if errors.Is(err, raft.ErrRaftShutdown) || errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrNotLeader) {
			return false
		}
	}
	return false
}

// ID returns this node's raft server ID, the holder name in its leases.
func (n *Node) ID() string { return n.id }

// IsLeader reports whether raft currently considers this node the leader.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the current leader's ID and address, empty when unknown.
func (n *Node) Leader() (id, addr string) {
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// State returns a copy of the replicated state as applied on this node. On
// a follower it may lag the leader: hashicorp/raft tells followers that an
// entry committed only when it sends the next one.
func (n *Node) State() Snapshot { return n.fsm.current() }

// RequestLease asks the group for the failover lease of master at epoch,
// held by this node for ttl from now. granted is false without an error
// when another holder has an unexpired lease of this term or the epoch is
// stale. It must be called on the leader; elsewhere it returns
// ErrNotLeader. ProposeLease says more.
func (n *Node) RequestLease(ctx context.Context, master string, epoch uint64, ttl time.Duration) (granted bool, err error) {
	ans, err := n.ProposeLease(ctx, master, epoch, ttl)
	return ans.Granted, err
}

// LeaseAnswer is the group's answer to a lease request.
type LeaseAnswer struct {
	Granted bool
	// Reason is why it was refused: RejectLeaseHeld or RejectStaleEpoch.
	Reason Rejection
	// Master is the master's agreed state once the request applied.
	Master MasterState
	// Replaced is the lease the grant replaced (Result.Replaced).
	Replaced Lease
}

// ProposeLease is RequestLease with the whole answer. When this node's
// applied state shows another holder's unexpired lease, the request asks
// to take it over: apply grants that only if the lease is of an earlier
// raft term than this leader's (ADR 0003, rule 1). Once this node has
// reported leadership (after its barrier), its state holds every entry of
// earlier terms; asked before that, it may not see the lease, and apply
// refuses the plain request (RejectLeaseHeld): safe, the next one asks.
func (n *Node) ProposeLease(ctx context.Context, master string, epoch uint64, ttl time.Duration) (LeaseAnswer, error) {
	// Refuse bad arguments before they reach the log; apply would refuse
	// them too, but only after a round of replication.
	if master == "" || epoch == 0 || ttl <= 0 {
		return LeaseAnswer{}, &RejectedError{Op: "lease", Master: master, Reason: RejectInvalid,
			Detail: fmt.Sprintf("need a master name, epoch > 0 and ttl > 0 (epoch %d, ttl %s)", epoch, ttl)}
	}
	req := LeaseRequest{Master: master, Epoch: epoch, Holder: n.id, At: n.now(), TTL: ttl}
	if l := n.fsm.lease(master); l.Holder != "" && l.Holder != n.id && req.At.Before(l.Expires) {
		req.Takeover = true
	}
	res, err := n.propose(ctx, "lease", req)
	if err != nil {
		return LeaseAnswer{}, err
	}
	ans := LeaseAnswer{Granted: res.Accepted, Reason: res.Reason, Master: res.Master, Replaced: res.Replaced}
	switch {
	case res.Accepted, res.Reason == RejectLeaseHeld || res.Reason == RejectStaleEpoch:
		return ans, nil
	default:
		return LeaseAnswer{}, &RejectedError{Op: "lease", Master: master, Reason: res.Reason, Detail: res.Detail}
	}
}

// CommitSwitch records that this node, holding the lease for epoch,
// promoted addr to master of master. It must be called on the leader.
func (n *Node) CommitSwitch(ctx context.Context, master, addr string, epoch uint64) error {
	if err := checkAddr(addr); err != nil || master == "" || epoch == 0 {
		return &RejectedError{Op: "switch", Master: master, Reason: RejectInvalid,
			Detail: fmt.Sprintf("need a master name, epoch > 0 and host:port (addr %q, epoch %d)", addr, epoch)}
	}
	res, err := n.propose(ctx, "switch", SwitchMaster{Master: master, Addr: addr, Epoch: epoch, Holder: n.id})
	if err != nil {
		return err
	}
	if !res.Accepted {
		return &RejectedError{Op: "switch", Master: master, Reason: res.Reason, Detail: res.Detail}
	}
	return nil
}

// AddMaster adds a master to the replicated state (SENTINEL MONITOR).
func (n *Node) AddMaster(ctx context.Context, name, addr string, configEpoch uint64) error {
	res, err := n.propose(ctx, "add master", SetMaster{Name: name, Addr: addr, ConfigEpoch: configEpoch})
	if err != nil {
		return err
	}
	if !res.Accepted {
		return &RejectedError{Op: "add master", Master: name, Reason: res.Reason, Detail: res.Detail}
	}
	return nil
}

// RemoveMaster removes a master from the replicated state (SENTINEL REMOVE).
func (n *Node) RemoveMaster(ctx context.Context, name string) error {
	res, err := n.propose(ctx, "remove master", SetMaster{Name: name, Remove: true})
	if err != nil {
		return err
	}
	if !res.Accepted {
		return &RejectedError{Op: "remove master", Master: name, Reason: res.Reason, Detail: res.Detail}
	}
	return nil
}

// propose commits cmd through raft and returns what apply said. If ctx
// ends first the outcome is unknown: the command may still commit.
func (n *Node) propose(ctx context.Context, op string, cmd Command) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("raftmode: %s: %w", op, err)
	}
	if n.raft.State() != raft.Leader {
		return Result{}, fmt.Errorf("raftmode: %s: %w", op, ErrNotLeader)
	}
	data, err := EncodeCommand(cmd)
	if err != nil {
		return Result{}, err
	}
	future, err := await(ctx, n, op, func() raft.ApplyFuture {
		return n.raft.Apply(data, timeoutFor(ctx, n.timing.ApplyTimeout))
	}, raft.ErrNotLeader)
	if err != nil {
		return Result{}, err
	}
	res, ok := future.Response().(Result)
	if !ok {
		return Result{}, fmt.Errorf("raftmode: %s: unexpected apply response %T", op, future.Response())
	}
	return res, nil
}

// Close shuts raft down and releases the transport and stores. It is
// idempotent and gives up waiting after a bounded time.
//
// The order matters: hashicorp/raft drops futures that are between commit
// and FSM apply when it shuts down, and their Error never returns. So Close
// first stops new proposals and lets the ones in flight (and a pending
// leadership barrier) finish while raft still runs — each ends within an
// apply timeout or a leader-lease timeout — and only then shuts raft down.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		n.closed = true
		n.mu.Unlock()
		n.cancel()

		waitersDone := make(chan struct{})
		go func() {
			// Owned by Close; ends when the last waiter has.
			n.wg.Wait()
			close(waitersDone)
		}()
		if !waitWithin(waitersDone, closeTimeout) {
			n.logger.Error("raft proposals still pending at close", "timeout", closeTimeout)
		}

		var shutdownErr error
		shutdownDone := make(chan struct{})
		go func() {
			// Owned by Close; ends when raft's goroutines have.
			defer close(shutdownDone)
			shutdownErr = n.raft.Shutdown().Error()
		}()
		if !waitWithin(shutdownDone, closeTimeout) {
			n.logger.Error("raft shutdown did not finish in time", "timeout", closeTimeout)
			n.closeErr = fmt.Errorf("raftmode: close: shutdown not finished after %s", closeTimeout)
			return
		}
		var errs []error
		if shutdownErr != nil {
			errs = append(errs, fmt.Errorf("raftmode: shutdown: %w", shutdownErr))
		}
		for i := len(n.closers) - 1; i >= 0; i-- {
			if err := n.closers[i].Close(); err != nil {
				errs = append(errs, fmt.Errorf("raftmode: close: %w", err))
			}
		}
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

// waitWithin reports whether done closed within d.
func waitWithin(done <-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}
