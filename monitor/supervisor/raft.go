package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/election/raftmode"
	"github.com/sentinelgo/sentinel/monitor"
)

// Raft mode's driver (docs/decisions/0003-raft-mode-ownership.md): it runs
// the raftmode node, turns its leadership and applied state into the
// core's inputs, and performs the core's raft actions. It decides nothing.

// raftTiming is tuned for sentinels on one LAN: a lease is one commit round
// trip, and followers learn a commit within CommitTimeout when idle.
var raftTiming = raftmode.Timing{
	HeartbeatTimeout:   500 * time.Millisecond,
	ElectionTimeout:    500 * time.Millisecond,
	LeaderLeaseTimeout: 250 * time.Millisecond,
	CommitTimeout:      20 * time.Millisecond,
	BarrierTimeout:     5 * time.Second,
	ApplyTimeout:       5 * time.Second,
}

const (
	// raftNoContact is how long a follower may go without hearing from
	// the leader (it heartbeats every 50 ms) before it stops vouching for
	// the agreed configuration; raft itself starts an election after the
	// election timeout.
	raftNoContact = time.Second
	// raftJobs bounds the queue of lease and switch proposals; the core
	// asks for at most one of each per master at a time.
	raftJobs = 256
	// raftOpTimeout bounds one proposal (its Apply, and the Barrier after a
	// switch).
	raftOpTimeout = 5 * time.Second
	// raftReconcileEvery is how often the leader adds masters that raft
	// does not know yet (SENTINEL MONITOR while running).
	raftReconcileEvery = time.Second
)

// raftDriver is the Executor in raft mode: raft actions go to the node,
// everything else to next (the datanode pool).
type raftDriver struct {
	log  *slog.Logger
	node *raftmode.Node
	loop *Loop
	next Executor
	jobs chan monitor.Action

	// overflow holds proposals that found jobs full; kick wakes the
	// worker to report them as failed.
	mu       sync.Mutex
	overflow []monitor.Action
	kick     chan struct{}

	// committed is what ConfigCommitted last reported per master (owned
	// by the applied goroutine).
	committed map[string]raftmode.MasterState

	// auth guards the HTTP routes that change raft state (raftauth.go).
	auth raftAuth
	// peerIDs learns which raft node each known sentinel is
	// (raftpeerids.go); nil in tests that build a driver by hand.
	peerIDs *raftPeerIDs
}

// newRaftDriver starts the raft node of cfg.Election. The node runs (it
// may win an election) from here on; Run feeds its results to the loop.
// rtls, when set, runs the transport over TLS (rafttls.go).
func newRaftDriver(ctx context.Context, log *slog.Logger, e configs.Election, rtls *raftmode.TLS, loop *Loop, next Executor) (*raftDriver, error) {
	peers := make([]raftmode.Peer, len(e.Peers))
	for i, p := range e.Peers {
		peers[i] = raftmode.Peer{ID: p.ID, Addr: p.Address}
	}
	node, err := raftmode.NewNode(ctx, raftmode.Options{
		ID:        e.NodeID,
		BindAddr:  e.Bind,
		Advertise: e.Advertise,
		Peers:     peers,
		Dir:       e.DataDir,
		Logger:    log.With("component", "raft"),
		Bootstrap: e.Bootstrap,
		Timing:    raftTiming,
		TLS:       rtls,
	})
	if err != nil {
		return nil, fmt.Errorf("supervisor: raft mode: %w", err)
	}
	return &raftDriver{
		log:       log.With("component", "raft"),
		node:      node,
		loop:      loop,
		next:      next,
		jobs:      make(chan monitor.Action, raftJobs),
		kick:      make(chan struct{}, 1),
		committed: make(map[string]raftmode.MasterState),
	}, nil
}

