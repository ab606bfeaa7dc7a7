package monitor_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// This file runs three cores against a simulated network of data nodes and
// checks the whole protocol end to end, deterministically: discovery
// through hello, agreement on ODOWN, one elected leader, exactly one
// promotion, every sentinel converging on the new master, the old master
// turned into a replica when it returns, and no second failover.
//
// These are a few hand-picked scenarios on a lock-step network; the seeded
// discrete-event simulation in sim_liveness_test.go runs thousands of
// schedules with per-message latency, kill moments spread over every cadence
// and crashed sentinels or replicas, and checks liveness too.

type simNode struct {
	alive    bool
	runID    string
	role     monitor.Role
	masterOf monitor.Addr // for replicas
	offset   int64
}

type simSentinel struct {
	id   string
	addr monitor.Addr
	core *monitor.Core
}

type simWorld struct {
	t          *testing.T
	seed       uint64
	now        time.Time
	nodes      map[monitor.Addr]*simNode
	sentinels  []*simSentinel
	byAddr     map[monitor.Addr]*simSentinel
	promotions []string // "sentinel promoted addr"
	events     map[string][]string
	queue      []func()
	// cut[sentinel][node] means that sentinel cannot reach that data node.
	cut map[string]map[monitor.Addr]bool
	// other performs the actions this file does not (raft mode's, in
	// raft_sim_test.go); nil drops them.
	other func(s *simSentinel, a monitor.Action)
}

func (w *simWorld) reachable(s *simSentinel, a monitor.Addr) bool {
	n := w.nodes[a]
	return n != nil && n.alive && !w.cut[s.id][a]
}

func newSimWorld(t *testing.T, seed uint64) *simWorld {
	w := &simWorld{
		t:      t,
		seed:   seed,
		now:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		nodes:  map[monitor.Addr]*simNode{},
		byAddr: map[monitor.Addr]*simSentinel{},
		events: map[string][]string{},
		cut:    map[string]map[monitor.Addr]bool{},
	}
	master := monitor.Addr{Host: "10.0.0.1", Port: 6379}
	w.nodes[master] = &simNode{alive: true, runID: "m1", role: monitor.RoleMaster, offset: 100}
	for k, port := range []int{6380, 6381} {
		w.nodes[monitor.Addr{Host: "10.0.0.1", Port: port}] = &simNode{
			alive: true, runID: fmt.Sprintf("r%d", k), role: monitor.RoleReplica, masterOf: master, offset: 100,
		}
	}
	for k := 1; k <= 3; k++ {
		s := &simSentinel{id: fmt.Sprintf("s%d", k), addr: monitor.Addr{Host: "10.0.1.1", Port: 26378 + k}}
		cfg := monitor.Config{
			MyID:     s.id,
			Announce: s.addr,
			Masters: []monitor.MasterConfig{{
				Name:           "mymaster",
				Addr:           master,
				MasterSettings: settings.MasterSettings{Quorum: 2, DownAfter: time.Second, FailoverTimeout: 10 * time.Second},
			}},
		}
		c, err := monitor.New(cfg, rand.New(rand.NewPCG(seed, uint64(k))))
		if err != nil {
			t.Fatal(err)
		}
		s.core = c
		w.sentinels = append(w.sentinels, s)
		w.byAddr[s.addr] = s
	}
	return w
}

func (w *simWorld) infoOf(a monitor.Addr) monitor.NodeInfo {
	n := w.nodes[a]
	ni := monitor.NodeInfo{RunID: n.runID, Role: n.role, ReplicaPriority: 100, ReplicaAnnounced: true}
	if n.role == monitor.RoleMaster {
		for ra, rn := range w.nodes {
			if rn.alive && rn.role == monitor.RoleReplica && rn.masterOf == a {
				ni.Replicas = append(ni.Replicas, monitor.ReplicaLine{Addr: ra, State: "online"})
			}
		}
		// Map order must not leak into the core's input.
		sortLines(ni.Replicas)
		return ni
	}
	ni.MasterHost, ni.MasterPort = n.masterOf.Host, n.masterOf.Port
	m := w.nodes[n.masterOf]
	ni.MasterLinkUp = m != nil && m.alive && m.role == monitor.RoleMaster
	ni.ReplicaReplOffset = n.offset
	return ni
}

func sortLines(ls []monitor.ReplicaLine) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Addr.String() < ls[j-1].Addr.String(); j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// step feeds one input to a sentinel and schedules its consequences.
func (w *simWorld) step(s *simSentinel, in monitor.Input) {
	if err := s.core.Step(in); err != nil {
		w.t.Fatalf("%s: Step: %v", s.id, err)
	}
	w.drain(s)
}

