package supervisor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// writer keeps writing through a go-redis failover client and remembers
// which writes were acknowledged.
type writer struct {
	fc     *redis.Client
	mu     sync.Mutex
	acked  []int
	errs   atomic.Int64
	cancel context.CancelFunc
	done   chan struct{}
}

func startWriter(t *testing.T, sentinels []string) *writer {
	t.Helper()
	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: sentinels,
		MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{fc: fc, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for i := 0; i < 1_000_000 && ctx.Err() == nil; i++ {
			if err := fc.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
				w.errs.Add(1)
				select {
				case <-ctx.Done():
				case <-time.After(5 * time.Millisecond):
				}
				continue
			}
			w.mu.Lock()
			w.acked = append(w.acked, i)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *writer) stop() {
	w.cancel()
	<-w.done
	w.fc.Close()
}

func (w *writer) ackedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// TestE2E_FailoverThreeOfOurs is the whole story: three of our sentinels,
// the master SIGKILLed, a writer that follows, replicas repointed, and the
// old master back as a replica.
func TestE2E_FailoverThreeOfOurs(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 2)
	var ours []*ourSentinel
	var addrs []string
	for i := 0; i < 3; i++ {
		s := startOurs(t, addrOf(topo.Master), 2, time.Second, "")
		ours = append(ours, s)
		addrs = append(addrs, s.addr())
	}
	var recs []*eventRecorder
	for _, s := range ours {
		waitSettled(t, s.addr(), 2, 2)
		recs = append(recs, recordEvents(t, s.addr()))
	}
	rec := recs[0]
	w := startWriter(t, addrs)
	datanodetest.Eventually(t, 5*time.Second, 10*time.Millisecond, func() bool { return w.ackedCount() > 10 }, "writer should be writing")

	old := topo.Master
	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 30*time.Second, 20*time.Millisecond, func() bool {
		_, ok := rec.first("+switch-master", "mymaster "+strings.Replace(old.Addr(), ":", " ", 1)+" ")
		return ok
	}, "+switch-master from the old master")
	// The leader (whichever it was) saw the master objectively down.
	odown := false
	for _, r := range recs {
		if _, ok := r.firstPrefix("+odown", "master mymaster "+strings.Replace(old.Addr(), ":", " ", 1)+" #quorum"); ok {
			odown = true
		}
	}
	if !odown {
		t.Fatalf("no sentinel published +odown for the old master")
	}
	sw, _ := rec.first("+switch-master", "mymaster")
	parts := strings.Fields(sw.payload)
	if len(parts) != 5 || parts[0] != "mymaster" {
		t.Fatalf("+switch-master payload %q", sw.payload)
	}
	newAddr := parts[3] + ":" + parts[4]
	if newAddr != topo.Replicas[0].Addr() && newAddr != topo.Replicas[1].Addr() {
		t.Fatalf("new master %s is not one of the replicas", newAddr)
	}

	// Every sentinel agrees.
	for _, s := range ours {
		sc := s.client()
		datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
			a, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
			return err == nil && a[0]+":"+a[1] == newAddr
		}, "sentinel %s should answer the new master", s.addr())
	}
	// The writer lands on the new master.
	before := w.ackedCount()
	datanodetest.Eventually(t, 10*time.Second, 10*time.Millisecond, func() bool { return w.ackedCount() > before+10 }, "writer should write again")

	// The other replica follows the new master.
	for _, r := range topo.Replicas {
		if r.Addr() == newAddr {
			continue
		}
		if err := datanodetest.WaitReplicaOf(ctx, r, newAddr, 15*time.Second); err != nil {
			t.Fatalf("replica %s: %v", r.Addr(), err)
		}
	}
	// The old master comes back as a replica of the new one.
	if err := old.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := datanodetest.WaitReplicaOf(ctx, old, newAddr, 15*time.Second); err != nil {
		t.Fatalf("old master: %v", err)
	}

	// No acknowledged write is missing on the new master.
	w.stop()
	var nm *datanodetest.Process
	for _, r := range topo.Replicas {
		if r.Addr() == newAddr {
			nm = r
		}
	}
	w.mu.Lock()
	acked := append([]int(nil), w.acked...)
	w.mu.Unlock()
	lost := 0
	for _, i := range acked {
		if err := nm.Client().Get(ctx, fmt.Sprintf("k%d", i)).Err(); err != nil {
			lost++
		}
	}
	t.Logf("acked writes %d, lost %d, write errors %d", len(acked), lost, w.errs.Load())

	// Prometheus saw it too.
	text := ours[0].scrape()
	for _, want := range []string{
		`sentinel_events_total{event="+switch-master",master="mymaster"} 1`,
		`sentinel_master_outage_seconds_count{master="mymaster"} 1`,
		`sentinel_master_config_epoch{master="mymaster"} 1`,
		`sentinel_master_status{master="mymaster",state="ok"} 1`,
		`sentinel_masters 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if n := rec.count("+switch-master"); n != 1 {
		t.Fatalf("%d +switch-master events, want 1", n)
	}
}