// Do routes an action without blocking. A raft action that finds the
// queue full fails at once, so the core tries again.
func (d *raftDriver) Do(a monitor.Action) {
	switch a := a.(type) {
	case monitor.RequestLease, monitor.ProposeSwitch:
		select {
		case d.jobs <- a:
		default:
			// Do runs on the owner goroutine: the failure must not be
			// delivered from here (the inbox may be full). The worker
			// reports it.
			d.log.Warn("raft proposal queue full", "action", fmt.Sprintf("%T", a))
			d.mu.Lock()
			d.overflow = append(d.overflow, a)
			d.mu.Unlock()
			select {
			case d.kick <- struct{}{}:
			default:
			}
		}
	case monitor.ReplicaOf:
		if a.NoOne {
			if !d.stampPromotion(&a.NotAfter, a.Master) {
				return
			}
		}
		d.next.Do(a)
	case monitor.FailoverTo:
		if !d.stampPromotion(&a.NotAfter, a.Master) {
			return
		}
		d.next.Do(a)
	default:
		d.next.Do(a)
	}
}

// raftPromotionWindow is how long after the driver saw this node lead a
// promotion may still be written to a replica. hashicorp/raft keeps a
// leader only while a quorum answered within LeaderLeaseTimeout, and a
// follower that heard it stands for election only after HeartbeatTimeout,
// so no other leader can exist for HeartbeatTimeout - LeaderLeaseTimeout
// after a moment we were leader; 100 ms of that is left for clock rates,
// scheduling and the bytes in flight (docs/decisions/0003, rule 2).
var raftPromotionWindow = raftTiming.HeartbeatTimeout - raftTiming.LeaderLeaseTimeout - 100*time.Millisecond

// stampPromotion gives a promotion its NotAfter, or drops it (false) when
// raft no longer names this node leader: the core aborts on the
// leadership input that follows, and a promotion queued behind a slow
// command on the replica's link cannot outlive our right to send it.
func (d *raftDriver) stampPromotion(notAfter *time.Time, master string) bool {
	if !d.node.IsLeader() {
		d.log.Warn("promotion dropped: this node no longer leads raft", "master", master)
		return false
	}
	*notAfter = time.Now().Add(raftPromotionWindow)
	return true
}

// fail reports a raft action that did not happen, as an input.
func (d *raftDriver) fail(ctx context.Context, a monitor.Action, reason string) {
	now := time.Now()
	switch a := a.(type) {
	case monitor.RequestLease:
		st := d.node.State()
		in := monitor.LeaseDenied{At: now, Master: a.Master, Epoch: a.Epoch, HighestEpoch: st.HighestEpoch, Reason: reason}
		// Another holder's unexpired lease holds the next attempt off only
		// if it is of the current raft term: one of an earlier term
		// belongs to a deposed leader, and the next request (this node's,
		// if it leads) takes it over (ADR 0003, rule 1).
		if l := st.Masters[a.Master].Lease; l.Holder != "" && l.Holder != d.node.ID() && l.Expires.After(now) &&
			l.Term >= d.node.Stats().Term {
			in.HeldUntil = l.Expires
		}
		d.deliver(ctx, in)
	case monitor.ProposeSwitch:
		d.deliver(ctx, monitor.SwitchFailed{At: now, Master: a.Master, Epoch: a.Epoch, Reason: reason})
	}
}

// deliver hands an input to the loop without ever blocking past ctx.
func (d *raftDriver) deliver(ctx context.Context, in monitor.Input) {
	if ctx.Err() == nil {
		d.loop.Deliver(ctx, in)
	}
}

// Run feeds leadership and applied state to the loop and performs the
// proposals until ctx ends, then closes the node.
func (d *raftDriver) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { d.watchLeadership(ctx) })
	wg.Go(func() { d.watchApplied(ctx) })
	wg.Go(func() { d.work(ctx) })
	if d.peerIDs != nil {
		wg.Go(func() { d.peerIDs.run(ctx, d.loop.Snapshot) })
	}
	wg.Wait()
	if err := d.node.Close(); err != nil {
		return fmt.Errorf("raft: %w", err)
	}
	return nil
}

// Close releases the node when Run never ran (New failed later on).
func (d *raftDriver) Close() { _ = d.node.Close() }

func (d *raftDriver) watchLeadership(ctx context.Context) {
	ticker := time.NewTicker(raftReconcileEvery)
	defer ticker.Stop()
	leader := false
	for {
		select {
		case <-ctx.Done():
			return
		case l, ok := <-d.node.Leadership():
			if !ok {
				return
			}
			leader = l
			term := d.node.Stats().Term
			d.log.Info("raft leadership", "leader", leader, "term", term)
			d.deliver(ctx, monitor.RaftLeadership{At: time.Now(), Leader: leader, Term: term})
			if leader {
				// After the core knows: a master missing from raft only
				// delays its own failovers (a lease for it is refused).
				d.reconcileMasters(ctx)
			}
		case <-ticker.C:
			if leader {
				d.reconcileMasters(ctx)
			}
		}
	}
}

