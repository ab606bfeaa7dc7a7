package monitor_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// Raft mode in the lock-step cluster simulation: the three cores run in
// raft mode against a model of election/raftmode's replicated state (one
// leader chosen by the test, leases and switches applied by the same rules:
// one holder per epoch, a switch only from the lease holder of its epoch).
// The invariants: never two promotions, one lease holder per epoch, every
// node ends on the agreed master, and no failover without a leader.

type simRaft struct {
	w      *simWorld
	leader *simSentinel // nil: no majority, nobody leads
	term   uint64
	// The replicated state of "mymaster".
	addr        monitor.Addr
	configEpoch uint64
	leaseEpoch  uint64
	leaseHolder string
	leaseUntil  time.Time
	leaseTerm   uint64 // the raft term the lease was granted in
	highest     uint64
	// takeover: a lease of an earlier term (its holder deposed) does not
	// block a new one (ADR 0003, losing the leader mid-failover).
	takeover bool
	// holders records every granted lease: epoch -> holder.
	holders map[uint64]string
	// loseOnSwitch makes the next switch proposal fail because the
	// leader just lost leadership (nobody leads afterwards).
	loseOnSwitch bool
}

func newRaftSimWorld(t *testing.T, seed uint64) (*simWorld, *simRaft) {
	w := newSimWorld(t, seed)
	r := &simRaft{w: w, addr: monitor.Addr{Host: "10.0.0.1", Port: 6379}, holders: map[uint64]string{}}
	for _, s := range w.sentinels {
		s.core.EnableRaftMode()
	}
	w.other = r.perform
	for _, s := range w.sentinels {
		w.step(s, monitor.ConfigCommitted{At: w.now, Master: "mymaster", Addr: r.addr, Epoch: 0})
	}
	r.elect(w.sentinels[0])
	return w, r
}

// elect makes s the leader (nil: none), telling every node.
func (r *simRaft) elect(s *simSentinel) {
	r.leader = s
	r.term++
	for _, x := range r.w.sentinels {
		r.w.step(x, monitor.RaftLeadership{At: r.w.now, Leader: x == s, Term: r.term})
	}
}

// perform applies a raft action the way the driver and raftmode would.
func (r *simRaft) perform(s *simSentinel, a monitor.Action) {
	w := r.w
	now := w.now
	switch a := a.(type) {
	case monitor.RequestLease:
		granted := r.leader == s && a.Epoch > r.leaseEpoch && a.Epoch > r.configEpoch &&
			(r.leaseHolder == "" || r.leaseHolder == s.id || !now.Before(r.leaseUntil) ||
				(r.takeover && r.leaseTerm < r.term))
		if granted {
			if h, ok := r.holders[a.Epoch]; ok && h != s.id {
				w.t.Fatalf("epoch %d granted to %s and %s", a.Epoch, h, s.id)
			}
			var pred string
			if r.leaseHolder != "" && r.leaseEpoch > r.configEpoch {
				pred = r.leaseHolder
			}
			r.holders[a.Epoch] = s.id
			r.leaseEpoch, r.leaseHolder, r.leaseUntil, r.leaseTerm = a.Epoch, s.id, now.Add(10*time.Second), r.term
			r.highest = max(r.highest, a.Epoch)
			w.queue = append(w.queue, func() {
				w.step(s, monitor.LeaseGranted{At: now, Master: a.Master, Epoch: a.Epoch, Predecessor: pred})
			})
			return
		}
		in := monitor.LeaseDenied{At: now, Master: a.Master, Epoch: a.Epoch, HighestEpoch: r.highest, Reason: "refused"}
		if r.leaseHolder != "" && r.leaseHolder != s.id && now.Before(r.leaseUntil) {
			in.HeldUntil = r.leaseUntil
		}
		w.queue = append(w.queue, func() { w.step(s, in) })
	case monitor.ProposeSwitch:
		if r.loseOnSwitch {
			r.loseOnSwitch = false
			w.queue = append(w.queue, func() { r.elect(nil) },
				func() {
					w.step(s, monitor.SwitchFailed{At: now, Master: a.Master, Epoch: a.Epoch, Reason: "leadership lost"})
				})
			return
		}
		if r.leader != s || r.leaseHolder != s.id || r.leaseEpoch != a.Epoch || a.Epoch <= r.configEpoch {
			w.queue = append(w.queue, func() { w.step(s, monitor.SwitchFailed{At: now, Master: a.Master, Epoch: a.Epoch}) })
			return
		}
		r.addr, r.configEpoch = a.Addr, a.Epoch
		for _, x := range w.sentinels {
			w.queue = append(w.queue, func() {
				w.step(x, monitor.ConfigCommitted{At: now, Master: a.Master, Addr: a.Addr, Epoch: a.Epoch})
			})
		}
	}
}

