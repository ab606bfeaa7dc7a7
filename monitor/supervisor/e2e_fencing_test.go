package supervisor

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// configGet reads one CONFIG parameter of a data node ("" on error).
func configGet(ctx context.Context, addr, name string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
	defer c.Close()
	m, err := c.ConfigGet(ctx, name).Result()
	if err != nil {
		return ""
	}
	return m[name]
}

// TestE2E_Fencing: SENTINEL SET fencing yes sets min-replicas-to-write 1
// and min-replicas-max-lag (down-after 2 s: 1 s) on the master and 0 on the
// replicas, after reading the operator's values; the master, once its
// replicas are gone, refuses writes; fencing no puts the operator's
// values back.
func TestE2E_Fencing(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 2)
	master := topo.Master.Addr()
	admin := redis.NewClient(&redis.Options{Addr: master, MaxRetries: -1})
	defer admin.Close()
	// The operator's own values, which fencing must give back.
	if err := admin.ConfigSet(ctx, "min-replicas-max-lag", "7").Err(); err != nil {
		t.Fatal(err)
	}
	s := startOurs(t, addrOf(topo.Master), 1, 2*time.Second, "")
	waitSettled(t, s.addr(), 2, 0)
	sc := s.client()
	if err := sc.Set(ctx, "mymaster", "fencing", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		return configGet(ctx, master, "min-replicas-to-write") == "1" && configGet(ctx, master, "min-replicas-max-lag") == "1" &&
			configGet(ctx, topo.Replicas[0].Addr(), "min-replicas-max-lag") == "7" &&
			configGet(ctx, topo.Replicas[1].Addr(), "min-replicas-max-lag") == "7"
	}, "fencing values on the master, operator's lag on the replicas")
	m, err := sc.Master(ctx, "mymaster").Result()
	if err != nil || m["fencing"] != "yes" {
		t.Fatalf("SENTINEL MASTER fencing = %q, %v", m["fencing"], err)
	}
	if err := admin.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("a fenced master with its replicas refused a write: %v", err)
	}

	// Replicas gone: the master refuses writes on its own (NOREPLICAS).
	for _, r := range topo.Replicas {
		if err := r.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		return admin.Set(ctx, "k", "v", 0).Err() != nil
	}, "the master cut off from its replicas to refuse writes")

	if err := sc.Set(ctx, "mymaster", "fencing", "no").Err(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		return configGet(ctx, master, "min-replicas-to-write") == "0" && configGet(ctx, master, "min-replicas-max-lag") == "7"
	}, "the operator's values back on the master")
	if err := admin.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("write after fencing was turned off: %v", err)
	}
}
