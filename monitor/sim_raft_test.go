package monitor_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// The seeded discrete-event simulation of sim_liveness_test.go, in raft
// mode. The world is the same (three real cores, a master and two
// replicas, per-message latency, the master crashing or hanging anywhere in
// a 12 s window, a sentinel or a replica maybe crashing first), and so are
// its checks; raft is added as a model of what election/raftmode and the
// supervisor's driver give the core:
//
//   - a linearizable log with one leader per term. An Apply on the leader
//     commits after raftCommitMin–raftCommitMax (fsync and a round trip)
//     and is applied by the lease/switch rules of election/raftmode's
//     state machine; an Apply on a node that does not lead fails at once;
//   - the leader can crash (the whole sentinel dies) or be cut off from
//     raft alone (it still talks to the data nodes and the other
//     sentinels' command ports, and still sends REPLICAOF while it
//     believes it leads). A cut-off leader steps down raftLeaderLease
//     after its last contact with the majority (LeaderLeaseTimeout); the
//     majority elects a new leader raftHeartbeat–2×raftHeartbeat after
//     its last contact (HeartbeatTimeout, randomised as hashicorp/raft
//     does), and the new leader's barrier commits what the old one had
//     already replicated: an entry in flight at the loss is committed by
//     the next leader half of the time (its proposer was told it failed);
//   - a cut-off node learns nothing from raft until the partition heals
//     (after raftHealMin–raftHealMax), then catches up.
//
// The leader is lost (in a third of the schedules with no sentinel crashed
// first) at a random moment around the kill, just after its lease is
// granted (around its REPLICAOF NO ONE), or while its switch proposal is
// in flight.
//
// Invariants, besides those of the vote-mode simulation: at most one lease
// holder per (master, epoch), as the state machine granted it and as the
// cores were told; REPLICAOF NO ONE to at most one replica (the new leader
// may send it again to the replica already promoted: a no-op); every live
// node publishes +switch-master once the switch commits, a node cut off
// from raft once it is back; and liveness: the first +switch-master within
// livenessBound of the first +odown when the raft leader is not lost, and
// within raftLossBound when it is (see there).
//
// A failing schedule is replayed with
//
//	go test -run 'TestSimRaft/seed=123$' -v ./monitor/ -sim.schedules=123

var simRaftNoTakeover = flag.Bool("sim.raft.no-takeover", false,
	"TestSimRaft models the lease rule without takeover: a lease of a deposed leader blocks a new one until it expires")

const (
	// The supervisor's raft timing (monitor/supervisor/raft.go).
	raftHeartbeat   = 500 * time.Millisecond // HeartbeatTimeout
	raftLeaderLease = 250 * time.Millisecond // LeaderLeaseTimeout
	raftCommitMin   = 2 * time.Millisecond
	raftCommitMax   = 15 * time.Millisecond
	// raftNotify bounds the driver's delivery of a raft event to the loop.
	raftNotify = 5 * time.Millisecond
	// raftHealMin, raftHealMax: how long a partition lasts.
	raftHealMin = time.Second
	raftHealMax = 8 * time.Second
	// raftLossBound is the liveness bound of a schedule that loses the
	// raft leader: livenessBound, plus the most the majority waits
	// before a candidacy (2 × HeartbeatTimeout: hashicorp/raft randomises
	// it in [1, 2) × HeartbeatTimeout), plus the vote, the barrier and
	// the new lease (three commits), plus the fresh look at the replicas'
	// roles a lease after an unfinished one takes (at most
	// raftRolesWait). Split votes are not modelled (one candidate wins),
	// nor are lost leaders between the start of a new leader's failover
	// and its end more than once.
	raftLossBound = livenessBound + 2*raftHeartbeat + 3*raftCommitMax + raftRolesWait
	// raftRolesWait mirrors the core's wait for fresh roles after an
	// unfinished predecessor's lease (monitor/raftseam.go).
	raftRolesWait = time.Second
)

