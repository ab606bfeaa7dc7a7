package monitor

import (
	"fmt"
	"strconv"
	"time"
)

// Raft mode's seam in the core (docs/decisions/0003-raft-mode-ownership.md).
//
// In raft mode a master's address and config epoch, and the failover lease
// for (master, epoch), are raft state held outside the core. The core still
// decides everything it decides in vote mode — SDOWN, ODOWN through
// is-master-down-by-addr, replica selection, promotion, reconfiguration —
// but:
//
//   - only the raft leader (RaftLeadership) starts a failover, with no
//     candidacy turns and no vote requests: in WAIT_START it asks for the
//     lease (RequestLease) and leaves WAIT_START only on LeaseGranted;
//   - it never votes for another sentinel (is-master-down-by-addr requests
//     with a run id get leader "*");
//   - at UPDATE_CONFIG the leader proposes the switch (ProposeSwitch) and
//     waits for it to apply; every node switches only when ConfigCommitted
//     arrives, never on a hello.

// EventRaftVoteRefused is raised (once per candidate and epoch) when a
// peer asks a raft-mode sentinel for a vote: raft-mode sentinels never ask,
// so the candidate is a stock or vote-mode sentinel trying to fail a
// master over outside raft.
const EventRaftVoteRefused = "-raft-vote-refused"

// EventRaftHelloIgnored is raised (once per peer, master and epoch) when a
// peer's hello announces a config epoch above the applied raft
// configuration and raft does not catch up within raftHelloGrace: a stock
// redis-sentinel (or a vote-mode sentinel) in a raft-mode group.
const EventRaftHelloIgnored = "-raft-hello-ignored"

// EventRaftLeadershipLost is raised when a failover past WAIT_START is
// given up because this node lost its raft leadership before REPLICAOF NO
// ONE was seen to take effect: a deposed leader sends no more REPLICAOF
// for it, so the next leader can take its lease over at once.
const EventRaftLeadershipLost = "-failover-abort-leadership-lost"

// EventRaftPredecessor is raised when our lease follows one whose switch
// never committed (its holder lost its leadership or died mid-failover):
// the replicas' roles are read afresh before one is selected, so the
// replica the predecessor may have promoted is the one we finish with.
const EventRaftPredecessor = "+raft-predecessor"

const (
	// raftLeaseRetry is the pause after a denied or unanswered lease
	// before the leader tries again in a new epoch.
	raftLeaseRetry = 500 * time.Millisecond
	// raftSwitchRetry is the pause before a failed switch proposal is made
	// again.
	raftSwitchRetry = 200 * time.Millisecond
	// raftHelloGrace is how long a hello may run ahead of the applied
	// configuration before it is reported: a follower applies a committed
	// switch one heartbeat after the leader, so our peers' hellos may
	// legitimately arrive first.
	raftHelloGrace = time.Second
	// raftRolesWait bounds the fresh look at the replicas' roles after a
	// lease that follows an unfinished one (INFO is one round trip; a
	// replica that does not answer within it is ranked on what we know).
	raftRolesWait = time.Second
)

// RaftLeadership says this node became the raft leader (after the barrier
// that makes its applied state current) or stopped being it.
type RaftLeadership struct {
	At     time.Time
	Leader bool
	Term   uint64
}

// LeaseGranted says the lease for (Master, Epoch) is ours: the entry
// committed and applied on this node (so is every entry before it).
type LeaseGranted struct {
	At     time.Time
	Master string
	Epoch  uint64
	// Predecessor, when set, is the holder of the lease this one replaced,
	// whose switch never committed: it may have promoted a replica, so the
	// replicas' roles are read afresh before one is selected.
	Predecessor string
}

// LeaseDenied says the lease for (Master, Epoch) was refused or its
// proposal failed. HighestEpoch is the highest epoch raft has seen, so the
// next attempt can go above it; HeldUntil, when set, is when another
// holder's lease expires, so the next attempt waits for it.
type LeaseDenied struct {
	At           time.Time
	Master       string
	Epoch        uint64
	HighestEpoch uint64
	HeldUntil    time.Time
	Reason       string
}

// ConfigCommitted is a master's configuration as applied by raft on this
// node: on every node after each committed switch, and once at start for
// every master raft knows.
type ConfigCommitted struct {
	At     time.Time
	Master string
	Addr   Addr
	Epoch  uint64
}