// drain performs a sentinel's actions: replies are queued, so they arrive
// after the current input is fully handled, as on a real network.
func (w *simWorld) drain(s *simSentinel) {
	rd := s.core.Ready()
	for _, e := range rd.Events {
		w.events[s.id] = append(w.events[s.id], e.Type+" "+e.Payload())
	}
	now := w.now
	for _, a := range rd.Actions {
		switch a := a.(type) {
		case monitor.Ping:
			kind := monitor.ReplyPong
			if _, ok := w.nodes[a.Target]; ok && !w.reachable(s, a.Target) {
				kind = monitor.ReplyTimeout
			}
			w.queue = append(w.queue, func() { w.step(s, monitor.PingResult{At: now, Target: a.Target, Kind: kind}) })
		case monitor.Info:
			if !w.reachable(s, a.Target) {
				w.queue = append(w.queue, func() { w.step(s, monitor.InfoResult{At: now, Target: a.Target, Kind: monitor.ReplyTimeout}) })
				continue
			}
			info := w.infoOf(a.Target)
			w.queue = append(w.queue, func() { w.step(s, monitor.InfoResult{At: now, Target: a.Target, Kind: monitor.ReplyPong, Info: info}) })
		case monitor.PublishHello:
			if peer, ok := w.byAddr[a.Target]; ok {
				w.queue = append(w.queue, func() { w.step(peer, monitor.HelloReceived{At: now, Via: peer.addr, Hello: a.Hello}) })
				continue
			}
			if w.reachable(s, a.Target) {
				for _, sub := range w.sentinels {
					if !w.reachable(sub, a.Target) {
						continue
					}
					w.queue = append(w.queue, func() { w.step(sub, monitor.HelloReceived{At: now, Via: a.Target, Hello: a.Hello}) })
				}
			}
		case monitor.AskPeer:
			peer := w.byAddr[a.Peer]
			w.queue = append(w.queue, func() {
				r := peer.core.IsMasterDownByAddr(now, monitor.IsMasterDownRequest{Addr: a.MasterAddr, CurrentEpoch: a.Epoch, RunID: a.RunID})
				w.drain(peer)
				w.step(s, monitor.PeerReply{At: now, Master: a.Master, Peer: a.PeerRunID, Kind: monitor.ReplyPong,
					Down: r.Down, LeaderRunID: r.Leader, LeaderEpoch: r.LeaderEpoch})
			})
		case monitor.ReplicaOf:
			n := w.nodes[a.Target]
			if !w.reachable(s, a.Target) {
				continue
			}
			if a.NoOne {
				w.promotions = append(w.promotions, s.id+" promoted "+a.Target.String())
				n.role = monitor.RoleMaster
				n.masterOf = monitor.Addr{}
			} else {
				n.role = monitor.RoleReplica
				n.masterOf = a.NewMaster
			}
		default:
			if w.other != nil {
				w.other(s, a)
			}
		}
	}
}

// run advances time in 100 ms rounds; each sentinel ticks at its own
// offset within the round, and the network settles before the next tick.
func (w *simWorld) run(d time.Duration) {
	end := w.now.Add(d)
	for w.now.Before(end) {
		base := w.now
		for k, s := range w.sentinels {
			// Sentinels tick out of step, differently in every trial.
			w.now = base.Add(time.Duration((k*17+int(w.seed)*29)%90) * time.Millisecond)
			w.step(s, monitor.Tick{At: w.now})
			for len(w.queue) > 0 {
				next := w.queue[0]
				w.queue = w.queue[1:]
				next()
			}
		}
		w.now = base.Add(100 * time.Millisecond)
	}
}

func (w *simWorld) views() []string {
	var out []string
	for _, s := range w.sentinels {
		mv := s.core.Snapshot(w.now).Master("mymaster")
		out = append(out, fmt.Sprintf("%s:%s/%d/%s", s.id, mv.CurrentAddr, mv.ConfigEpoch, mv.FailoverState))
	}
	return out
}