// Raft fault kinds.
const (
	raftFaultNone   = ""
	raftFaultTime   = "at a moment"  // at killAfter + faultAt
	raftFaultGrant  = "after grant"  // faultAt after the leader's lease is granted
	raftFaultSwitch = "at switch"    // as the leader proposes its switch
	raftFaultDrop   = "dropped lead" // the DES's sentinel crash hit the leader
)

type raftSchedule struct {
	kind    string
	crash   bool          // the leader crashes; else it is cut off from raft
	faultAt time.Duration // raftFaultTime: after the kill (may be negative); raftFaultGrant: after the grant
	heal    time.Duration // a cut-off leader is back after this long
	// hangReplica: replica 10.0.0.1:6380 hangs with the master, so the
	// leader's selection waits (up to 1 s) for its INFO: a leader lost in
	// that wait would promote after it stepped down but for the core's
	// leadership rule.
	hangReplica bool
}

func drawRaftSchedule(seed uint64, sch simSchedule) raftSchedule {
	rng := rand.New(rand.NewPCG(seed, 0x4a57))
	var rs raftSchedule
	if strings.HasPrefix(sch.drop, "s") {
		return rs // a sentinel already crashed: losing another leaves no majority
	}
	switch rng.IntN(6) {
	case 0:
		rs.kind, rs.faultAt = raftFaultTime, time.Duration(rng.Int64N(int64(5*time.Second)))-time.Second
	case 1:
		rs.kind, rs.faultAt = raftFaultGrant, time.Duration(rng.Int64N(int64(60*time.Millisecond)))
	case 2:
		rs.kind = raftFaultSwitch
	default:
		return rs
	}
	rs.crash = rng.IntN(2) == 0
	rs.heal = raftHealMin + time.Duration(rng.Int64N(int64(raftHealMax-raftHealMin)))
	rs.hangReplica = sch.drop == "" && rng.IntN(3) == 0
	return rs
}

func (rs raftSchedule) String() string {
	if rs.kind == raftFaultNone {
		return "raft leader kept"
	}
	if rs.hangReplica {
		rs.hangReplica = false
		return rs.String() + "; replica 10.0.0.1:6380 hangs with the master"
	}
	how := fmt.Sprintf("cut off from raft for %v", rs.heal.Round(time.Millisecond))
	if rs.crash {
		how = "crashes"
	}
	switch rs.kind {
	case raftFaultTime:
		return fmt.Sprintf("raft leader %s %v after the kill", how, rs.faultAt.Round(time.Millisecond))
	case raftFaultGrant:
		return fmt.Sprintf("raft leader %s %v after its lease is granted", how, rs.faultAt.Round(time.Millisecond))
	}
	return "raft leader " + how + " " + rs.kind
}

type raftEntry struct {
	from  int
	term  uint64
	at    time.Duration // proposal time: the lease's At
	lease *monitor.RequestLease
	sw    *monitor.ProposeSwitch
}

type raftLease struct {
	epoch   uint64
	holder  int // -1: none
	term    uint64
	expires time.Duration
}

type raftGrant struct {
	epoch  uint64
	holder int
	at     time.Duration
}

// desRaft is the raft group and its replicated state of "mymaster".
type desRaft struct {
	w        *desWorld
	rng      *rand.Rand
	sch      raftSchedule
	takeover bool

	term    uint64
	leader  int // the majority's leader; -1 while there is none
	deposed int // a cut-off leader that has not stepped down yet; -1: none
	cut     [3]bool
	// lastDelivery: per node, the time of the last raft input scheduled.
	lastDelivery [3]time.Duration
	electing     bool // an election is scheduled
	faulted      bool
	lostAt       time.Duration // when the leader was lost (-1: never)
	inflight     []*raftEntry  // the leader's entries not committed yet
	hanging      []*raftEntry  // the deposed leader's entries, failed at step-down
	carried      []*raftEntry  // replicated before the loss: the next leader commits them

	// The replicated state.
	addr        monitor.Addr
	configEpoch uint64
	lease       raftLease
	highest     uint64
	grants      []raftGrant
	told        map[uint64][]int // epoch -> sentinels told LeaseGranted
	takeovers   int              // leases granted over an unexpired one
	armed       bool             // settled ran
}