// reconcileMasters adds to raft every master the core watches that raft
// does not know, with the address and config epoch the core has.
func (d *raftDriver) reconcileMasters(ctx context.Context) {
	known := d.node.State().Masters
	for _, m := range d.loop.Snapshot().Masters {
		if _, ok := known[m.Name]; ok {
			continue
		}
		opCtx, cancel := context.WithTimeout(ctx, raftOpTimeout)
		err := d.node.AddMaster(opCtx, m.Name, m.Addr.String(), m.ConfigEpoch)
		cancel()
		if err != nil && !errors.Is(err, raftmode.ErrRejected) {
			d.log.Warn("raft: cannot add master", "master", m.Name, "err", err)
			return
		}
	}
}

// watchApplied reports every master whose applied configuration changed
// (all of them once at start) as ConfigCommitted.
func (d *raftDriver) watchApplied(ctx context.Context) {
	d.reportApplied(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.node.Applied():
			d.reportApplied(ctx)
		}
	}
}

func (d *raftDriver) reportApplied(ctx context.Context) {
	for name, m := range d.node.State().Masters {
		last, seen := d.committed[name]
		if seen && last.Addr == m.Addr && last.ConfigEpoch == m.ConfigEpoch {
			continue
		}
		addr, err := configs.ParseAddr(m.Addr)
		if err != nil {
			d.log.Error("raft: applied master address unreadable", "master", name, "addr", m.Addr, "err", err)
			continue
		}
		d.committed[name] = m
		d.deliver(ctx, monitor.ConfigCommitted{At: time.Now(), Master: name,
			Addr: monitor.Addr{Host: addr.Host, Port: addr.Port}, Epoch: m.ConfigEpoch})
	}
}

// work performs the proposals one at a time, in the order the core asked.
func (d *raftDriver) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-d.jobs:
			d.perform(ctx, a)
		case <-d.kick:
			d.mu.Lock()
			overflow := d.overflow
			d.overflow = nil
			d.mu.Unlock()
			for _, a := range overflow {
				d.fail(ctx, a, "proposal queue full")
			}
		}
	}
}

func (d *raftDriver) perform(ctx context.Context, a monitor.Action) {
	opCtx, cancel := context.WithTimeout(ctx, raftOpTimeout)
	defer cancel()
	switch a := a.(type) {
	case monitor.RequestLease:
		d.performLease(ctx, opCtx, a)
	case monitor.ProposeSwitch:
		if err := d.node.CommitSwitch(opCtx, a.Master, a.Addr.String(), a.Epoch); err != nil {
			d.log.Warn("raft: switch not committed", "master", a.Master, "addr", a.Addr.String(), "epoch", a.Epoch, "err", err)
			d.fail(ctx, a, err.Error())
			return
		}
		d.log.Info("raft: switch committed", "master", a.Master, "addr", a.Addr.String(), "epoch", a.Epoch)
		// A barrier is a new entry: replicating it carries the switch's
		// commit index to the followers at once, instead of with the next
		// heartbeat, so they apply (and publish) the switch sooner.
		if err := d.node.Barrier(opCtx); err != nil {
			d.log.Debug("raft: barrier after switch", "err", err)
		}
	}
}

