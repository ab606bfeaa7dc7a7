package supervisor

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
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

// TestE2E_FencingWithheldAddress: a sentinel with fencing on that reaches
// no majority of the sentinels it knows (two of its three peers are dead)
// answers GET-MASTER-ADDR-BY-NAME with null and says why in INFO and
// /status; go-redis's failover client, given it first, asks the next
// sentinel and writes to the master.
func TestE2E_FencingWithheldAddress(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 1)
	other := startOurs(t, addrOf(topo.Master), 1, 2*time.Second, "")
	cut := startOurs(t, addrOf(topo.Master), 1, 2*time.Second, "sentinel fencing mymaster yes\n"+deadPeers(t))
	sc := cut.client()
	datanodetest.Eventually(t, 30*time.Second, 50*time.Millisecond, func() bool {
		m, err := sc.Master(ctx, "mymaster").Result()
		return err == nil && m["num-other-sentinels"] == "3" && m["fencing"] == "yes"
	}, "the fenced sentinel to know the live peer and the two dead ones")
	waitWithheld(t, sc, 2) // without a majority: 2 of 4
	plain := redis.NewClient(&redis.Options{Addr: cut.addr(), MaxRetries: -1})
	defer plain.Close()
	info, err := plain.Info(ctx, "sentinel").Result()
	if err != nil || !strings.Contains(info, ",authority=no-majority(2/4)") {
		t.Fatalf("INFO sentinel does not say why (%v):\n%s", err, info)
	}
	status := fetchText(t, "http://"+cut.metrics+"/status")
	if !strings.Contains(status, `"withheld": "fencing: this sentinel reaches 2 of 4 sentinels`) {
		t.Fatalf("/status does not say why:\n%s", status)
	}
	// go-redis moves on to the next sentinel on a null answer.
	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: []string{cut.addr(), other.addr()},
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second,
	})
	defer fc.Close()
	if err := fc.Set(ctx, "fenced", "1", 0).Err(); err != nil {
		t.Fatalf("the failover client did not find the master through the other sentinel: %v", err)
	}
	alone := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: []string{cut.addr()},
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second,
	})
	defer alone.Close()
	if err := alone.Set(ctx, "fenced", "2", 0).Err(); err == nil {
		t.Fatal("a client asking only the sentinel without a majority was given the master")
	}
}

func fetchText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return string(b)
}

// TestE2E_FencingEmptyRestart: a fenced master restarted without
// persistence (no RDB, no AOF) before down-after passes comes
// back empty. The sentinel sees the new run id, offset 0 and uptime 0,
// publishes +empty-restart and fails over to the replica, which still has
// the data (it was waiting out repl-diskless-sync-delay, Redis's default
// 5 s, before loading the empty copy).
func TestE2E_FencingEmptyRestart(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 1)
	old, replica := topo.Master, topo.Replicas[0]
	s := startOurs(t, addrOf(old), 1, 5*time.Second, "sentinel fencing mymaster yes\n")
	waitSettled(t, s.addr(), 1, 0)
	rec := recordEvents(t, s.addr())
	admin := redis.NewClient(&redis.Options{Addr: old.Addr(), MaxRetries: -1})
	defer admin.Close()
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		return configGet(ctx, old.Addr(), "min-replicas-to-write") == "1"
	}, "the master to be fenced")
	if err := admin.Set(ctx, "precious", "data", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := admin.Wait(ctx, 1, 5000).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT = %d, %v", n, err)
	}
	// The replica's INFO must show the offset it reached.
	datanodetest.Eventually(t, 15*time.Second, 100*time.Millisecond, func() bool {
		reps, err := s.client().Replicas(ctx, "mymaster").Result()
		return err == nil && len(reps) == 1 && reps[0]["slave-repl-offset"] != "0"
	}, "the sentinel to know the replica's offset")

	port := old.Port()
	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	datanodetest.StartRedis(t, datanodetest.RedisOptions{Port: port, Args: []string{"--repl-diskless-sync-delay", "5"}})
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
		_, ok := rec.first("+switch-master", "mymaster 127.0.0.1 "+strconv.Itoa(port)+" ")
		return ok
	}, "+switch-master away from the master that restarted empty")
	if _, ok := rec.first("+empty-restart", "master mymaster"); !ok {
		t.Fatal("no +empty-restart event")
	}
	rc := redis.NewClient(&redis.Options{Addr: replica.Addr(), MaxRetries: -1})
	defer rc.Close()
	if v, err := rc.Get(ctx, "precious").Result(); err != nil || v != "data" {
		t.Fatalf("the promoted replica lost the data: %q, %v", v, err)
	}
}
