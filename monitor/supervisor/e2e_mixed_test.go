package supervisor

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// mixedGroup is a master with two replicas watched by some of our sentinels
// and some stock redis-sentinel processes.
type mixedGroup struct {
	topo  *datanodetest.Topology
	ours  []*ourSentinel
	stock []*datanodetest.Process
	all   []string // every sentinel's address
}

func startMixed(t *testing.T, nOurs, nStock int) *mixedGroup {
	t.Helper()
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	g := &mixedGroup{topo: datanodetest.StartTopology(t, 2)}
	for i := 0; i < nStock; i++ {
		p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{
			MasterName: "mymaster", MasterAddr: g.topo.Master.Addr(), Quorum: 2, DownAfter: time.Second,
		})
		g.stock = append(g.stock, p)
		g.all = append(g.all, p.Addr())
	}
	for i := 0; i < nOurs; i++ {
		s := startOurs(t, addrOf(g.topo.Master), 2, time.Second, "")
		g.ours = append(g.ours, s)
		g.all = append(g.all, s.addr())
	}
	for _, a := range g.all {
		waitSettled(t, a, 2, len(g.all)-1)
	}
	return g
}

// waitAgreed waits until every sentinel answers the same master other than
// old, and returns it.
func (g *mixedGroup) waitAgreed(t *testing.T, old string) string {
	t.Helper()
	ctx := t.Context()
	var agreed string
	datanodetest.Eventually(t, 40*time.Second, 50*time.Millisecond, func() bool {
		agreed = ""
		for _, a := range g.all {
			c := redis.NewSentinelClient(&redis.Options{Addr: a, MaxRetries: -1})
			addr, err := c.GetMasterAddrByName(ctx, "mymaster").Result()
			c.Close()
			if err != nil {
				return false
			}
			got := addr[0] + ":" + addr[1]
			if got == old || (agreed != "" && got != agreed) {
				return false
			}
			agreed = got
		}
		return true
	}, "every sentinel should agree on a new master")
	for _, r := range g.topo.Replicas {
		if r.Addr() == agreed {
			continue
		}
		if err := datanodetest.WaitReplicaOf(ctx, r, agreed, 20*time.Second); err != nil {
			t.Fatalf("replica %s not repointed: %v", r.Addr(), err)
		}
	}
	return agreed
}

func testMixedKill(t *testing.T, nOurs, nStock int) {
	g := startMixed(t, nOurs, nStock)
	var recs []*eventRecorder
	for _, s := range g.ours {
		recs = append(recs, recordEvents(t, s.addr()))
	}
	old := g.topo.Master.Addr()
	if err := g.topo.Master.Kill(); err != nil {
		t.Fatal(err)
	}
	newAddr := g.waitAgreed(t, old)
	// The leader publishes its +switch-master when the failover ends, a
	// little after it already answers the new address.
	want := "mymaster " + strings.Replace(old, ":", " ", 1) + " " + strings.Replace(newAddr, ":", " ", 1)
	for i, r := range recs {
		datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
			_, ok := r.first("+switch-master", want)
			return ok
		}, "our sentinel %s should publish +switch-master %s", g.ours[i].addr(), want)
	}
}

func TestE2E_MixedTwoOursOneStock(t *testing.T) { testMixedKill(t, 2, 1) }

func TestE2E_MixedOneOursTwoStock(t *testing.T) { testMixedKill(t, 1, 2) }

// TestE2E_MixedForcedFailover makes each side lead in turn with SENTINEL
// FAILOVER: first a stock sentinel (ours must learn its switch), then one of
// ours (the stock one must learn ours).
func TestE2E_MixedForcedFailover(t *testing.T) {
	g := startMixed(t, 1, 1)
	ctx := t.Context()
	stock := redis.NewSentinelClient(&redis.Options{Addr: g.stock[0].Addr(), MaxRetries: -1})
	defer stock.Close()
	ours := g.ours[0].client()

	old := g.topo.Master.Addr()
	if err := stock.Failover(ctx, "mymaster").Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER on redis-sentinel: %v", err)
	}
	first := g.waitAgreed(t, old)
	// Every sentinel has finished with that failover (the stock one answers
	// the new address from reconf_slaves on, before it is done).
	for _, a := range g.all {
		c := redis.NewSentinelClient(&redis.Options{Addr: a, MaxRetries: -1})
		datanodetest.Eventually(t, 30*time.Second, 50*time.Millisecond, func() bool {
			m, err := c.Master(ctx, "mymaster").Result()
			return err == nil && !strings.Contains(m["flags"], "failover_in_progress") && m["ip"]+":"+m["port"] == first
		}, "sentinel %s should end the first failover", a)
		c.Close()
	}

	// The stock sentinel refuses a new failover of the same master for a
	// while; ours must accept one once every replica is in place.
	datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
		return ours.Failover(ctx, "mymaster").Err() == nil
	}, "our sentinel should accept SENTINEL FAILOVER")
	second := g.waitAgreed(t, first)
	if second == first {
		t.Fatalf("second failover did not move the master")
	}
}