func newDesRaft(w *desWorld, rs raftSchedule, seed uint64, takeover bool) *desRaft {
	r := &desRaft{
		w: w, rng: rand.New(rand.NewPCG(seed, 0x7afe)), sch: rs, takeover: takeover,
		leader: -1, deposed: -1, lostAt: -1, addr: simOldMaster,
		lease: raftLease{holder: -1}, told: map[uint64][]int{},
	}
	w.other = r.perform
	for _, p := range w.peers {
		p.core.EnableRaftMode()
		w.step(p, monitor.ConfigCommitted{At: w.when(w.now), Master: simMasterName, Addr: simOldMaster, Epoch: 0})
	}
	r.electing = true
	w.schedule(w.now+300*time.Millisecond+time.Duration(r.rng.Int64N(int64(700*time.Millisecond))), r.elect)
	return r
}

func (r *desRaft) note(format string, args ...any) {
	r.w.note("raft: "+format, args...)
}

func (r *desRaft) commitDelay() time.Duration {
	return raftCommitMin + time.Duration(r.rng.Int64N(int64(raftCommitMax-raftCommitMin)+1))
}

func (r *desRaft) notifyDelay() time.Duration {
	return time.Duration(r.rng.Int64N(int64(raftNotify) + 1))
}

// deliver hands in to sentinel i's core at at (dropped if it is dead by
// then, as its driver would be), never before what was handed to it
// earlier: a node applies raft's entries in log order, and its driver
// delivers what they produce in that order.
func (r *desRaft) deliver(i int, at time.Duration, in func(at time.Time) monitor.Input) {
	w := r.w
	at = max(at, r.lastDelivery[i])
	r.lastDelivery[i] = at
	w.schedule(at, func() { w.step(w.peers[i], in(w.when(at))) })
}

// settled arms the schedule's fault once the group has settled.
func (r *desRaft) settled() {
	w := r.w
	if strings.HasPrefix(w.sch.drop, "s") {
		w.schedule(w.settledAt+w.sch.dropAfter, func() {
			for _, p := range w.peers {
				if p.id == w.sch.drop && p.idx == r.leader {
					r.sch.kind, r.sch.crash = raftFaultDrop, true
					r.lose(true)
				}
			}
		})
	}
	if r.sch.hangReplica {
		w.schedule(w.killAt, func() {
			n := w.nodeAt[monitor.Addr{Host: "10.0.0.1", Port: 6380}]
			w.note("replica %s hangs", n.addr)
			n.hung = true
			w.stop(n)
		})
	}
	if r.sch.kind == raftFaultTime {
		w.schedule(max(w.settledAt, w.killAt+r.sch.faultAt), r.fault)
	}
}

// fault loses the leader as the schedule says, once.
func (r *desRaft) fault() {
	if r.faulted || r.leader < 0 {
		return
	}
	r.faulted = true
	i := r.leader
	if r.sch.crash {
		r.note("leader %s crashes", r.w.peers[i].id)
		r.w.peers[i].alive = false
		r.w.checkAllSwitched()
	} else {
		r.note("leader %s cut off from raft", r.w.peers[i].id)
		r.cut[i] = true
		r.w.schedule(r.w.now+r.sch.heal, func() { r.heal(i) })
	}
	r.lose(r.sch.crash)
}