// SwitchFailed says a ProposeSwitch did not commit.
type SwitchFailed struct {
	At     time.Time
	Master string
	Epoch  uint64
	Reason string
}

func (i RaftLeadership) at() time.Time  { return i.At }
func (i LeaseGranted) at() time.Time    { return i.At }
func (i LeaseDenied) at() time.Time     { return i.At }
func (i ConfigCommitted) at() time.Time { return i.At }
func (i SwitchFailed) at() time.Time    { return i.At }

func (RaftLeadership) isInput()  {}
func (LeaseGranted) isInput()    {}
func (LeaseDenied) isInput()     {}
func (ConfigCommitted) isInput() {}
func (SwitchFailed) isInput()    {}

// RequestLease asks the raft leader's driver to commit a lease for
// (Master, Epoch) held by this node: one Apply, one commit round trip; the
// answer is LeaseGranted or LeaseDenied. The lease lasts the master's
// failover-timeout: a holder that dies mid-failover blocks a new lease
// until then.
type RequestLease struct {
	Master string
	Epoch  uint64
}

// ProposeSwitch asks the driver to commit that Addr is Master's master in
// Epoch; the result arrives as ConfigCommitted (on every node) or
// SwitchFailed.
type ProposeSwitch struct {
	Master string
	Addr   Addr
	Epoch  uint64
}

func (RequestLease) isAction()  {}
func (ProposeSwitch) isAction() {}

// RaftView is a node's view of its raft group, as INFO shows it.
type RaftView struct {
	NodeID       string
	State        string // Follower, Candidate, Leader, Shutdown
	Term         uint64
	LeaderID     string // empty when unknown
	CommitIndex  uint64
	AppliedIndex uint64
	Voters       int
	// NoMajority: this node is not in touch with a raft leader (no leader
	// known, a candidate, or no word from the leader for a while), so it
	// cannot vouch for the configuration it last applied.
	NoMajority bool
	// Peers is the raft view of the other sentinels whose node id is
	// known, by run id (SENTINEL SENTINELS; raftpeerview.go).
	Peers map[string]RaftPeerView
}

// Withholds reports whether GET-MASTER-ADDR-BY-NAME should answer null
// (as for an unknown master, so clients ask the next sentinel): in raft
// mode, while the node is cut off from the raft majority. False in vote
// mode (nil view).
func (r *RaftView) Withholds() bool { return r != nil && r.NoMajority }

// raftSeam is the core's raft-mode state; nil in vote mode.
type raftSeam struct {
	leader  bool
	term    uint64
	masters map[string]*raftMaster
}

// raftMaster is one master's raft-mode progress.
type raftMaster struct {
	leaseEpoch   uint64 // epoch of the lease last requested
	leaseAskedAt time.Time
	leaseGranted bool
	retryAt      time.Time // no new attempt before this

	switchEpoch    uint64 // epoch of the switch proposal in flight (0: none)
	switchAt       time.Time
	committedEpoch uint64 // epoch of our own switch once raft applied it

	// predecessor is the holder of the unfinished lease our granted one
	// follows ("": none), grantedAt when ours was granted.
	predecessor string
	grantedAt   time.Time
	// deferred is a committed switch held back while our own verdict on
	// the old master is pending (see raftDefers).
	deferred *ConfigCommitted

	// hellos ahead of raft: "runid epoch" -> first seen, and whether
	// reported.
	aheadSeen map[string]time.Time
	aheadSaid map[string]bool
	// voteAsked: "runid epoch" of vote requests already reported.
	voteAsked map[string]bool
}

// EnableRaftMode switches the core to raft mode. Call it once, before the
// first Step.
func (c *Core) EnableRaftMode() {
	if c.raft == nil {
		c.raft = &raftSeam{masters: make(map[string]*raftMaster)}
	}
}

// RaftMode reports whether EnableRaftMode was called.
func (c *Core) RaftMode() bool { return c.raft != nil }

func (r *raftSeam) master(name string) *raftMaster {
	st := r.masters[name]
	if st == nil {
		st = &raftMaster{aheadSeen: make(map[string]time.Time), aheadSaid: make(map[string]bool), voteAsked: make(map[string]bool)}
		r.masters[name] = st
	}
	return st
}

