package supervisor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// TestE2E_CoordinatedSwitchoverLosesNoWrites: SENTINEL FAILOVER <name>
// COORDINATED has the master hand over itself (FAILOVER TO), so a writer
// that keeps going through go-redis's failover client never loses an
// acknowledged write, switchover after switchover (plain SENTINEL FAILOVER
// can: it promotes a replica that may lag). SWITCHOVERS sets the count (20
// by default, to keep make test short; docs/benchmarks.md records a run of
// 50).
func TestE2E_CoordinatedSwitchoverLosesNoWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over loopback is skipped with -short")
	}
	requireRedis(t)
	rounds := 20
	if v, err := strconv.Atoi(os.Getenv("SWITCHOVERS")); err == nil && v > 0 {
		rounds = v
	}
	d := startDataNodes(t, nil, nil)
	g := startOursGroup(t, d, time.Second, 10*time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("sentinel events:\n" + g.timeline())
		}
	})
	w := startWriter(t, g.addrs)
	ctx := t.Context()
	sc := redis.NewSentinelClient(&redis.Options{Addr: g.addrs[0], DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = sc.Close() })

	waitAcked := func(n int, what string) {
		t.Helper()
		datanodetest.Eventually(t, 15*time.Second, 10*time.Millisecond, func() bool { return w.ackedCount() >= n }, what)
	}
	waitAcked(100, "the writer's first writes")
	current := func() string {
		addr, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
		if err != nil || len(addr) != 2 {
			return ""
		}
		return addr[0] + ":" + addr[1]
	}
	for round := range rounds {
		before := current()
		// Right after a switch the replicas are rediscovered; until their
		// INFO is in, the command answers NOGOODSLAVE (or INPROG).
		var lastErr error
		datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
			cmd := redis.NewStatusCmd(ctx, "SENTINEL", "FAILOVER", "mymaster", "COORDINATED")
			_ = sc.Process(ctx, cmd)
			lastErr = cmd.Err()
			return lastErr == nil
		}, fmt.Sprintf("round %d: SENTINEL FAILOVER COORDINATED accepted (last error %v)", round, lastErr))
		datanodetest.Eventually(t, 20*time.Second, 10*time.Millisecond, func() bool {
			for _, a := range masterAddrs(ctx, g.addrs) {
				if a == "" || a == before {
					return false
				}
			}
			return true
		}, fmt.Sprintf("round %d: every sentinel names a new master (was %s)", round, before))
		// The writer follows and writes on the new master before the next
		// round, so every round hands over data.
		waitAcked(w.ackedCount()+50, fmt.Sprintf("round %d: writes on the new master", round))
	}
	w.stop()

	final := current()
	rc := redis.NewClient(&redis.Options{Addr: final})
	t.Cleanup(func() { _ = rc.Close() })
	w.mu.Lock()
	acked := append([]int(nil), w.acked...)
	w.mu.Unlock()
	lost := 0
	var example []string
	for start := 0; start < len(acked); start += 1000 {
		batch := acked[start:min(start+1000, len(acked))]
		keys := make([]string, len(batch))
		for k, i := range batch {
			keys[k] = fmt.Sprintf("k%d", i)
		}
		vals, err := rc.MGet(ctx, keys...).Result()
		if err != nil {
			t.Fatalf("reading back from the final master %s: %v", final, err)
		}
		for k, v := range vals {
			if fmt.Sprint(v) != strconv.Itoa(batch[k]) {
				lost++
				if len(example) < 5 {
					example = append(example, keys[k])
				}
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost over %d coordinated switchovers (e.g. %s)", lost, len(acked), rounds, strings.Join(example, ", "))
	}
	t.Logf("%d coordinated switchovers, %d acknowledged writes, none lost (%d write errors while switching)", rounds, len(acked), w.errs.Load())
}