// lose: the majority has lost its leader (crashed or cut off).
func (r *desRaft) lose(crashed bool) {
	w := r.w
	old := r.leader
	r.leader = -1
	if r.lostAt < 0 {
		r.lostAt = w.now
	}
	var failed []*raftEntry
	for _, e := range r.inflight {
		if r.rng.IntN(2) == 0 {
			r.carried = append(r.carried, e)
		}
		failed = append(failed, e)
	}
	r.inflight = nil
	if !crashed {
		r.deposed = old
		r.hanging = failed
		term := r.term
		down := w.now + raftLeaderLease + time.Duration(r.rng.Int64N(int64(raftLeaderLease/5)))
		w.schedule(down, func() {
			r.note("%s steps down (term %d)", w.peers[old].id, term)
			r.deposed = -1
			at := w.now + r.notifyDelay()
			r.deliver(old, at, func(t time.Time) monitor.Input { return monitor.RaftLeadership{At: t, Leader: false, Term: term} })
			for _, e := range r.hanging {
				r.fail(e, "leadership lost", at)
			}
			r.hanging = nil
		})
	}
	if !r.electing {
		r.electing = true
		w.schedule(w.now+raftHeartbeat+time.Duration(r.rng.Int64N(int64(raftHeartbeat))), r.elect)
	}
}

// elect makes one node of the majority leader, if there is a majority.
func (r *desRaft) elect() {
	w := r.w
	r.electing = false
	var elig []int
	for i, p := range w.peers {
		if p.alive && !r.cut[i] {
			elig = append(elig, i)
		}
	}
	if len(elig) < 2 {
		r.note("no majority: no leader")
		return
	}
	n := elig[r.rng.IntN(len(elig))]
	r.term++
	r.leader = n
	term := r.term
	// The vote, then the barrier: what the old leader replicated commits
	// first; then the core hears of its leadership.
	at := w.now + r.commitDelay() + r.commitDelay()
	w.schedule(at, func() {
		if r.leader != n || r.term != term {
			return
		}
		for _, e := range r.carried {
			r.apply(e, false)
		}
		r.carried = nil
		r.note("%s leads (term %d)", w.peers[n].id, term)
		for _, i := range elig {
			lead := i == n
			r.deliver(i, w.now+r.notifyDelay(), func(t time.Time) monitor.Input {
				return monitor.RaftLeadership{At: t, Leader: lead, Term: term}
			})
		}
	})
}

// heal brings a cut-off node back: it catches up, and an election runs if
// the majority had none.
func (r *desRaft) heal(i int) {
	w := r.w
	r.cut[i] = false
	if !w.peers[i].alive {
		return
	}
	r.note("%s back in raft", w.peers[i].id)
	addr, epoch, term := r.addr, r.configEpoch, r.term
	at := w.now + r.commitDelay()
	r.deliver(i, at, func(t time.Time) monitor.Input {
		return monitor.ConfigCommitted{At: t, Master: simMasterName, Addr: addr, Epoch: epoch}
	})
	r.deliver(i, at, func(t time.Time) monitor.Input { return monitor.RaftLeadership{At: t, Leader: false, Term: term} })
	if r.leader < 0 && !r.electing {
		r.electing = true
		w.schedule(w.now+raftHeartbeat, r.elect)
	}
}

// perform is the driver: RequestLease and ProposeSwitch become Applies.
func (r *desRaft) perform(p *desSentinel, a monitor.Action) {
	w := r.w
	e := &raftEntry{from: p.idx, term: r.term, at: w.now}
	switch a := a.(type) {
	case monitor.RequestLease:
		e.lease = &a
	case monitor.ProposeSwitch:
		e.sw = &a
	default:
		return
	}
	switch {
	case p.idx == r.deposed:
		r.hanging = append(r.hanging, e) // no majority to commit it
	case p.idx != r.leader:
		r.fail(e, "not the leader", w.now+time.Millisecond)
	default:
		r.inflight = append(r.inflight, e)
		w.schedule(w.now+r.commitDelay(), func() { r.commit(e) })
		if e.sw != nil && r.sch.kind == raftFaultSwitch {
			r.fault()
		}
	}
}

