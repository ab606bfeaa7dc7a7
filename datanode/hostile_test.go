package datanode

import (
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// hostileHeapBound is what one hostile node may cost us in heap: a few
// bounded replies, far below the gigabytes go-redis would pre-allocate.
const hostileHeapBound = 48 << 20

// TestPool_HostileNodes drives every misbehaviour of
// datanodetest.HostileCases at one Pool, as a master and as a peer
// sentinel, next to a well-behaved node: the process survives, the heap
// stays bounded, the good node's PINGs keep getting PONG, and the hostile
// one is redialled no faster than the backoff allows.
func TestPool_HostileNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile-node cases take a few seconds; skipped with -short")
	}
	const rounds = 10 // × 100 ms
	for _, hc := range datanodetest.HostileCases() {
		t.Run(hc.Name, func(t *testing.T) {
			good := datanodetest.StartHostileNode(t, datanodetest.HostileCase{Name: "well-behaved"})
			bad := datanodetest.StartHostileNode(t, hc)
			badPeer := datanodetest.StartHostileNode(t, hc)
			goodAddr := monitor.Addr{Host: datanodetest.Loopback, Port: good.Port()}
			badAddr := monitor.Addr{Host: datanodetest.Loopback, Port: bad.Port()}
			peerAddr := monitor.Addr{Host: datanodetest.Loopback, Port: badPeer.Port()}

			stop := datanodetest.HeapPeak(t)
			h := startPool(t, Options{
				CommandTimeout: 300 * time.Millisecond, DialTimeout: 300 * time.Millisecond,
				PubSubIdle: 300 * time.Millisecond,
			})
			h.pool.Do(monitor.Watch{Target: goodAddr, Kind: monitor.KindMaster, Master: "good"})
			h.pool.Do(monitor.Watch{Target: badAddr, Kind: monitor.KindMaster, Master: "bad"})
			h.pool.Do(monitor.Watch{Target: peerAddr, Kind: monitor.KindSentinel, Master: "good"})
			start := time.Now()

			goodPongs, badPongs := 0, 0
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for range rounds {
				h.pool.Do(monitor.Ping{Target: goodAddr, Master: "good"})
				h.pool.Do(monitor.Ping{Target: badAddr, Master: "bad"})
				h.pool.Do(monitor.Ping{Target: peerAddr, Master: "good"})
				h.pool.Do(monitor.Info{Target: badAddr, Master: "bad"})
				h.pool.Do(monitor.AskPeer{Peer: peerAddr, Master: "good", PeerRunID: "x", MasterAddr: goodAddr, Epoch: 1, RunID: "*"})
				h.pool.Do(monitor.PublishHello{Target: badAddr, Master: "bad", Hello: monitor.Hello{
					SentinelAddr: monitor.Addr{Host: "127.0.0.1", Port: 26379}, RunID: testMyID, MasterName: "bad", MasterAddr: badAddr,
				}})
			drain:
				for {
					select {
					case in := <-h.inputs:
						if p, ok := in.(monitor.PingResult); ok && p.Kind == monitor.ReplyPong {
							switch p.Target {
							case goodAddr:
								goodPongs++
							case badAddr, peerAddr:
								badPongs++
							}
						} else if ok && p.Target == goodAddr {
							t.Errorf("the good node's PING got %v while a hostile node misbehaved", p.Kind)
						}
					case <-tick.C:
						break drain
					}
				}
			}
			elapsed := time.Since(start)
			peak := stop()

			if goodPongs < rounds/2 {
				t.Errorf("good node: %d PONGs in %d rounds", goodPongs, rounds)
			}
			if peak > hostileHeapBound {
				t.Errorf("heap grew by %d MiB, bound %d MiB", peak>>20, hostileHeapBound>>20)
			}
			// Each link: two immediate dials, then ≥ 250 ms, 500 ms, 1 s apart.
			limit := int64(2 * (3 + int(elapsed/time.Second) + 1))
			if n := bad.Accepts(); n > limit {
				t.Errorf("hostile master: %d connections in %v, want ≤ %d", n, elapsed.Round(time.Millisecond), limit)
			}
			if n := badPeer.Accepts(); n > limit/2 {
				t.Errorf("hostile peer: %d connections in %v, want ≤ %d", n, elapsed.Round(time.Millisecond), limit/2)
			}
			if bad.Accepts() == 0 || badPeer.Accepts() == 0 {
				t.Fatalf("the hostile nodes were never dialled")
			}
			rejected := 0.0
			for _, r := range []string{rejectMalformed, rejectReplyTooLarge, rejectTooMany, rejectTooDeep, rejectLineTooLong} {
				rejected += metricValue(t, h.pool.metrics.repliesRejected.WithLabelValues(r))
			}
			panics := metricValue(t, h.pool.metrics.panics)
			t.Logf("%s: heap +%d KiB, hostile accepts %d/%d, rejected replies %v, recovered panics %v, good PONGs %d, hostile PONGs %d",
				hc.Name, peak>>10, bad.Accepts(), badPeer.Accepts(), rejected, panics, goodPongs, badPongs)
			hc.CheckCounters(t, rejected, panics)
			if !hc.PingAnswered() && badPongs > 0 {
				t.Errorf("a hostile node's PING was counted as PONG %d times", badPongs)
			}
		})
	}
}
