package datanode

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

var replicaAddr = monitor.Addr{Host: "10.0.0.2", Port: 6379}

// A promotion with a NotAfter (raft mode) goes out with a context that ends
// then; one that reaches the link after it is dropped unsent and reported,
// for ReplicaOf NO ONE (target: the replica) and FailoverTo (the master).
func TestPool_PromotionNotAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fp := newFakePool(t, Options{})
		fp.start()
		fp.Do(monitor.Watch{Target: replicaAddr, Kind: monitor.KindReplica, Master: "m"})
		fp.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})

		// In time: sent, and bounded by NotAfter.
		notAfter := time.Now().Add(150 * time.Millisecond)
		fp.Do(monitor.ReplicaOf{Target: replicaAddr, Master: "m", NoOne: true, NotAfter: notAfter})
		synctest.Wait()
		fp.conn.mu.Lock()
		got := append([]fakePromotion(nil), fp.conn.promotions...)
		fp.conn.mu.Unlock()
		if len(got) != 1 {
			t.Fatalf("promotions sent = %d, want 1", len(got))
		}
		if got[0].deadline.IsZero() || got[0].deadline.After(notAfter) {
			t.Errorf("promotion context deadline = %v, want at or before NotAfter %v", got[0].deadline, notAfter)
		}

		// Too late: dropped, reported.
		late := time.Now().Add(-time.Millisecond)
		fp.Do(monitor.ReplicaOf{Target: replicaAddr, Master: "m", NoOne: true, NotAfter: late})
		fp.Do(monitor.FailoverTo{Target: masterAddr, Master: "m", To: replicaAddr, Timeout: time.Second, NotAfter: late})
		seen := map[monitor.Addr]bool{}
		for range 2 {
			select {
			case in := <-fp.inputs:
				ns, ok := in.(monitor.PromotionNotSent)
				if !ok {
					t.Fatalf("input = %T, want PromotionNotSent", in)
				}
				if ns.Master != "m" {
					t.Errorf("PromotionNotSent.Master = %q", ns.Master)
				}
				seen[ns.Target] = true
			case <-time.After(5 * time.Second):
				t.Fatal("no PromotionNotSent within 5 s")
			}
		}
		if !seen[replicaAddr] || !seen[masterAddr] {
			t.Errorf("PromotionNotSent targets = %v, want the replica and the master", seen)
		}
		synctest.Wait()
		fp.conn.mu.Lock()
		n := len(fp.conn.promotions)
		fp.conn.mu.Unlock()
		if n != 1 {
			t.Errorf("promotions sent = %d after two late ones, want still 1", n)
		}

		// No NotAfter (vote mode): sent with the usual command deadline.
		fp.Do(monitor.ReplicaOf{Target: replicaAddr, Master: "m", NoOne: true})
		synctest.Wait()
		fp.conn.mu.Lock()
		n = len(fp.conn.promotions)
		fp.conn.mu.Unlock()
		if n != 2 {
			t.Errorf("promotions sent = %d, want 2 after one without NotAfter", n)
		}
		fp.stop(t)
	})
}
