package supervisor

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// TestE2E_ForgetsADeadReplica: with forget-after set, a replica killed
// for good is dropped from SENTINEL REPLICAS and from the rewritten
// sentinel.conf once it has been down that long; the setting itself is
// rewritten.
func TestE2E_ForgetsADeadReplica(t *testing.T) {
	requireRedis(t)
	topo := datanodetest.StartTopology(t, 2)
	s := startOurs(t, addrOf(topo.Master), 1, time.Second, "sentinel forget-after mymaster 2000\n")
	waitSettled(t, s.addr(), 2, 0)
	dead := topo.Replicas[1]
	if err := dead.Kill(); err != nil {
		t.Fatal(err)
	}
	sc := s.client()
	datanodetest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() bool {
		rs, err := sc.Replicas(t.Context(), "mymaster").Result()
		return err == nil && len(rs) == 1 && rs[0]["name"] == topo.Replicas[0].Addr()
	}, "the dead replica forgotten")
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		b, err := os.ReadFile(s.conf)
		text := string(b)
		return err == nil && strings.Contains(text, "sentinel forget-after mymaster 2000") &&
			!strings.Contains(text, "known-replica mymaster "+strings.Replace(dead.Addr(), ":", " ", 1))
	}, "the rewrite keeps forget-after and drops the dead replica")
}