// performLease asks raft for the lease and reports the answer. A grant
// that replaced a lease whose switch never committed (its epoch is above
// the config epoch: a predecessor's failover, taken over or expired)
// names that holder as the Predecessor, so the core reads the replicas'
// roles afresh and finishes a promotion the predecessor may have made.
func (d *raftDriver) performLease(ctx, opCtx context.Context, a monitor.RequestLease) {
	ttl := configs.DefaultFailoverTimeout
	if m := d.loop.Snapshot().Master(a.Master); m != nil && m.FailoverTimeout > 0 {
		ttl = m.FailoverTimeout
	}
	// One commit round trip, no Barrier after it: the Apply returns once
	// the lease entry is committed in this term and applied here, and raft
	// applies in log order, so everything before it is applied too — what
	// a Barrier would add (ADR 0003).
	ans, err := d.node.ProposeLease(opCtx, a.Master, a.Epoch, ttl)
	switch {
	case err != nil:
		d.log.Warn("raft: lease failed", "master", a.Master, "epoch", a.Epoch, "err", err)
		d.fail(ctx, a, err.Error())
		return
	case !ans.Granted:
		d.log.Info("raft: lease refused", "master", a.Master, "epoch", a.Epoch, "reason", string(ans.Reason))
		d.fail(ctx, a, "refused: "+string(ans.Reason))
		return
	}
	now := time.Now()
	in := monitor.LeaseGranted{At: now, Master: a.Master, Epoch: a.Epoch}
	if r := ans.Replaced; r.Holder != "" && r.Epoch > ans.Master.ConfigEpoch {
		in.Predecessor = r.Holder
		d.log.Warn("raft: lease follows an unfinished one", "master", a.Master, "epoch", a.Epoch,
			"predecessor", r.Holder, "predecessor_epoch", r.Epoch, "predecessor_term", r.Term,
			"taken_over", r.Holder != d.node.ID() && r.Expires.After(ans.Master.Lease.GrantedAt))
	}
	d.log.Info("raft: lease granted", "master", a.Master, "epoch", a.Epoch, "ttl", ttl, "term", ans.Master.Lease.Term)
	d.deliver(ctx, in)
}

// raftCollector exports the node's raft counters on /metrics.
type raftCollector struct {
	node        *raftmode.Node
	state       *prometheus.Desc
	term        *prometheus.Desc
	commit      *prometheus.Desc
	applied     *prometheus.Desc
	lastIndex   *prometheus.Desc
	lastContact *prometheus.Desc
	leader      *prometheus.Desc
	voters      *prometheus.Desc
	peerMatch   *prometheus.Desc
	peerLag     *prometheus.Desc
	peerContact *prometheus.Desc
}

func newRaftCollector(node *raftmode.Node) *raftCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return desc("sentinel_raft_"+name, help, labels...)
	}
	return &raftCollector{
		node:        node,
		state:       d("state", "1 for this node's raft state (Follower, Candidate, Leader, Shutdown).", "state"),
		term:        d("term", "Current raft term."),
		commit:      d("commit_index", "Highest raft log index known committed."),
		applied:     d("applied_index", "Highest raft log index applied to the state machine."),
		lastIndex:   d("last_log_index", "Last index in this node's raft log."),
		lastContact: d("last_contact_seconds", "Time since the raft leader was last heard from (0 on the leader, -1 never)."),
		leader:      d("leader", "1 with the current raft leader's id (empty when unknown).", "leader_id"),
		voters:      d("voters", "Voters in the raft configuration."),
		peerMatch:   d("peer_match_index", "Highest raft log index the peer acknowledged in this leader's term (leader only).", "peer_id"),
		peerLag:     d("peer_lag_entries", "Leader's last log index minus the peer's acknowledged index (leader only).", "peer_id"),
		peerContact: d("peer_last_contact_seconds", "Time since the peer last answered the leader (leader only; -1 never in this term).", "peer_id"),
	}
}

func (c *raftCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.term, c.commit, c.applied, c.lastIndex, c.lastContact, c.leader, c.voters, c.peerMatch, c.peerLag, c.peerContact} {
		ch <- d
	}
}

func (c *raftCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.node.Stats()
	for _, s := range []string{"Follower", "Candidate", "Leader", "Shutdown"} {
		gauge(ch, c.state, b2f(st.State == s), s)
	}
	gauge(ch, c.term, float64(st.Term))
	gauge(ch, c.commit, float64(st.CommitIndex))
	gauge(ch, c.applied, float64(st.AppliedIndex))
	gauge(ch, c.lastIndex, float64(st.LastLogIndex))
	lc := -1.0
	if st.LastContact >= 0 {
		lc = st.LastContact.Seconds()
	}
	gauge(ch, c.lastContact, lc)
	gauge(ch, c.leader, 1, st.LeaderID)
	gauge(ch, c.voters, float64(st.Voters))
	for _, p := range c.node.Peers() {
		gauge(ch, c.peerMatch, float64(p.MatchIndex), p.ID)
		gauge(ch, c.peerLag, float64(p.Lag), p.ID)
		contact := -1.0
		if p.LastContact >= 0 {
			contact = p.LastContact.Seconds()
		}
		gauge(ch, c.peerContact, contact, p.ID)
	}
}