func (r *desRaft) commit(e *raftEntry) {
	if !slices.Contains(r.inflight, e) {
		return // lost with its leader
	}
	r.inflight = slices.DeleteFunc(r.inflight, func(x *raftEntry) bool { return x == e })
	r.apply(e, true)
}

// fail tells the proposer its entry did not commit.
func (r *desRaft) fail(e *raftEntry, why string, at time.Duration) {
	if e.lease != nil {
		l, highest := *e.lease, r.highest
		r.deliver(e.from, at, func(t time.Time) monitor.Input {
			return monitor.LeaseDenied{At: t, Master: l.Master, Epoch: l.Epoch, HighestEpoch: highest, Reason: why}
		})
		return
	}
	s := *e.sw
	r.deliver(e.from, at, func(t time.Time) monitor.Input {
		return monitor.SwitchFailed{At: t, Master: s.Master, Epoch: s.Epoch, Reason: why}
	})
}

// apply is election/raftmode's state machine for the entry; answer says
// whether its proposer hears the result (it committed in its term, while
// it leads).
func (r *desRaft) apply(e *raftEntry, answer bool) {
	w := r.w
	at := w.now + r.notifyDelay()
	if e.sw != nil {
		s := *e.sw
		if s.Epoch <= r.configEpoch || r.lease.epoch != s.Epoch || r.lease.holder != e.from {
			if answer {
				r.fail(e, "refused", at)
			}
			return
		}
		r.addr, r.configEpoch = s.Addr, s.Epoch
		r.highest = max(r.highest, s.Epoch)
		r.note("switch to %s epoch %d committed (by %s)", s.Addr, s.Epoch, w.peers[e.from].id)
		for i, p := range w.peers {
			if !p.alive || r.cut[i] {
				continue
			}
			d := at
			if i != e.from {
				d = w.now + r.commitDelay() // the barrier behind the switch carries it
			}
			r.deliver(i, d, func(t time.Time) monitor.Input {
				return monitor.ConfigCommitted{At: t, Master: s.Master, Addr: s.Addr, Epoch: s.Epoch}
			})
		}
		return
	}
	l := *e.lease
	old := r.lease
	renewal := l.Epoch == old.epoch && e.from == old.holder
	var reason string
	var heldUntil time.Duration
	switch {
	case renewal:
	case l.Epoch <= old.epoch || l.Epoch <= r.configEpoch:
		reason = "stale epoch"
	case old.holder >= 0 && old.holder != e.from && e.at < old.expires && !(r.takeover && old.term < e.term):
		reason, heldUntil = "held", old.expires
	}
	if reason != "" {
		if answer {
			highest := r.highest
			r.deliver(e.from, at, func(t time.Time) monitor.Input {
				in := monitor.LeaseDenied{At: t, Master: l.Master, Epoch: l.Epoch, HighestEpoch: highest, Reason: reason}
				if heldUntil > 0 {
					in.HeldUntil = w.when(heldUntil)
				}
				return in
			})
		}
		return
	}
	var pred string
	if !renewal {
		if old.holder >= 0 && old.holder != e.from && e.at < old.expires {
			r.takeovers++
			r.note("lease epoch %d to %s takes over %s's (epoch %d, term %d)", l.Epoch, w.peers[e.from].id, w.peers[old.holder].id, old.epoch, old.term)
		}
		if old.holder >= 0 && old.epoch > r.configEpoch {
			pred = w.peers[old.holder].runID
		}
		r.lease = raftLease{epoch: l.Epoch, holder: e.from, term: e.term, expires: e.at + simFailoverTimeout}
		r.highest = max(r.highest, l.Epoch)
		r.grants = append(r.grants, raftGrant{epoch: l.Epoch, holder: e.from, at: w.now})
		r.note("lease epoch %d granted to %s (term %d)", l.Epoch, w.peers[e.from].id, e.term)
	}
	if !answer {
		return
	}
	r.told[l.Epoch] = append(r.told[l.Epoch], e.from)
	r.deliver(e.from, at, func(t time.Time) monitor.Input {
		return monitor.LeaseGranted{At: t, Master: l.Master, Epoch: l.Epoch, Predecessor: pred}
	})
	if r.sch.kind == raftFaultGrant {
		w.schedule(at+r.sch.faultAt, r.fault)
	}
}

