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

// Issue 14: many masters killed at the same moment. Epochs are global, so
// concurrent elections of different masters interleave their epochs on
// every sentinel, and each sentinel receives the vote requests in its own
// order. Every killed master must still be switched exactly once, after
// exactly one +try-failover (one election round), soon after down-after.
//
// The world is cluster_sim_test.go's lock-step network with many masters,
// and with the queue of in-flight messages shuffled (seeded) after every
// input, so that replies and requests overtake each other.

const (
	massMasters = 20
	massKilled  = 10
)

func massMasterAddr(k int) monitor.Addr { return monitor.Addr{Host: "10.0.2.1", Port: 7000 + 10*k} }
func massReplicaAddr(k int) monitor.Addr {
	return monitor.Addr{Host: "10.0.2.1", Port: 7000 + 10*k + 1}
}
func massName(k int) string { return fmt.Sprintf("m%02d", k) }

func newMassWorld(t *testing.T, seed uint64) *simWorld {
	w := &simWorld{
		t:      t,
		seed:   seed,
		now:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		nodes:  map[monitor.Addr]*simNode{},
		byAddr: map[monitor.Addr]*simSentinel{},
		events: map[string][]string{},
		cut:    map[string]map[monitor.Addr]bool{},
	}
	var masters []monitor.MasterConfig
	for k := range massMasters {
		ma := massMasterAddr(k)
		w.nodes[ma] = &simNode{alive: true, runID: fmt.Sprintf("m%d", k), role: monitor.RoleMaster, offset: 100}
		w.nodes[massReplicaAddr(k)] = &simNode{alive: true, runID: fmt.Sprintf("r%d", k), role: monitor.RoleReplica, masterOf: ma, offset: 100}
		masters = append(masters, monitor.MasterConfig{
			Name:           massName(k),
			Addr:           ma,
			MasterSettings: settings.MasterSettings{Quorum: 2, DownAfter: time.Second, FailoverTimeout: 10 * time.Second},
		})
	}
	for k := 1; k <= 3; k++ {
		s := &simSentinel{id: fmt.Sprintf("s%d", k), addr: monitor.Addr{Host: "10.0.1.1", Port: 26378 + k}}
		c, err := monitor.New(monitor.Config{MyID: s.id, Announce: s.addr, Masters: masters}, rand.New(rand.NewPCG(seed, uint64(k))))
		if err != nil {
			t.Fatal(err)
		}
		s.core = c
		w.sentinels = append(w.sentinels, s)
		w.byAddr[s.addr] = s
	}
	return w
}

// runShuffled is run with the in-flight messages delivered in a seeded
// random order instead of first in, first out.
func (w *simWorld) runShuffled(d time.Duration, rng *rand.Rand) {
	end := w.now.Add(d)
	for w.now.Before(end) {
		base := w.now
		for k, s := range w.sentinels {
			w.now = base.Add(time.Duration((k*17+int(w.seed)*29)%90) * time.Millisecond)
			w.step(s, monitor.Tick{At: w.now})
			for n := 0; len(w.queue) > 0 && n < 100000; n++ {
				i := rng.IntN(len(w.queue))
				next := w.queue[i]
				w.queue[i] = w.queue[len(w.queue)-1]
				w.queue = w.queue[:len(w.queue)-1]
				next()
			}
		}
		w.now = base.Add(100 * time.Millisecond)
	}
}

func TestSimMassFailover_OneTryEach(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w := newMassWorld(t, seed)
			rng := rand.New(rand.NewPCG(seed, 99))
			w.runShuffled(10*time.Second, rng)
			if len(w.promotions) != 0 {
				t.Fatalf("promotion without failure: %v", w.promotions)
			}
			for k := range massKilled {
				w.nodes[massMasterAddr(k)].alive = false
			}
			w.events = map[string][]string{}
			w.runShuffled(20*time.Second, rng)

			if len(w.promotions) != massKilled {
				t.Fatalf("%d promotions, want %d: %v", len(w.promotions), massKilled, w.promotions)
			}
			for k := range massMasters {
				name := massName(k)
				tries, aborts := 0, 0
				for _, s := range w.sentinels {
					for _, e := range w.events[s.id] {
						switch {
						case strings.HasPrefix(e, "+try-failover master "+name+" "):
							tries++
						case strings.HasPrefix(e, "-failover-abort") && strings.Contains(e, " "+name+" "):
							aborts++
						}
					}
					mv := s.core.Snapshot(w.now).Master(name)
					want := massMasterAddr(k)
					if k < massKilled {
						want = massReplicaAddr(k)
					}
					if mv.CurrentAddr != want || mv.FailoverState != monitor.FailoverNone {
						t.Errorf("%s: %s at %s (%s), want %s", s.id, name, mv.CurrentAddr, mv.FailoverState, want)
					}
				}
				wantTries := 0
				if k < massKilled {
					wantTries = 1
				}
				if tries != wantTries || aborts != 0 {
					t.Errorf("%s: %d +try-failover and %d aborts over all sentinels, want %d and 0", name, tries, aborts, wantTries)
				}
			}
		})
	}
}