// RaftStatus is this node's view of raft mode (for /status).
type RaftStatus struct {
	NodeID        string `json:"node_id"`
	State         string `json:"state"`
	Term          uint64 `json:"term"`
	LeaderID      string `json:"leader_id"`
	LeaderAddr    string `json:"leader_addr"`
	CommitIndex   uint64 `json:"commit_index"`
	AppliedIndex  uint64 `json:"applied_index"`
	LastLogIndex  uint64 `json:"last_log_index"`
	LastContactMs int64  `json:"last_contact_ms"` // 0 on the leader, -1 never
	Voters        int    `json:"voters"`
	// Masters is the applied configuration: address and config epoch per
	// master, as every node reports it.
	Masters map[string]string `json:"masters"`
	// Peers is every other member as the leader sees it; only on the
	// leader.
	Peers []RaftPeerStatus `json:"peers,omitempty"`
}

// RaftPeerStatus is one other member's replication progress (leader only).
type RaftPeerStatus struct {
	ID string `json:"id"`
	// RunID is the sentinel's run id, once learned (raftpeerids.go).
	RunID         string `json:"run_id,omitempty"`
	Address       string `json:"address"`
	Suffrage      string `json:"suffrage"`
	MatchIndex    uint64 `json:"match_index"`
	LagEntries    uint64 `json:"lag_entries"`
	LastContactMs int64  `json:"last_contact_ms"` // -1: no answer in this term
}

func (d *raftDriver) status() *RaftStatus {
	st := d.node.Stats()
	out := &RaftStatus{
		NodeID: d.node.ID(), State: st.State, Term: st.Term, LeaderID: st.LeaderID, LeaderAddr: st.LeaderAddr,
		CommitIndex: st.CommitIndex, AppliedIndex: st.AppliedIndex, LastLogIndex: st.LastLogIndex,
		LastContactMs: -1, Voters: st.Voters, Masters: make(map[string]string),
	}
	if st.LastContact >= 0 {
		out.LastContactMs = st.LastContact.Milliseconds()
	}
	for name, m := range d.node.State().Masters {
		out.Masters[name] = m.Addr + " epoch " + strconv.FormatUint(m.ConfigEpoch, 10)
	}
	runIDs := map[string]string{}
	for runID, v := range d.peerViews() {
		runIDs[v.NodeID] = runID
	}
	for _, p := range d.node.Peers() {
		ps := RaftPeerStatus{ID: p.ID, RunID: runIDs[p.ID], Address: p.Addr, Suffrage: p.Suffrage, MatchIndex: p.MatchIndex, LagEntries: p.Lag, LastContactMs: -1}
		if p.LastContact >= 0 {
			ps.LastContactMs = p.LastContact.Milliseconds()
		}
		out.Peers = append(out.Peers, ps)
	}
	return out
}

// view is the snapshot's raft view (INFO).
func (d *raftDriver) view() *monitor.RaftView {
	st := d.node.Stats()
	return &monitor.RaftView{NodeID: d.node.ID(), State: st.State, Term: st.Term, LeaderID: st.LeaderID,
		CommitIndex: st.CommitIndex, AppliedIndex: st.AppliedIndex, Voters: st.Voters,
		NoMajority: st.State != "Leader" && (st.LeaderID == "" || st.LastContact < 0 || st.LastContact > raftNoContact),
		Peers:      d.peerViews()}
}

// RaftStatus reports raft mode's state; nil in vote mode.
func (s *Supervisor) RaftStatus() *RaftStatus {
	if s.raft == nil {
		return nil
	}
	return s.raft.status()
}