// Raft problem kinds.
const (
	kindTwoHolders  = "two-lease-holders"
	kindStaleHolder = "promotion-by-a-stale-holder"
)

// runSimRaftSchedule runs one raft-mode schedule; ok is false for a
// harness failure before the world existed.
func runSimRaftSchedule(seed uint64, takeover bool) (*desWorld, *desRaft, simResult) {
	rng := rand.New(rand.NewPCG(seed, 0x51e7e1))
	sch := drawSchedule(seed, rng)
	w, err := newDesWorld(sch, rng)
	if err != nil {
		return &desWorld{sch: sch, err: err, settledAt: -1}, nil, simResult{
			problems:         []simProblem{{kindHarness, err.Error()}},
			odownAfterExpiry: simNone, switchAfterODown: simNone, switchAfterExp: simNone, allAfterExp: simNone,
		}
	}
	r := newDesRaft(w, drawRaftSchedule(seed, sch), seed, takeover)
	// As w.run, but the raft faults are armed at the settle point.
	for len(w.queue) > 0 && w.err == nil && w.queue[0].at <= w.end {
		it := w.pop()
		w.now = it.at
		it.fn()
		if w.settledAt >= 0 && !r.armed {
			r.armed = true
			r.settled()
		}
	}
	return w, r, r.check()
}

// check runs the vote-mode checks with raft's reading of them, then the
// raft invariants.
func (r *desRaft) check() simResult {
	w := r.w
	all := w.promotions
	// The new leader re-sends REPLICAOF NO ONE to the replica already
	// promoted (a no-op): promotions count by target.
	var targets []string
	var distinct []string
	for _, p := range all {
		f := strings.Fields(p)
		// "s1 sent REPLICAOF NO ONE to 10.0.0.1:6380 at 3.293s"
		if len(f) == 9 && !slices.Contains(targets, f[6]) {
			targets = append(targets, f[6])
			distinct = append(distinct, p)
		}
	}
	w.promotions = distinct
	res := w.check()
	w.promotions = all
	if r.sch.hangReplica {
		// A hung replica cannot be repointed: not a convergence failure.
		res.problems = slices.DeleteFunc(res.problems, func(p simProblem) bool {
			return p.kind == kindConverge && strings.HasPrefix(p.text, "CONVERGENCE: replica 10.0.0.1:6380 ")
		})
	}
	add := func(kind, format string, args ...any) {
		res.problems = append(res.problems, simProblem{kind, fmt.Sprintf(format, args...)})
	}
	if r.lostAt >= 0 {
		// The leader was lost: the bound is raftLossBound.
		res.problems = slices.DeleteFunc(res.problems, func(p simProblem) bool {
			return p.kind == kindSlow || strings.HasPrefix(p.kind, "cause:")
		})
		if res.switchAfterODown != simNone && res.switchAfterODown > raftLossBound {
			add(kindSlow, "LIVENESS: first +switch-master %v after the first +odown (bound with a lost raft leader %v); %s",
				res.switchAfterODown.Round(time.Millisecond), raftLossBound, r.sch)
		}
	}
	for epoch, who := range r.told {
		if len(who) > 1 {
			add(kindTwoHolders, "SAFETY: lease epoch %d told granted to %v", epoch, who)
		}
	}
	seen := map[uint64]int{}
	for _, g := range r.grants {
		if h, ok := seen[g.epoch]; ok && h != g.holder {
			add(kindTwoHolders, "SAFETY: lease epoch %d granted to s%d and s%d", g.epoch, h+1, g.holder+1)
		}
		seen[g.epoch] = g.holder
	}
	// Every REPLICAOF NO ONE comes from the holder of the newest lease
	// granted before it.
	for _, p := range all {
		f := strings.Fields(p)
		var at float64
		if len(f) != 9 {
			continue
		}
		if _, err := fmt.Sscanf(f[8], "%fs", &at); err != nil {
			add(kindHarness, "promotion record %q: %v", p, err)
		}
		sent := time.Duration(at * float64(time.Second))
		holder := -1
		for _, g := range r.grants {
			if g.at.Round(time.Millisecond) <= sent.Round(time.Millisecond) {
				holder = g.holder
			}
		}
		if holder < 0 || w.peers[holder].id != f[0] {
			add(kindStaleHolder, "SAFETY: %s, not the newest lease holder then", p)
		}
	}
	return res
}