// validateRaftInput checks the raft inputs; any other type is unknown.
func (c *Core) validateRaftInput(in Input) error {
	var master string
	var epoch uint64
	switch in := in.(type) {
	case RaftLeadership:
	case LeaseGranted:
		master, epoch = in.Master, in.Epoch
	case LeaseDenied:
		master, epoch = in.Master, in.Epoch
	case SwitchFailed:
		master, epoch = in.Master, in.Epoch
	case ConfigCommitted:
		// A master added to raft with config epoch 0 keeps it until its
		// first switch, so 0 is valid here.
		if in.Master == "" || !validAddr(in.Addr) {
			return fmt.Errorf("%w: config committed for %q at %q", ErrBadInput, in.Master, in.Addr)
		}
		master, epoch = in.Master, 1
	default:
		return fmt.Errorf("%w: unknown input %T", ErrBadInput, in)
	}
	if c.raft == nil {
		return fmt.Errorf("%w: %T in vote mode", ErrBadInput, in)
	}
	if _, ok := in.(RaftLeadership); !ok && (master == "" || epoch == 0) {
		return fmt.Errorf("%w: %T needs a master and an epoch above 0", ErrBadInput, in)
	}
	return nil
}

// stepRaft handles the raft inputs (validated already).
func (c *Core) stepRaft(in Input) {
	switch in := in.(type) {
	case RaftLeadership:
		c.onRaftLeadership(in)
	case LeaseGranted:
		c.onLeaseGranted(in)
	case LeaseDenied:
		c.onLeaseDenied(in)
	case ConfigCommitted:
		c.onConfigCommitted(in)
	case SwitchFailed:
		if m := c.masterByName(in.Master); m != nil {
			st := c.raft.master(m.name)
			if st.switchEpoch == in.Epoch {
				st.switchEpoch = 0
			}
		}
	}
}

// adoptEpoch raises the current epoch to one raft has seen.
func (c *Core) adoptEpoch(m *master, epoch uint64) {
	if epoch > c.currentEpoch {
		c.currentEpoch = epoch
		c.flushConfig()
		c.newEpochEvent(m)
	}
}

// onRaftLeadership follows our raft leadership. Losing it — told so, or
// told we lead in a new term, so we lost it in between — ends what a
// deposed leader must not finish: a failover waiting for its lease, or
// past it but before the promotion was seen (SELECT_SLAVE,
// SEND_SLAVEOF_NOONE, WAIT_PROMOTION), is aborted, so no REPLICAOF NO ONE
// leaves after the loss. The next leader may then take the lease over at
// once (docs/decisions/0003-raft-mode-ownership.md). A failover whose
// promotion we saw goes on repointing the replicas to the replica that
// is master now (the one any next leader finishes with); its switch
// waits for whoever leads next, or our leadership back.
func (c *Core) onRaftLeadership(in RaftLeadership) {
	r := c.raft
	lost := r.leader && (!in.Leader || in.Term != r.term)
	r.leader, r.term = in.Leader, in.Term
	if !lost {
		return
	}
	for _, m := range c.masters {
		st := r.master(m.name)
		st.switchEpoch = 0
		if m.inst.flags&FlagFailoverInProgress == 0 || m.failoverState > FailoverWaitPromotion {
			continue
		}
		if m.failoverState == FailoverWaitStart {
			c.notElected(m, st, in.At)
			continue
		}
		c.event(EventRaftLeadershipLost, LevelWarning, m.inst, "")
		c.abortFailover(m, in.At)
		m.failoverStart = time.Time{}
		st.retryAt = in.At.Add(raftLeaseRetry)
	}
}

// raftMayFailover refuses SENTINEL FAILOVER on a raft follower: only the
// leader can get a lease, so the attempt could only abort.
func (c *Core) raftMayFailover() error {
	if c.raft == nil || c.raft.leader {
		return nil
	}
	return &CommandError{Code: "NOTLEADER", Msg: "raft mode: this sentinel is not the raft leader; send SENTINEL FAILOVER to the leader (/status: raft.leader_id)"}
}

// raftStartFailoverIfNeeded replaces startFailoverIfNeeded in raft mode:
// the leader starts at once when the master is ODOWN, with no candidacy
// turns (nobody else is a candidate) and no 2 × failover-timeout wait (the
// lease says who acts).
func (c *Core) raftStartFailoverIfNeeded(m *master, now time.Time) bool {
	m.candidateAt = time.Time{}
	if !c.raft.leader || m.inst.flags&FlagODown == 0 || m.inst.flags&FlagFailoverInProgress != 0 {
		return false
	}
	st := c.raft.master(m.name)
	if now.Before(st.retryAt) || st.deferred != nil {
		// A switch raft committed is held back (raftDefers): the master
		// is not ours to fail over.
		return false
	}
	if m.retryOnGoodReplica && c.selectReplica(m, now) == nil {
		return false
	}
	m.retryOnGoodReplica = false
	c.startFailover(m, now)
	return true
}