// setupRaft starts raft mode when the configuration asks for it: the node,
// the executor in front of the pool, the core's mode, and the metrics.
func (s *Supervisor) setupRaft(ctx context.Context) error {
	e := s.cfg.Election
	if !e.Raft() {
		return nil
	}
	if s.cfg.Source != configs.SourceYAML {
		return errors.New("supervisor: raft mode needs a YAML configuration (election: {mode: raft}); sentinel.conf cannot select it")
	}
	d, err := newRaftDriver(ctx, s.log, e, s.tls.raftTLS(), s.loop, s.loop.exec)
	if err != nil {
		return err
	}
	if err := s.reg.Register(newRaftCollector(d.node)); err != nil {
		d.Close()
		return fmt.Errorf("supervisor: raft metrics: %w", err)
	}
	// The client port's users, read at each request: the server is
	// created after this, and ACL SETUSER changes them at run time.
	d.auth = raftAuth{users: func() []string {
		if s.server == nil {
			return nil
		}
		return s.server.UserLines()
	}}
	d.peerIDs = newRaftPeerIDs(s.globals.peerCredentials, s.tls.clientConfig)
	s.loop.core.EnableRaftMode()
	s.loop.raftView = d.view
	s.loop.exec = d
	s.raft = d
	if s.status != nil {
		s.status.raft = s.RaftStatus
		s.status.raftRoutes = d.routes
	}
	s.log.Info("raft mode", "node_id", e.NodeID, "bind", e.Bind, "advertise", e.AdvertiseAddr(), "peers", len(e.Peers), "data_dir", e.DataDir, "tls", s.tls.raftTLS() != nil)
	return nil
}

// Membership over HTTP, on the metrics listener: GET lists the voters,
// POST adds one, DELETE removes one. Changes (and POST /raft/snapshot)
// need the client port's credentials or, without any, loopback
// (raftauth.go). Changes go to the leader; a follower answers 409 with
// the leader.
const raftMemberBody = 1 << 10

type raftMember struct {
	ID      string `json:"id"`
	Address string `json:"address"`
}

type raftMembersReply struct {
	Leader  string       `json:"leader"`
	Members []raftMember `json:"members"`
}

func (d *raftDriver) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /raft/members", d.listMembers)
	mux.HandleFunc("POST /raft/members", d.auth.guard(d, d.addMember))
	mux.HandleFunc("DELETE /raft/members/{id}", d.auth.guard(d, d.removeMember))
	mux.HandleFunc("POST /raft/snapshot", d.auth.guard(d, d.snapshot))
}

// snapshot takes a raft snapshot on this node now (any node may).
func (d *raftDriver) snapshot(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), raftOpTimeout)
	defer cancel()
	if err := d.node.Snapshot(ctx); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	d.log.Info("raft snapshot taken")
	w.WriteHeader(http.StatusNoContent)
}

func (d *raftDriver) listMembers(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), raftOpTimeout)
	defer cancel()
	peers, err := d.node.Members(ctx)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	reply := raftMembersReply{Members: []raftMember{}}
	reply.Leader, _ = d.node.Leader()
	for _, p := range peers {
		reply.Members = append(reply.Members, raftMember{ID: p.ID, Address: p.Addr})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(reply)
}

func (d *raftDriver) addMember(w http.ResponseWriter, r *http.Request) {
	var m raftMember
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, raftMemberBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		http.Error(w, "want {\"id\": ..., \"address\": \"ip:port\"}: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := configs.CheckRaftMember(m.ID, m.Address); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), raftOpTimeout)
	defer cancel()
	d.answerChange(w, "add", m.ID, d.node.AddVoter(ctx, m.ID, m.Address))
}

func (d *raftDriver) removeMember(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctx, cancel := context.WithTimeout(r.Context(), raftOpTimeout)
	defer cancel()
	d.answerChange(w, "remove", id, d.node.RemoveServer(ctx, id))
}

func (d *raftDriver) answerChange(w http.ResponseWriter, op, id string, err error) {
	switch {
	case err == nil:
		d.log.Warn("raft membership changed", "op", op, "id", id)
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, raftmode.ErrNotLeader):
		leaderID, leaderAddr := d.node.Leader()
		http.Error(w, fmt.Sprintf("not the raft leader; the leader is %q (raft address %q): send it there", leaderID, leaderAddr), http.StatusConflict)
	case errors.Is(err, raftmode.ErrRejected):
		http.Error(w, err.Error(), http.StatusBadRequest)
	default:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	}
}