// TestSimRaft runs the raft-mode schedules; each is a subtest named seed=N.
func TestSimRaft(t *testing.T) {
	n := *simSchedules
	if n <= 0 {
		n = 2000
		if testing.Short() {
			n = 300
		}
	}
	stats := &simStats{
		byKind: map[string]*[2]int{}, examples: map[string][]uint64{},
		notes: map[string]*[2]int{}, noteSeeds: map[string][]uint64{},
	}
	var reported, lost, takeovers atomic.Int32
	var lostMu sync.Mutex
	var lostSwitch []time.Duration // first +switch-master after first +odown, leader lost
	seeds := make(chan uint64)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for seed := range seeds {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					w, r, res := runSimRaftSchedule(seed, !*simRaftNoTakeover)
					stats.add(w.sch, res)
					if r != nil && r.lostAt >= 0 {
						lost.Add(1)
						if res.switchAfterODown != simNone {
							lostMu.Lock()
							lostSwitch = append(lostSwitch, res.switchAfterODown)
							lostMu.Unlock()
						}
					}
					if r != nil {
						takeovers.Add(int32(r.takeovers))
					}
					if len(res.problems) == 0 {
						if *simLog {
							t.Logf("%s", r.dump())
						}
						return
					}
					var msg strings.Builder
					fmt.Fprintf(&msg, "%s; %s\n", w.sch, r.sch)
					for _, p := range res.problems {
						fmt.Fprintf(&msg, "  [%s] %s\n", p.kind, p.text)
					}
					fmt.Fprintf(&msg, "replay: go test -run 'TestSimRaft/seed=%d$' -v ./monitor/ -sim.schedules=%d", seed, seed)
					if reported.Add(1) <= 3 || *simLog {
						fmt.Fprintf(&msg, "\n%s", r.dump())
					}
					t.Error(msg.String())
				})
			}
		})
	}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		seeds <- seed
	}
	close(seeds)
	wg.Wait()
	if stats.runs[0]+stats.runs[1] == 0 {
		return
	}
	summary := fmt.Sprintf("raft mode (takeover %v): %d schedules lost the raft leader, %d leases taken over\n"+
		"  lost leader, first +switch-master after first +odown: %s (bound %v)\n%s",
		!*simRaftNoTakeover, lost.Load(), takeovers.Load(), simDist(lostSwitch), raftLossBound, stats)
	t.Logf("%s", summary)
	if *simSchedules > 0 {
		fmt.Fprintf(os.Stdout, "TestSimRaft: %s", summary)
	}
}

func (r *desRaft) dump() string {
	if r == nil {
		return ""
	}
	return r.sch.String() + "\n" + r.w.dump() + "promotions: " + strings.Join(r.w.promotions, "; ") + "\n"
}

