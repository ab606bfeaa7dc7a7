//go:build linux

package partition

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const raftPort = 7001

// startRaftSentinel starts our sentinel on host n in raft mode (YAML, the
// three hosts as the raft group, bootstrap on every one), monitoring host
// 1's redis-server.
func (s *scenario) startRaftSentinel(bin string, n int) {
	s.startRaftSentinelOf(bin, n, s.redisAddr(1))
}

// startRaftSentinelOf is startRaftSentinel for the master at masterAddr.
func (s *scenario) startRaftSentinelOf(bin string, n int, masterAddr string) *proc {
	dir := filepath.Join(s.dir, fmt.Sprintf("sentinel%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	var peers strings.Builder
	for k := 1; k <= 3; k++ {
		fmt.Fprintf(&peers, "    - {id: s%d, address: \"%s:%d\"}\n", k, s.lab.addr(k), raftPort)
	}
	text := fmt.Sprintf(`sentinel:
  bind: [%s]
  port: %d
  protected_mode: false
election:
  mode: raft
  node_id: s%d
  bind: "%s:%d"
  peers:
%s  data_dir: raft
  bootstrap: true
masters:
  - name: mymaster
    address: %s
    quorum: 2
    down_after: %s
    failover_timeout: 10s
`, s.lab.addr(n), sentPort, n, s.lab.addr(n), raftPort, peers.String(), masterAddr, downAfter)
	path := filepath.Join(dir, "sentinel.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return s.lab.start(s.lab.host(n), filepath.Join(dir, "sentinel.log"), bin, "--config", path)
}

// raftInfo reads one field of INFO sentinel from c (a sentinel's client).
func raftInfo(c *redis.Client, field string) string {
	info, err := c.Info(context.Background(), "sentinel").Result()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// TestRaftPartitionMinorityNeverPromotes: three hosts, each a redis-server
// and one of our sentinels in raft mode. The master's host is cut from the
// two others (not from the clients) for longer than down-after: the
// majority side fails over exactly once, the cut sentinel never starts a
// failover; after the heal every sentinel names the new master and the old
// master becomes its replica.
func TestRaftPartitionMinorityNeverPromotes(t *testing.T) {
	requireLab(t)
	bin := buildSentinel(t)
	s := newScenario(t, false)
	s.startRedis(1, "")
	s.startRedis(2, "1")
	s.startRedis(3, "1")
	for n := 1; n <= 3; n++ {
		s.startRaftSentinel(bin, n)
	}
	s.dumpLogsAtEnd()
	ctx := context.Background()
	var info [4]*redis.Client
	for n := 1; n <= 3; n++ {
		info[n] = s.client(s.sentAddr(n), 200*time.Millisecond)
	}
	for n := 1; n <= 3; n++ {
		sc := s.sentinel(n)
		eventually(t, 30*time.Second, func() bool {
			m, err := sc.Master(ctx, "mymaster").Result()
			return err == nil && m["num-slaves"] == "2" && m["num-other-sentinels"] == "2" && raftInfo(info[n], "sentinel_raft_leader") != ""
		}, fmt.Sprintf("sentinel %d to see 2 replicas, 2 peers and a raft leader", n))
	}

	cutAt := time.Now()
	s.lab.cut(1, 2, 3)
	// The cut side holds its own view of a healthy master: it must neither
	// lead nor start a failover, and it stops naming a master it cannot
	// vouch for (null, so clients ask the next sentinel).
	withheld := false
	eventually(t, 10*time.Second, func() bool {
		_, err := s.sentinel(1).GetMasterAddrByName(ctx, "mymaster").Result()
		withheld = errors.Is(err, redis.Nil)
		return withheld
	}, "the cut sentinel to withhold the master's address")
	t.Logf("cut sentinel answers null %v after the cut; its raft state %q", time.Since(cutAt).Round(time.Millisecond), raftInfo(info[1], "sentinel_raft_state"))
	var newMaster string
	eventually(t, 30*time.Second, func() bool {
		a2, err2 := s.sentinel(2).GetMasterAddrByName(ctx, "mymaster").Result()
		a3, err3 := s.sentinel(3).GetMasterAddrByName(ctx, "mymaster").Result()
		if err2 != nil || err3 != nil || a2[0] != a3[0] || a2[0]+":"+a2[1] == s.redisAddr(1) {
			return false
		}
		newMaster = a2[0] + ":" + a2[1]
		return true
	}, "the majority (sentinels 2 and 3) to name a new master")
	t.Logf("majority switched to %s %v after the cut", newMaster, time.Since(cutAt).Round(time.Millisecond))
	if st := raftInfo(info[1], "sentinel_raft_state"); st == "leader" {
		t.Fatalf("the cut sentinel is still the raft leader")
	}

	healAt := time.Now()
	s.lab.heal(1, 2, 3)
	eventually(t, 30*time.Second, func() bool {
		for n := 1; n <= 3; n++ {
			a, err := s.sentinel(n).GetMasterAddrByName(ctx, "mymaster").Result()
			if err != nil || a[0]+":"+a[1] != newMaster {
				return false
			}
		}
		return true
	}, "every sentinel to name the new master after the heal")
	t.Logf("all three name %s %v after the heal", newMaster, time.Since(healAt).Round(time.Millisecond))
	master := s.client(s.redisAddr(1), time.Second)
	eventually(t, 30*time.Second, func() bool {
		role, err := master.Do(ctx, "ROLE").Slice()
		return err == nil && len(role) > 0 && role[0] == "slave"
	}, "the old master to become a replica")

	masters := 0
	for n := 1; n <= 3; n++ {
		role, err := s.client(s.redisAddr(n), time.Second).Do(ctx, "ROLE").Slice()
		if err == nil && len(role) > 0 && role[0] == "master" {
			masters++
		}
	}
	if masters != 1 {
		t.Fatalf("%d data nodes report role master, want 1", masters)
	}
	log1, err := os.ReadFile(filepath.Join(s.dir, "sentinel1", "sentinel.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{"+try-failover", "+elected-leader", "+promoted-slave"} {
		if strings.Contains(string(log1), ev) {
			t.Errorf("the cut sentinel logged %s", ev)
		}
	}
}

// TestRaftLeaderKilledMidFailover SIGKILLs the raft leader's sentinel the
// moment its log shows the replica it chose (REPLICAOF NO ONE on its way or
// sent; its switch maybe committed, maybe not). The two others end on one
// new master: the committed switch, or the next leader taking the deposed
// leader's lease over at once (ADR 0003 rule 1: the lease is bound to the
// raft term it was granted in) and finishing the same promotion. Never two
// promoted replicas.
func TestRaftLeaderKilledMidFailover(t *testing.T) {
	requireLab(t)
	bin := buildSentinel(t)
	s := newScenario(t, false)
	// The master on host 2, replicas on hosts 1 and 3; nothing is cut: the
	// master is shut down and the leader's sentinel SIGKILLed.
	s.startRedis(2, "")
	master := s.lab.addr(2) + ":6379"
	replicas := []int{1, 3}
	for _, n := range replicas {
		s.startRedisOf(n, 2)
	}
	procs := map[int]*proc{}
	for n := 1; n <= 3; n++ {
		procs[n] = s.startRaftSentinelOf(bin, n, master)
	}
	s.dumpLogsAtEnd()
	ctx := context.Background()
	var info [4]*redis.Client
	for n := 1; n <= 3; n++ {
		info[n] = s.client(s.sentAddr(n), 200*time.Millisecond)
	}
	leader := 0
	eventually(t, 30*time.Second, func() bool {
		leader = 0
		for n := 1; n <= 3; n++ {
			m, err := s.sentinel(n).Master(ctx, "mymaster").Result()
			if err != nil || m["num-slaves"] != "2" || m["num-other-sentinels"] != "2" {
				return false
			}
			if raftInfo(info[n], "sentinel_raft_state") == "leader" {
				leader = n
			}
		}
		return leader != 0
	}, "three sentinels that see 2 replicas, 2 peers, and a raft leader")

	// Kill the master's redis-server: SHUTDOWN NOSAVE through the clients'
	// host (the process is the lab's, stopped by PID at cleanup anyway).
	_ = s.client(master, time.Second).Do(ctx, "SHUTDOWN", "NOSAVE").Err()
	logPath := filepath.Join(s.dir, fmt.Sprintf("sentinel%d", leader), "sentinel.log")
	killedAt := time.Time{}
	for i := 0; i < 15000 && killedAt.IsZero(); i++ { // at most 30 s
		b, _ := os.ReadFile(logPath)
		if strings.Contains(string(b), "+selected-slave") {
			procs[leader].kill(t)
			killedAt = time.Now()
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if killedAt.IsZero() {
		t.Fatalf("the leader (sentinel %d) never selected a replica", leader)
	}
	t.Logf("SIGKILLed the raft leader, sentinel %d, after +selected-slave", leader)

	var rest []int
	for n := 1; n <= 3; n++ {
		if n != leader {
			rest = append(rest, n)
		}
	}
	var agreed string
	eventually(t, 40*time.Second, func() bool {
		agreed = ""
		for _, n := range rest {
			a, err := s.sentinel(n).GetMasterAddrByName(ctx, "mymaster").Result()
			if err != nil || a[0]+":"+a[1] == master || (agreed != "" && agreed != a[0]+":"+a[1]) {
				return false
			}
			agreed = a[0] + ":" + a[1]
		}
		return true
	}, "the two remaining sentinels to name the same new master")
	t.Logf("the others name %s %v after the kill", agreed, time.Since(killedAt).Round(time.Millisecond))
	promoted := 0
	for _, n := range replicas {
		role, err := s.client(s.redisAddr(n), time.Second).Do(ctx, "ROLE").Slice()
		if err == nil && len(role) > 0 && role[0] == "master" {
			promoted++
			if s.redisAddr(n) != agreed {
				t.Fatalf("%s is a master, the sentinels name %s", s.redisAddr(n), agreed)
			}
		}
	}
	if promoted != 1 {
		t.Fatalf("%d replicas promoted, want 1", promoted)
	}
}

// startRedisOf starts redis-server on host n as a replica of host m's.
func (s *scenario) startRedisOf(n, m int) {
	dir := filepath.Join(s.dir, fmt.Sprintf("redis%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	s.lab.start(s.lab.host(n), filepath.Join(dir, "redis.log"), "redis-server", "--port", "6379", "--bind", s.lab.addr(n),
		"--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", dir, "--replicaof", s.lab.addr(m), "6379")
}