// raftStartOnODown starts the raft leader's failover as soon as a peer's
// question completes ODOWN, instead of at the next tick: in raft mode only
// the leader may start, so its own ODOWN sets the pace of every failover.
// Nothing in vote mode.
func (c *Core) raftStartOnODown(m *master, now time.Time) {
	if c.raft == nil || !c.raft.leader {
		return
	}
	if c.startFailoverIfNeeded(m, now) {
		c.askPeers(m, now, true)
	}
	c.runFailover(m, now)
}

// raftWaitStart replaces the election of WAIT_START: ask for the lease
// once per epoch, go on when it is granted, give up after the election
// timeout.
func (c *Core) raftWaitStart(m *master, now time.Time) {
	st := c.raft.master(m.name)
	if st.leaseEpoch != m.failoverEpoch {
		st.leaseEpoch = m.failoverEpoch
		st.leaseAskedAt = now
		st.leaseGranted = false
		c.act(RequestLease{Master: m.name, Epoch: m.failoverEpoch})
		return
	}
	if st.leaseGranted {
		if c.raftAwaitRoles(m, st, now) {
			return
		}
		m.leader = c.myID
		m.leaderEpoch = m.failoverEpoch
		c.event(EventElectedLeader, LevelWarning, m.inst, "")
		c.setFailoverState(m, FailoverSelectReplica, now)
		c.event(EventFailoverStateSelectSlave, LevelWarning, m.inst, "")
		return
	}
	if now.Sub(st.leaseAskedAt) > c.timers.ElectionTimeout {
		c.notElected(m, st, now)
	}
}

// notElected ends a failover attempt whose lease was not granted, as an
// election lost in vote mode ends, and sets when to ask again.
func (c *Core) notElected(m *master, st *raftMaster, now time.Time) {
	c.event(EventFailoverAbortNotElected, LevelWarning, m.inst, "")
	c.abortFailover(m, now)
	m.failoverStart = time.Time{}
	st.retryAt = now.Add(raftLeaseRetry)
}

// leaseAnswer finds the failover attempt a lease answer is for, after
// adopting the highest epoch the answer carries; nil for an unknown master
// or a late answer for an attempt already given up.
func (c *Core) leaseAnswer(name string, epoch, highest uint64) (*master, *raftMaster) {
	m := c.masterByName(name)
	if m == nil {
		return nil, nil
	}
	c.adoptEpoch(m, highest)
	st := c.raft.master(m.name)
	if m.failoverState != FailoverWaitStart || m.failoverEpoch != epoch || st.leaseEpoch != epoch {
		return nil, nil
	}
	return m, st
}

func (c *Core) onLeaseGranted(in LeaseGranted) {
	m, st := c.leaseAnswer(in.Master, in.Epoch, in.Epoch)
	if m == nil {
		return
	}
	st.leaseGranted = true
	st.grantedAt = in.At
	st.predecessor = in.Predecessor
	if in.Predecessor != "" {
		c.masterEvent(EventRaftPredecessor, LevelWarning, m, fmt.Sprintf(
			"%s epoch %d after %s's unfinished lease: reading the replicas' roles afresh", m.name, in.Epoch, in.Predecessor))
	}
	c.runFailover(m, in.At)
}

// raftAwaitRoles holds a granted lease in WAIT_START, for at most
// raftRolesWait, while it follows an unfinished lease and some replica
// that is up has no INFO taken after the grant: the predecessor may have
// promoted it since our last look. It asks such replicas for INFO now;
// each answer re-runs the state machine, and selection then prefers the
// replica that reports role:master (raftPromotedReplica). The deposed
// predecessor sent its REPLICAOF NO ONE, if at all, before it stepped
// down, and it steps down (LeaderLeaseTimeout) before a new leader can be
// elected (HeartbeatTimeout) and grant us a lease, so a role read after
// the grant shows it.
func (c *Core) raftAwaitRoles(m *master, st *raftMaster, now time.Time) bool {
	if st.predecessor == "" || now.Sub(st.grantedAt) >= raftRolesWait {
		return false
	}
	waiting := false
	for _, r := range m.replicas {
		l := r.link
		if r.flags&(FlagSDown|FlagODown) != 0 || l.disconnected || !r.infoRefresh.Before(st.grantedAt) {
			continue
		}
		waiting = true
		if !l.infoPending {
			l.infoPending = true
			l.infoSentAt = now
			c.act(Info{Target: l.addr, Master: m.name})
		}
	}
	return waiting
}

