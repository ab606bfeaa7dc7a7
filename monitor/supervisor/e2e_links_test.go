package supervisor

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// sentinelFields reads SENTINEL MASTER (or the first SENTINEL REPLICAS
// entry, replica=true) as a map; nil on any error.
func sentinelFields(ctx context.Context, c *redis.Client, replica bool) map[string]string {
	sub := "MASTER"
	if replica {
		sub = "REPLICAS"
	}
	v, err := c.Do(ctx, "SENTINEL", sub, "mymaster").Result()
	if err != nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil
	}
	if replica {
		if len(arr) == 0 {
			return nil
		}
		if arr, ok = arr[0].([]any); !ok {
			return nil
		}
	}
	f := map[string]string{}
	for i := 0; i+1 < len(arr); i += 2 {
		f[fmt.Sprint(arr[i])] = fmt.Sprint(arr[i+1])
	}
	return f
}

// flagsOf returns the "flags" of the master (and of its first replica),
// "" when they cannot be read.
func flagsOf(ctx context.Context, c *redis.Client) (master, replica string) {
	return sentinelFields(ctx, c, false)["flags"], sentinelFields(ctx, c, true)["flags"]
}

// A data node that requires a password the sentinel lacks shows
// "disconnected" in SENTINEL MASTER and SENTINEL REPLICAS, on Debian's
// redis-sentinel and on ours, until SENTINEL SET auth-pass gives it; then
// the flag clears on both. down-after is long and the quorum out of reach,
// so the flags are exactly "master"/"slave" plus "disconnected".
func TestE2E_DisconnectedUntilAuthPass_DifferentialRedisSentinel(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	ctx := t.Context()
	auth := "requirepass s3cret\nmasterauth s3cret\n"
	master := datanodetest.StartRedis(t, datanodetest.RedisOptions{ConfText: auth})
	replica := datanodetest.StartRedis(t, datanodetest.RedisOptions{ConfText: auth, ReplicaOf: master.Addr()})
	known := fmt.Sprintf("sentinel known-replica mymaster 127.0.0.1 %d\n", replica.Port())
	const downAfter = 20 * time.Second
	ref := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{
		MasterName: "mymaster", MasterAddr: master.Addr(), Quorum: 3, DownAfter: downAfter, ConfText: known,
	})
	ours := startOurs(t, addrOf(master), 3, downAfter, known)
	clients := map[string]*redis.Client{
		"redis-sentinel": redis.NewClient(&redis.Options{Addr: ref.Addr(), Protocol: 2, MaxRetries: -1}),
		"ours":           redis.NewClient(&redis.Options{Addr: ours.addr(), Protocol: 2, MaxRetries: -1}),
	}
	for _, c := range clients {
		defer c.Close()
	}

	// Both show the flag. Redis tears the failed pub/sub link down and
	// redials it once a second, so it may read clear for an instant; we
	// keep the flag until a subscription works.
	for name, c := range clients {
		datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
			m, r := flagsOf(ctx, c)
			return m == "master,disconnected" && r == "slave,disconnected"
		}, "%s: master and replica flagged disconnected while the password is missing", name)
	}
	counts := map[string]int{}
	const samples = 10
	for range samples {
		for name, c := range clients {
			m, r := flagsOf(ctx, c)
			if m == "master,disconnected" && r == "slave,disconnected" {
				counts[name]++
			} else if m != "master" && m != "master,disconnected" || r != "slave" && r != "slave,disconnected" {
				t.Errorf("%s: unexpected flags %q / %q", name, m, r)
			}
		}
		time.Sleep(100 * time.Millisecond) // sampling the flags over a second, not synchronising
	}
	if counts["ours"] != samples {
		t.Errorf("ours showed disconnected in %d of %d samples, want all", counts["ours"], samples)
	}
	if counts["redis-sentinel"] < samples/2 {
		t.Errorf("redis-sentinel showed disconnected in only %d of %d samples", counts["redis-sentinel"], samples)
	}

	for name, c := range clients {
		if err := c.Do(ctx, "SENTINEL", "SET", "mymaster", "auth-pass", "s3cret").Err(); err != nil {
			t.Fatalf("%s: SENTINEL SET auth-pass: %v", name, err)
		}
	}
	for name, c := range clients {
		clear := 0
		datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
			m, r := flagsOf(ctx, c)
			if m == "master" && r == "slave" {
				clear++
			} else {
				clear = 0
			}
			return clear >= 5
		}, "%s: the flag clears once auth-pass is set", name)
		// The links work: INFO is read again (the run id becomes known).
		datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
			return sentinelFields(ctx, c, false)["runid"] != ""
		}, "%s: INFO read once auth-pass is set", name)
	}
}

