package supervisor

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// TestE2E_FencingHoldShortcut runs the promotion hold (monitor/fencing.go
// fenceHoldsPromotion) against real redis-servers, both ways, and asserts
// only that each failover completes; the delays are logged (speed lives in
// benchmarks, docs/fencing.md):
//
//   - replica-lost-first: the replica's link to the master is broken (a
//     wrong masterauth, then CLIENT KILL TYPE master) and stays down for
//     more than 5 s while the master keeps answering us, then the master is
//     killed. The replica's INFO (master_link_down_since_seconds) proves
//     the master has refused writes for a while: no hold.
//   - killed: the master is killed with its replica connected. The
//     replica's report is no earlier than the PING evidence: the full hold
//     (lag 1 s + 2.25 s after the oldest unanswered PING) applies.
func TestE2E_FencingHoldShortcut(t *testing.T) {
	requireRedis(t)
	for _, tc := range []struct {
		name      string
		breakLink bool
	}{{"replica-lost-first", true}, {"killed", false}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			topo := datanodetest.StartTopology(t, 1)
			s := startOurs(t, addrOf(topo.Master), 1, time.Second, "sentinel fencing mymaster yes\n")
			waitSettled(t, s.addr(), 1, 0)
			master, replica := topo.Master, topo.Replicas[0]
			datanodetest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() bool {
				return configGet(ctx, master.Addr(), "min-replicas-to-write") == "1"
			}, "the master to be fenced")
			rec := recordEvents(t, s.addr())
			if tc.breakLink {
				rc := replica.Client()
				if err := rc.ConfigSet(ctx, "masterauth", "not-the-password").Err(); err != nil {
					t.Fatal(err)
				}
				if err := rc.Do(ctx, "CLIENT", "KILL", "TYPE", "master").Err(); err != nil {
					t.Fatal(err)
				}
				datanodetest.Eventually(t, 20*time.Second, 100*time.Millisecond, func() bool {
					info, err := rc.Info(ctx, "replication").Result()
					if err != nil {
						return false
					}
					for _, line := range strings.Split(info, "\r\n") {
						if v, ok := strings.CutPrefix(line, "master_link_down_since_seconds:"); ok {
							d, err := strconv.Atoi(v)
							return err == nil && d >= 6
						}
					}
					return false
				}, "the replica's link to be down for 6 s")
				if err := master.Client().Set(ctx, "k", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOREPLICAS") {
					t.Fatalf("the master cut from its replica took a write (%v)", err)
				}
			}
			if err := master.Kill(); err != nil {
				t.Fatal(err)
			}
			killedAt := time.Now()
			var sw recorded
			datanodetest.Eventually(t, 30*time.Second, 20*time.Millisecond, func() bool {
				var ok bool
				sw, ok = rec.first("+switch-master", "mymaster "+strings.Replace(master.Addr(), ":", " ", 1)+" ")
				return ok
			}, "+switch-master from the killed master")
			sdown, _ := rec.firstPrefix("+sdown", "master mymaster")
			t.Logf("%s: killed → +sdown %v, +sdown → +switch-master %v", tc.name,
				sdown.at.Sub(killedAt).Round(time.Millisecond), sw.at.Sub(sdown.at).Round(time.Millisecond))
		})
	}
}