func TestSimulatedCluster_FailoverConvergesOnce(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w := newSimWorld(t, seed)
			w.run(10 * time.Second)
			for _, s := range w.sentinels {
				mv := s.core.Snapshot(w.now).Master("mymaster")
				if len(mv.Sentinels) != 2 || len(mv.Replicas) != 2 {
					t.Fatalf("%s after warm-up: %d peers, %d replicas; want 2, 2", s.id, len(mv.Sentinels), len(mv.Replicas))
				}
				if mv.Flags&(monitor.FlagSDown|monitor.FlagODown) != 0 {
					t.Fatalf("%s: healthy master flagged %s", s.id, mv.Flags)
				}
			}
			if len(w.promotions) != 0 {
				t.Fatalf("promotion without failure: %v", w.promotions)
			}

			old := monitor.Addr{Host: "10.0.0.1", Port: 6379}
			w.nodes[old].alive = false
			w.run(30 * time.Second)
			if len(w.promotions) != 1 {
				t.Fatalf("promotions = %v, want exactly one", w.promotions)
			}
			v := w.views()
			newMaster := strings.SplitN(strings.SplitN(v[0], ":", 2)[1], "/", 2)[0]
			for _, x := range v {
				if !strings.HasSuffix(x, "/none") || !strings.Contains(x, newMaster+"/") || strings.Contains(x, old.String()+"/") {
					t.Fatalf("sentinels disagree or still failing over: %v", v)
				}
			}

			for _, s := range w.sentinels {
				for _, e := range w.events[s.id] {
					if strings.HasPrefix(e, "+sdown master mymaster "+strings.Replace(newMaster, ":", " ", 1)) {
						t.Fatalf("%s marked the new master down: %q", s.id, e)
					}
				}
			}

			// The old master comes back as an empty standalone master; it
			// must be turned into a replica of the new master quickly.
			w.nodes[old].alive = true
			w.nodes[old].role = monitor.RoleMaster
			w.nodes[old].runID = "m1-restarted"
			w.run(2 * time.Second)
			if n := w.nodes[old]; n.role != monitor.RoleReplica || n.masterOf.String() != newMaster {
				t.Fatalf("old master not converted within 2 s: role %s of %s", n.role, n.masterOf)
			}
			w.run(60 * time.Second)
			if len(w.promotions) != 1 {
				t.Fatalf("a second failover happened: %v", w.promotions)
			}
		})
	}
}

func (w *simWorld) agreedMaster(t *testing.T) string {
	t.Helper()
	v := w.views()
	first := strings.SplitN(strings.SplitN(v[0], ":", 2)[1], "/", 2)[0]
	for _, x := range v {
		if !strings.HasSuffix(x, "/none") || !strings.Contains(x, ":"+first+"/") {
			t.Fatalf("sentinels disagree or still failing over: %v", v)
		}
	}
	return first
}

// One sentinel cut off from a healthy master must not cause a failover:
// its SDOWN never reaches the quorum.
func TestSimulatedCluster_MinorityPartitionNoFailover(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w := newSimWorld(t, seed)
			w.run(10 * time.Second)
			master := monitor.Addr{Host: "10.0.0.1", Port: 6379}
			w.cut["s1"] = map[monitor.Addr]bool{master: true}
			w.run(30 * time.Second)
			if len(w.promotions) != 0 {
				t.Fatalf("failover with a healthy master: %v", w.promotions)
			}
			if mv := w.sentinels[0].core.Snapshot(w.now).Master("mymaster"); mv.Flags&monitor.FlagSDown == 0 {
				t.Fatalf("s1 does not see its own partition: %s", mv.Flags)
			}
			delete(w.cut, "s1")
			w.run(5 * time.Second)
			if got := w.agreedMaster(t); got != master.String() {
				t.Fatalf("master moved to %s", got)
			}
		})
	}
}

// Two failures in a row: each gives exactly one promotion, epochs grow,
// and everyone ends on the second promoted replica.
func TestSimulatedCluster_TwoFailovers(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w := newSimWorld(t, seed)
			w.run(10 * time.Second)
			first := monitor.Addr{Host: "10.0.0.1", Port: 6379}
			w.nodes[first].alive = false
			w.run(20 * time.Second)
			second := w.agreedMaster(t)
			w.nodes[first].alive = true
			w.nodes[first].role = monitor.RoleMaster
			w.run(5 * time.Second)
			for a, n := range w.nodes {
				if a.String() == second {
					w.nodes[a].alive = false
				} else if n.role != monitor.RoleReplica || n.masterOf.String() != second {
					t.Fatalf("%s not a replica of %s before the second failure", a, second)
				}
			}
			w.run(40 * time.Second)
			third := w.agreedMaster(t)
			if third == second || len(w.promotions) != 2 {
				t.Fatalf("after the second failure: master %s, promotions %v", third, w.promotions)
			}
			epochs := map[uint64]bool{}
			for _, s := range w.sentinels {
				epochs[s.core.Snapshot(w.now).Master("mymaster").ConfigEpoch] = true
			}
			if len(epochs) != 1 {
				t.Fatalf("config epochs differ: %v", epochs)
			}
		})
	}
}