// agreed checks that every node shows raft's master, no failover running.
func (r *simRaft) agreed(t *testing.T) {
	t.Helper()
	for _, s := range r.w.sentinels {
		mv := s.core.Snapshot(r.w.now).Master("mymaster")
		if mv.CurrentAddr != r.addr || mv.ConfigEpoch != r.configEpoch || mv.FailoverState != monitor.FailoverNone {
			t.Fatalf("%s shows %s epoch %d (%s); raft has %s epoch %d; all: %v",
				s.id, mv.CurrentAddr, mv.ConfigEpoch, mv.FailoverState, r.addr, r.configEpoch, r.w.views())
		}
	}
}

func TestRaftSimFailoverOnceByTheLeader(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w, r := newRaftSimWorld(t, seed)
			w.run(10 * time.Second)
			if len(w.promotions) != 0 {
				t.Fatalf("promotion without failure: %v", w.promotions)
			}
			// Leadership moves before the failure: the new leader acts.
			r.elect(w.sentinels[seed%3])
			old := r.addr
			w.nodes[old].alive = false
			w.run(30 * time.Second)
			if len(w.promotions) != 1 || !strings.HasPrefix(w.promotions[0], r.leader.id+" ") {
				t.Fatalf("promotions = %v, want exactly one, by the leader %s", w.promotions, r.leader.id)
			}
			if r.addr == old || r.configEpoch == 0 {
				t.Fatalf("raft still has %s epoch %d", r.addr, r.configEpoch)
			}
			r.agreed(t)
			for _, s := range w.sentinels {
				for _, e := range w.events[s.id] {
					if strings.HasPrefix(e, "+vote-for-leader") || strings.HasPrefix(e, monitor.EventRaftHelloIgnored) {
						t.Fatalf("%s: %q in raft mode", s.id, e)
					}
				}
			}
			// The old master returns and is turned into a replica; no
			// second failover.
			w.nodes[old].alive = true
			w.nodes[old].role = monitor.RoleMaster
			w.run(10 * time.Second)
			if n := w.nodes[old]; n.role != monitor.RoleReplica || n.masterOf != r.addr {
				t.Fatalf("old master not converted: role %s of %s", n.role, n.masterOf)
			}
			if len(w.promotions) != 1 || len(r.holders) != 1 {
				t.Fatalf("after the old master returned: promotions %v, leases %v", w.promotions, r.holders)
			}
		})
	}
}

// Without a raft leader (no majority) the master is ODOWN everywhere but
// nobody fails it over; once a leader exists, exactly one failover.
func TestRaftSimNoLeaderNoFailover(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w, r := newRaftSimWorld(t, seed)
			w.run(10 * time.Second)
			r.elect(nil)
			w.nodes[r.addr].alive = false
			w.run(20 * time.Second)
			if len(w.promotions) != 0 || len(r.holders) != 0 {
				t.Fatalf("failover without a leader: promotions %v, leases %v", w.promotions, r.holders)
			}
			for _, s := range w.sentinels {
				if mv := s.core.Snapshot(w.now).Master("mymaster"); mv.Flags&monitor.FlagODown == 0 || mv.CurrentAddr != r.addr {
					t.Fatalf("%s: flags %s, master %s", s.id, mv.Flags, mv.CurrentAddr)
				}
			}
			r.elect(w.sentinels[(seed+1)%3])
			w.run(20 * time.Second)
			if len(w.promotions) != 1 {
				t.Fatalf("promotions = %v, want one once a leader exists", w.promotions)
			}
			r.agreed(t)
		})
	}
}