func (c *Core) onLeaseDenied(in LeaseDenied) {
	m, st := c.leaseAnswer(in.Master, in.Epoch, in.HighestEpoch)
	if m == nil {
		return
	}
	c.notElected(m, st, in.At)
	if in.HeldUntil.IsZero() && in.HighestEpoch >= in.Epoch {
		// Stale: raft has seen our epoch already (a new leader that missed
		// its predecessor's epoch). We adopted the highest one; ask again
		// above it at the next tick, not after a pause: nobody else is
		// asking, so there is no churn to damp.
		st.retryAt = in.At
	}
	if in.HeldUntil.After(st.retryAt) {
		// Another holder (a predecessor that may still be promoting) has
		// the lease: asking again before it expires only burns epochs.
		st.retryAt = in.HeldUntil
	}
}

// raftPromotedReplica is the replica a predecessor already promoted, in
// raft mode: one that reports role:master while its master is ODOWN. A
// leader that lost its leadership (or died) after REPLICAOF NO ONE but
// before its switch committed leaves one behind; the next leader must
// finish that promotion, never start a second one. Nil in vote mode.
func (c *Core) raftPromotedReplica(m *master) *instance {
	if c.raft == nil || m.inst.flags&FlagODown == 0 {
		return nil
	}
	var best *instance
	for _, r := range m.replicas {
		if r.roleReported != RoleMaster || r.flags&(FlagSDown|FlagODown) != 0 || r.link.disconnected {
			continue
		}
		if best == nil || r.offset > best.offset || (r.offset == best.offset && r.addr.String() < best.addr.String()) {
			best = r
		}
	}
	return best
}

// raftProposeSwitch proposes the switch as soon as the promotion is seen
// (RECONF_SLAVES), where vote mode's leader starts announcing the new
// configuration in its hellos: the other nodes switch when it commits,
// while the leader goes on repointing the replicas. It proposes again
// after a failure, at most every raftSwitchRetry, while it leads.
func (c *Core) raftProposeSwitch(m *master, now time.Time) {
	st := c.raft.master(m.name)
	if m.promoted == nil || st.committedEpoch == m.failoverEpoch || st.switchEpoch == m.failoverEpoch || !c.raft.leader {
		return
	}
	if !st.switchAt.IsZero() && now.Sub(st.switchAt) < raftSwitchRetry {
		return
	}
	st.switchEpoch = m.failoverEpoch
	st.switchAt = now
	c.act(ProposeSwitch{Master: m.name, Addr: m.promoted.addr, Epoch: m.failoverEpoch})
}

// raftUpdateConfig replaces the switch at UPDATE_CONFIG: the leader
// switches once its proposal has applied, and keeps proposing until then.
func (c *Core) raftUpdateConfig(m *master, now time.Time) {
	if m.promoted == nil || c.raft.master(m.name).committedEpoch == m.failoverEpoch {
		c.switchToPromoted(m, now)
		return
	}
	c.raftProposeSwitch(m, now)
}

// onConfigCommitted applies raft's configuration of a master: the config
// epoch follows raft, and a new address is +switch-master on every node
// (on the leader once its failover reaches UPDATE_CONFIG).
func (c *Core) onConfigCommitted(in ConfigCommitted) {
	m := c.masterByName(in.Master)
	if m == nil {
		return
	}
	c.adoptEpoch(m, in.Epoch)
	st := c.raft.master(m.name)
	st.deferred = nil
	if c.addrIs(in.Addr, m.inst.addr) {
		if m.configEpoch != in.Epoch {
			m.configEpoch = in.Epoch
			c.flushConfig()
		}
		return
	}
	if m.inst.flags&FlagFailoverInProgress != 0 && m.promoted != nil && m.failoverEpoch == in.Epoch &&
		m.failoverState >= FailoverReconfReplicas && c.addrIs(in.Addr, m.promoted.addr) {
		// Our own switch applied: finish as vote mode finishes, after the
		// replicas are repointed.
		st.switchEpoch = 0
		st.committedEpoch = in.Epoch
		m.configEpoch = in.Epoch
		c.flushConfig()
		c.runFailover(m, in.At)
		return
	}
	if c.raftDefers(m, st, in) {
		return
	}
	if m.inst.flags&FlagFailoverInProgress != 0 && m.failoverState <= FailoverWaitPromotion {
		c.abortFailover(m, in.At)
	}
	st.switchEpoch = 0
	from := c.announced(m.inst.addr)
	m.configEpoch = in.Epoch
	c.flushConfig()
	c.switchMaster(m, in.Addr, in.At)
	c.act(RunClientReconfigScript{Master: m.name, Role: "observer", State: "start", From: from, To: c.announced(m.inst.addr)})
}