// TestSimRaftChecks_CatchViolations feeds the raft checks hand-made runs,
// one per invariant, and wants each violation reported.
func TestSimRaftChecks_CatchViolations(t *testing.T) {
	const (
		sdown = "master mymaster 10.0.0.1 6379"
		odown = "master mymaster 10.0.0.1 6379 #quorum 2/2"
		swtch = "mymaster 10.0.0.1 6379 10.0.0.1 6380"
	)
	ms := time.Millisecond
	cases := []struct {
		name string
		edit func(r *desRaft)
		want string // "" : no problem
	}{
		{"fine", func(*desRaft) {}, ""},
		{"the same replica promoted again by the next holder", func(r *desRaft) {
			r.grants = append(r.grants, raftGrant{epoch: 2, holder: 1, at: 11500 * ms})
			r.w.promotions = append(r.w.promotions, "s2 sent REPLICAOF NO ONE to 10.0.0.1:6380 at 11.500s")
		}, ""},
		{"two replicas promoted", func(r *desRaft) {
			r.grants = append(r.grants, raftGrant{epoch: 2, holder: 1, at: 11500 * ms})
			r.w.promotions = append(r.w.promotions, "s2 sent REPLICAOF NO ONE to 10.0.0.1:6381 at 11.500s")
		}, kindTwoPromote},
		{"a promotion by a stale holder", func(r *desRaft) {
			r.grants = append(r.grants, raftGrant{epoch: 2, holder: 1, at: 11200 * ms})
			r.w.promotions = append(r.w.promotions, "s1 sent REPLICAOF NO ONE to 10.0.0.1:6380 at 11.250s")
		}, kindStaleHolder},
		{"two cores told they hold one epoch", func(r *desRaft) { r.told[1] = append(r.told[1], 2) }, kindTwoHolders},
		{"one epoch granted twice", func(r *desRaft) {
			r.grants = append(r.grants, raftGrant{epoch: 1, holder: 2, at: 11100 * ms})
		}, kindTwoHolders},
		{"too slow with a lost leader", func(r *desRaft) {
			r.lostAt = 11 * time.Second
			for _, p := range r.w.peers {
				for k := range p.log {
					if p.log[k].typ == "+switch-master" {
						p.log[k].at = 17 * time.Second
					}
				}
				p.switchedAt = 17 * time.Second
			}
		}, kindSlow},
		{"slow but within the lost-leader bound", func(r *desRaft) {
			r.lostAt = 11 * time.Second
			for _, p := range r.w.peers {
				for k := range p.log {
					if p.log[k].typ == "+switch-master" {
						p.log[k].at = 14 * time.Second
					}
				}
				p.switchedAt = 14 * time.Second
			}
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := newDesWorld(simSchedule{seed: 1}, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			r := &desRaft{w: w, leader: -1, deposed: -1, lostAt: -1, told: map[uint64][]int{1: {0}}}
			w.settledAt, w.killAt, w.now = time.Second, 10*time.Second, 20*time.Second
			r.grants = []raftGrant{{epoch: 1, holder: 0, at: 11100 * ms}}
			w.promotions = []string{"s1 sent REPLICAOF NO ONE to 10.0.0.1:6380 at 11.110s"}
			w.promoted = monitor.Addr{Host: "10.0.0.1", Port: 6380}
			for _, p := range w.peers {
				p.log = []simLogLine{{11 * time.Second, "+sdown", sdown}, {11050 * ms, "+odown", odown}, {11300 * ms, "+switch-master", swtch}}
				p.switchedAt = 11300 * ms
			}
			tc.edit(r)
			res := r.check()
			var kinds []string
			for _, p := range res.problems {
				if p.kind != kindConverge { // the cores never ran
					kinds = append(kinds, p.kind)
				}
			}
			switch {
			case tc.want == "" && len(kinds) > 0:
				t.Fatalf("problems on a good run: %v", res.problems)
			case tc.want != "" && !slices.Contains(kinds, tc.want):
				t.Fatalf("want a %s problem, got %v", tc.want, res.problems)
			}
		})
	}
}