// With resolve-hostnames, a master monitored as "localhost" is shown as
// 127.0.0.1 without announce-hostnames and as "localhost" with it, in
// SENTINEL MASTER, GET-MASTER-ADDR-BY-NAME, INFO and events, by Debian's
// redis-sentinel and by ours alike. Unlike Redis, our rewritten
// sentinel.conf keeps the name (Redis writes the IP, which goes stale when
// the name moves).
func TestE2E_Hostnames_DifferentialRedisSentinel(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	ctx := t.Context()
	master := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	named := fmt.Sprintf("localhost:%d", master.Port())
	ref := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{
		MasterName: "mymaster", MasterAddr: named, Quorum: 2, DownAfter: 5 * time.Second,
		ConfText: "sentinel resolve-hostnames yes\n",
	})
	ours := startOurs(t, monitor.Addr{Host: "localhost", Port: master.Port()}, 2, 5*time.Second, "sentinel resolve-hostnames yes\n")
	clients := map[string]*redis.Client{
		"redis-sentinel": redis.NewClient(&redis.Options{Addr: ref.Addr(), Protocol: 2, MaxRetries: -1}),
		"ours":           redis.NewClient(&redis.Options{Addr: ours.addr(), Protocol: 2, MaxRetries: -1}),
	}
	events := map[string]*eventRecorder{}
	for name, c := range clients {
		defer c.Close()
		events[name] = recordEvents(t, c.Options().Addr)
	}
	port := fmt.Sprint(master.Port())

	check := func(host string, quorum int) {
		t.Helper()
		for name, c := range clients {
			// Ours learns the IP at its first connection.
			datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
				return sentinelFields(ctx, c, false)["ip"] == host
			}, "%s: SENTINEL MASTER ip %s", name, host)
			addr, err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").StringSlice()
			if err != nil || len(addr) != 2 || addr[0] != host || addr[1] != port {
				t.Errorf("%s: GET-MASTER-ADDR-BY-NAME = %v, %v; want [%s %s]", name, addr, err, host, port)
			}
			info, err := c.Info(ctx, "sentinel").Result()
			if want := "address=" + net.JoinHostPort(host, port); err != nil || !strings.Contains(info, want) {
				t.Errorf("%s: INFO sentinel lacks %s: %v\n%s", name, want, err, info)
			}
			if err := c.Do(ctx, "SENTINEL", "SET", "mymaster", "quorum", fmt.Sprint(quorum)).Err(); err != nil {
				t.Fatalf("%s: SENTINEL SET quorum: %v", name, err)
			}
			want := fmt.Sprintf("master mymaster %s %s quorum %d", host, port, quorum)
			datanodetest.Eventually(t, 5*time.Second, 20*time.Millisecond, func() bool {
				_, ok := events[name].first("+set", want)
				return ok
			}, "%s: +set event %q", name, want)
		}
	}
	check("127.0.0.1", 3)

	for name, c := range clients {
		if err := c.Do(ctx, "SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes").Err(); err != nil {
			t.Fatalf("%s: CONFIG SET announce-hostnames: %v", name, err)
		}
	}
	check("localhost", 4)

	for name, c := range clients {
		if err := c.Do(ctx, "SENTINEL", "CONFIG", "SET", "announce-hostnames", "no").Err(); err != nil {
			t.Fatalf("%s: CONFIG SET announce-hostnames: %v", name, err)
		}
	}
	if err := clients["ours"].Do(ctx, "SENTINEL", "FLUSHCONFIG").Err(); err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(ours.conf)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sentinel monitor mymaster localhost " + port; !strings.Contains(string(conf), want) {
		t.Errorf("our sentinel.conf lost the name (want %q):\n%s", want, conf)
	}
}