// raftDefers holds back a committed switch to a new address while our own
// verdict on the old one is pending, as deferSwitch holds back a hello in
// vote mode: a hung master is seen down by the sentinels up to a PING
// period apart, and a fast leader's switch commits before the last of them
// is SDOWN; applying it then would give that node's subscribers
// +switch-master without +sdown and +odown. The switch is applied at the
// first tick after our verdict (at most down-after later); meanwhile this
// node starts no failover of that master. Never in TILT.
func (c *Core) raftDefers(m *master, st *raftMaster, in ConfigCommitted) bool {
	if c.tilt || !c.verdictPending(m, in.At) {
		return false
	}
	st.deferred = &in
	return true
}

// raftApplyDeferred applies a switch raftDefers held back once our verdict
// on the old master is in. Nothing in vote mode.
func (c *Core) raftApplyDeferred(m *master, now time.Time) {
	if c.raft == nil {
		return
	}
	st := c.raft.masters[m.name]
	if st == nil || st.deferred == nil || c.verdictPending(m, now) {
		return
	}
	in := *st.deferred
	st.deferred = nil
	in.At = now
	c.onConfigCommitted(in)
}

// raftRefusesVote is called for an is-master-down-by-addr request that
// asks for a vote. In vote mode it returns false (the vote may be cast).
// In raft mode nobody votes: it returns true and reports the candidate
// once per epoch.
func (c *Core) raftRefusesVote(m *master, req IsMasterDownRequest) bool {
	if c.raft == nil {
		return false
	}
	st := c.raft.master(m.name)
	key := req.RunID + " " + strconv.FormatUint(req.CurrentEpoch, 10)
	if firstTime(st.voteAsked, key, c.limits.MaxSentinels) {
		c.masterEvent(EventRaftVoteRefused, LevelWarning, m, fmt.Sprintf(
			"%s %s epoch %d: raft mode never votes; a stock or vote-mode sentinel in a raft group?",
			m.name, req.RunID, req.CurrentEpoch))
	}
	return true
}

// raftIgnoresHello is called for a hello whose config epoch is above
// ours. In vote mode it returns false (the hello may switch the master).
// In raft mode hellos never change the configuration: it returns true and,
// if raft has not caught up raftHelloGrace after the first such hello
// from that peer for that epoch, reports it once.
func (c *Core) raftIgnoresHello(m *master, si *instance, h Hello, now time.Time) bool {
	if c.raft == nil {
		return false
	}
	si.lastHello = now
	st := c.raft.master(m.name)
	key := si.runID + " " + strconv.FormatUint(h.MasterConfigEpoch, 10)
	first, seen := st.aheadSeen[key]
	if !seen {
		if len(st.aheadSeen) >= c.limits.MaxSentinels {
			clear(st.aheadSeen)
		}
		st.aheadSeen[key] = now
		return true
	}
	if now.Sub(first) >= raftHelloGrace && firstTime(st.aheadSaid, key, c.limits.MaxSentinels) {
		c.event(EventRaftHelloIgnored, LevelWarning, si,
			fmt.Sprintf("config-epoch %d for %s (applied %d): raft mode ignores hellos; a stock or vote-mode sentinel in a raft group?",
				h.MasterConfigEpoch, c.announced(h.MasterAddr).String(), m.configEpoch))
	}
	return true
}

// firstTime adds key to set and reports whether it was not there yet.
// A set holding limit keys is cleared first, so it stays bounded (a key
// forgotten that way may be reported again).
func firstTime(set map[string]bool, key string, limit int) bool {
	if set[key] {
		return false
	}
	if len(set) >= limit {
		clear(set)
	}
	set[key] = true
	return true
}