// raftSimLoseAfterPromotion runs a world until a leader holds, makes the
// leader lose leadership at its next switch proposal, kills the master
// and runs for d. It returns the world, the raft stub, the leader before
// the loss and the old master's address.
func raftSimLoseAfterPromotion(t *testing.T, seed uint64, d time.Duration) (*simWorld, *simRaft, *simSentinel, monitor.Addr) {
	t.Helper()
	w, r := newRaftSimWorld(t, seed)
	w.run(10 * time.Second)
	leader, old := r.leader, r.addr
	r.loseOnSwitch = true
	w.nodes[old].alive = false
	w.run(d)
	return w, r, leader, old
}

// The leader loses leadership right after promoting: the switch stays
// uncommitted while nobody leads (every node keeps the old master), and
// commits when it leads again; still one promotion.
func TestRaftSimLeadershipLostAfterPromotion(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w, r, leader, old := raftSimLoseAfterPromotion(t, seed, 10*time.Second)
			if len(w.promotions) != 1 || r.leader != nil {
				t.Fatalf("promotions %v, leader %v: want one promotion and no leader", w.promotions, r.leader)
			}
			if r.configEpoch != 0 {
				t.Fatalf("switch committed without a leader")
			}
			for _, s := range w.sentinels {
				if mv := s.core.Snapshot(w.now).Master("mymaster"); s != leader && mv.CurrentAddr != old {
					t.Fatalf("%s switched to %s without a commit", s.id, mv.CurrentAddr)
				}
			}
			r.elect(leader)
			w.run(10 * time.Second)
			if len(w.promotions) != 1 || r.addr == old {
				t.Fatalf("promotions %v, raft master %s", w.promotions, r.addr)
			}
			r.agreed(t)
		})
	}
}

// The leader loses leadership right after promoting and another node
// leads: it waits for the old lease to expire, then finishes the
// predecessor's promotion instead of promoting a second replica.
func TestRaftSimNewLeaderFinishesPromotion(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w, r, first, _ := raftSimLoseAfterPromotion(t, seed, 3*time.Second)
			if len(w.promotions) != 1 || r.leader != nil {
				t.Fatalf("promotions %v, leader %v", w.promotions, r.leader)
			}
			next := w.sentinels[(seed+1)%3]
			if next == first {
				next = w.sentinels[(seed+2)%3]
			}
			r.elect(next)
			w.run(30 * time.Second)
			// The new leader sends REPLICAOF NO ONE again to the replica
			// already promoted (a no-op on a master), never to another.
			promoted := strings.Fields(w.promotions[0])[2]
			for _, p := range w.promotions {
				if strings.Fields(p)[2] != promoted {
					t.Fatalf("promotions = %v: two replicas promoted", w.promotions)
				}
			}
			if r.addr.String() != promoted {
				t.Fatalf("raft master %s, the promoted replica was %s", r.addr, promoted)
			}
			if len(r.holders) < 2 {
				t.Fatalf("leases %v: the new leader should have held one", r.holders)
			}
			r.agreed(t)
		})
	}
}

// With the term-bound lease (ADR 0003) the new leader takes the deposed
// leader's unexpired lease over at once and finishes its promotion within
// a few seconds, far inside the 10 s lease: still one promoted replica.
func TestRaftSimTakeoverFinishesPromotionPromptly(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w, r := newRaftSimWorld(t, seed)
			r.takeover = true
			w.run(10 * time.Second)
			first, old := r.leader, r.addr
			r.loseOnSwitch = true
			w.nodes[old].alive = false
			w.run(3 * time.Second)
			if len(w.promotions) != 1 || r.leader != nil {
				t.Fatalf("promotions %v, leader %v", w.promotions, r.leader)
			}
			next := w.sentinels[(seed+1)%3]
			if next == first {
				next = w.sentinels[(seed+2)%3]
			}
			r.elect(next)
			w.run(3 * time.Second)
			promoted := strings.Fields(w.promotions[0])[2]
			for _, p := range w.promotions {
				if strings.Fields(p)[2] != promoted {
					t.Fatalf("promotions = %v: two replicas promoted", w.promotions)
				}
			}
			if r.addr.String() != promoted || r.holders[r.configEpoch] != next.id {
				t.Fatalf("3 s after the new leader: raft master %s epoch %d (holders %v), promoted %s",
					r.addr, r.configEpoch, r.holders, promoted)
			}
			r.agreed(t)
		})
	}
}
