package supervisor

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// keysOf returns the field names of a flat [k1, v1, k2, v2, ...] reply, in order.
func keysOf(t *testing.T, v any) []string {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("reply %T is not an array", v)
	}
	var keys []string
	for i := 0; i+1 < len(arr); i += 2 {
		keys = append(keys, fmt.Sprint(arr[i]))
	}
	return keys
}

func infoKeys(text string) []string {
	var keys []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, _, _ := strings.Cut(line, ":")
		if !ourInfoFields[k] {
			keys = append(keys, k)
		}
	}
	return keys
}

// TestE2E_DifferentialAgainstRedisSentinel points Debian's redis-sentinel
// and ours at the same master with two replicas, and compares the field
// names and their order in SENTINEL MASTER, SENTINEL REPLICAS and
// INFO sentinel (RESP2, as redis-cli and most clients read them).
func TestE2E_DifferentialAgainstRedisSentinel(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 2)
	ref := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{
		MasterName: "mymaster", MasterAddr: topo.Master.Addr(), Quorum: 2, DownAfter: time.Second,
	})
	ours := startOurs(t, addrOf(topo.Master), 2, time.Second, "")

	clients := map[string]*redis.Client{
		"redis-sentinel": redis.NewClient(&redis.Options{Addr: ref.Addr(), Protocol: 2, MaxRetries: -1}),
		"ours":           redis.NewClient(&redis.Options{Addr: ours.addr(), Protocol: 2, MaxRetries: -1}),
	}
	for _, c := range clients {
		defer c.Close()
	}
	// Both must have discovered the replicas and each other.
	for name, c := range clients {
		datanodetest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() bool {
			m, err := c.Do(ctx, "SENTINEL", "MASTER", "mymaster").Result()
			if err != nil {
				return false
			}
			arr := m.([]any)
			f := map[string]string{}
			for i := 0; i+1 < len(arr); i += 2 {
				f[fmt.Sprint(arr[i])] = fmt.Sprint(arr[i+1])
			}
			return f["num-slaves"] == "2" && f["num-other-sentinels"] == "1"
		}, "%s should see 2 replicas and the other sentinel", name)
	}

	compare := func(what string, get func(c *redis.Client) []string) {
		t.Helper()
		want := get(clients["redis-sentinel"])
		got := get(clients["ours"])
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s fields differ\n redis-sentinel: %v\n ours:           %v", what, want, got)
		}
	}
	compare("SENTINEL MASTER", func(c *redis.Client) []string {
		v, err := c.Do(ctx, "SENTINEL", "MASTER", "mymaster").Result()
		if err != nil {
			t.Fatal(err)
		}
		return keysOf(t, v)
	})
	compare("SENTINEL REPLICAS", func(c *redis.Client) []string {
		v, err := c.Do(ctx, "SENTINEL", "REPLICAS", "mymaster").Result()
		if err != nil {
			t.Fatal(err)
		}
		arr := v.([]any)
		if len(arr) != 2 {
			t.Fatalf("%d replicas", len(arr))
		}
		return keysOf(t, arr[0])
	})
	compare("SENTINEL SENTINELS", func(c *redis.Client) []string {
		v, err := c.Do(ctx, "SENTINEL", "SENTINELS", "mymaster").Result()
		if err != nil {
			t.Fatal(err)
		}
		arr := v.([]any)
		if len(arr) != 1 {
			t.Fatalf("%d sentinels", len(arr))
		}
		return keysOf(t, arr[0])
	})
	compare("INFO sentinel", func(c *redis.Client) []string {
		v, err := c.Info(ctx, "sentinel").Result()
		if err != nil {
			t.Fatal(err)
		}
		return infoKeys(v)
	})
	compare("ROLE", func(c *redis.Client) []string {
		v, err := c.Do(ctx, "ROLE").Result()
		if err != nil {
			t.Fatal(err)
		}
		return []string{fmt.Sprint(v)}
	})
	compare("GET-MASTER-ADDR-BY-NAME", func(c *redis.Client) []string {
		v, err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").Result()
		if err != nil {
			t.Fatal(err)
		}
		return []string{fmt.Sprint(v)}
	})
	// Errors read the same too.
	compare("unknown master error", func(c *redis.Client) []string {
		_, err := c.Do(ctx, "SENTINEL", "MASTER", "nosuch").Result()
		return []string{fmt.Sprint(err)}
	})
	compare("unknown subcommand error", func(c *redis.Client) []string {
		_, err := c.Do(ctx, "SENTINEL", "FOO").Result()
		return []string{fmt.Sprint(err)}
	})
	compare("wrong arity error", func(c *redis.Client) []string {
		_, err := c.Do(ctx, "SENTINEL", "MASTER").Result()
		return []string{fmt.Sprint(err)}
	})
}

// TestE2E_RedisCLIInteractive drives redis-cli the way a person does: an
// interactive session on stdin, inline commands included.
func TestE2E_RedisCLIInteractive(t *testing.T) {
	requireRedis(t)
	cli := datanodetest.RequireBinary(t, "redis-cli")
	topo := datanodetest.StartTopology(t, 0)
	ours := startOurs(t, addrOf(topo.Master), 1, time.Second, "")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, "-p", fmt.Sprint(ours.port))
	cmd.Stdin = strings.NewReader("PING\nsentinel get-master-addr-by-name mymaster\nsentinel myid\nINFO sentinel\nrole\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"PONG", fmt.Sprint(topo.Master.Port()), ours.sup.Snapshot().MyID, "sentinel_masters:1", "sentinel", "mymaster"} {
		if !strings.Contains(text, want) {
			t.Errorf("redis-cli output lacks %q:\n%s", want, text)
		}
	}
}