// privateNames is a resolver for tests: names to addresses, changeable
// while the sentinel runs (no /etc/hosts edits).
type privateNames struct {
	mu sync.Mutex
	m  map[string]string
}

func (n *privateNames) set(host, ip string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.m[host] = ip
}

func (n *privateNames) lookup(_ context.Context, host string) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ip, ok := n.m[host]; ok {
		return []string{ip}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// The Kubernetes case: the master's pod is rescheduled, keeps its name and
// port, gets a new IP. The sentinel follows the name to the new node, shows
// the new IP, and switches nothing: no +switch-master, no failover. The
// private resolver stands in for DNS; 127.0.0.1 and 127.0.0.2 for the pod
// addresses.
func TestE2E_MasterNameFollowsNewAddress(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	old := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	names := &privateNames{m: map[string]string{"db-0.test": "127.0.0.1"}}

	dir := t.TempDir()
	port := datanodetest.FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel resolve-hostnames yes\nsentinel monitor mymaster db-0.test %d 1\nsentinel down-after-milliseconds mymaster 10000\n", port, old.Port())
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.LoadConf(conf)
	if err != nil {
		t.Fatal(err)
	}
	sup, err := New(Options{Config: cfg, Logger: testLogger(t, fmt.Sprintf("[s%d] ", port)), Version: "test", LookupHost: names.lookup})
	if err != nil {
		t.Fatal(err)
	}
	cancel, done := runInBackground(sup)
	t.Cleanup(func() {
		cancel()
		waitStopped(t, "sentinel", done, 10*time.Second)
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		return c.Ping(ctx).Err() == nil
	}, "our sentinel answers")
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1})
	defer c.Close()
	events := recordEvents(t, addr)
	// INFO every 500 ms instead of 10 s, so the new node's run id shows soon.
	if err := c.Do(ctx, "SENTINEL", "DEBUG", "info-period", "500").Err(); err != nil {
		t.Fatal(err)
	}

	runID := func(p *datanodetest.Process) string {
		id, err := p.Client().Do(ctx, "INFO", "server").Text()
		if err != nil {
			t.Fatalf("INFO %s: %v", p.Addr(), err)
		}
		return datanodetest.InfoValue(id, "run_id")
	}
	oldID := runID(old)
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		f := sentinelFields(ctx, c, false)
		return f["ip"] == "127.0.0.1" && f["runid"] == oldID
	}, "SENTINEL MASTER shows db-0.test at 127.0.0.1 with the old run id")

	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	moved := datanodetest.StartRedis(t, datanodetest.RedisOptions{Host: "127.0.0.2", Port: old.Port()})
	names.set("db-0.test", "127.0.0.2")
	newID := runID(moved)

	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		f := sentinelFields(ctx, c, false)
		return f["ip"] == "127.0.0.2" && f["runid"] == newID && f["flags"] == "master"
	}, "SENTINEL MASTER follows db-0.test to 127.0.0.2 and the new node")
	got, err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").StringSlice()
	if err != nil || len(got) != 2 || got[0] != "127.0.0.2" {
		t.Errorf("GET-MASTER-ADDR-BY-NAME = %v, %v; want 127.0.0.2", got, err)
	}
	if n := events.count("+switch-master") + events.count("+try-failover"); n != 0 {
		t.Errorf("%d +switch-master/+try-failover events: a moved name is the same master", n)
	}
	// The rebooted node is noticed as such (+reboot), as Redis does when
	// the run id changes.
	datanodetest.Eventually(t, 5*time.Second, 20*time.Millisecond, func() bool {
		_, ok := events.first("+reboot", "master mymaster 127.0.0.2")
		return ok
	}, "+reboot for the node at its new address")
}
