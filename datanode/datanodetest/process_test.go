package datanodetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func pingOK(t *testing.T, p *Process) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	return p.Client().Ping(ctx).Err() == nil
}

func TestStartRedis_KillRestartStop(t *testing.T) {
	p := StartRedis(t, RedisOptions{})
	if !pingOK(t, p) {
		t.Fatal("fresh server does not answer PING")
	}
	firstPID := p.PID()
	if firstPID <= 0 || !p.Running() {
		t.Fatalf("PID = %d, Running = %v after start", firstPID, p.Running())
	}
	if p.Port() <= 0 || p.Addr() != "127.0.0.1:"+itoa(p.Port()) {
		t.Fatalf("Addr = %q, Port = %d", p.Addr(), p.Port())
	}
	if err := p.Client().Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}

	if err := p.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if p.Running() || p.PID() != firstPID {
		t.Fatalf("after Kill: Running = %v, PID = %d (want recorded %d)", p.Running(), p.PID(), firstPID)
	}
	if pingOK(t, p) {
		t.Fatal("killed server still answers PING")
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("second Kill should be a no-op, got %v", err)
	}

	port := p.Port()
	if err := p.Restart(t.Context()); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if p.Port() != port || p.PID() == firstPID || !pingOK(t, p) {
		t.Fatalf("after Restart: port %d (want %d), pid %d (old %d), ping ok %v", p.Port(), port, p.PID(), firstPID, pingOK(t, p))
	}
	// No persistence: the restarted server is empty, as a crashed master
	// without AOF/RDB would be.
	if n, err := p.Client().DBSize(t.Context()).Result(); err != nil || n != 0 {
		t.Fatalf("restarted server DBSIZE = %d, %v; want 0", n, err)
	}

	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if p.Running() {
		t.Fatal("Running after Stop")
	}
	if !strings.Contains(p.LogTail(50), "Ready to accept connections") {
		t.Fatalf("log tail lacks the ready line:\n%s", p.LogTail(50))
	}
}

func TestLaunchRedis_ReportsEarlyExit(t *testing.T) {
	RequireBinary(t, "redis-server")
	dir := t.TempDir()
	_, err := LaunchRedis(t.Context(), RedisOptions{Dir: dir, Args: []string{"--no-such-directive", "x"}})
	if err == nil {
		t.Fatal("LaunchRedis succeeded with an invalid directive")
	}
	if !strings.Contains(err.Error(), "exited") {
		t.Fatalf("error does not say the process exited: %v", err)
	}
}

func TestLaunchRedis_OwnsTempDir(t *testing.T) {
	RequireBinary(t, "redis-server")
	p, err := LaunchRedis(t.Context(), RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	dir := p.Dir()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("dir %s missing while running: %v", dir, err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temp dir %s still there after Close (stat err %v)", dir, err)
	}
	if err := p.Restart(t.Context()); err == nil {
		t.Fatal("Restart after Close succeeded")
	}
}

func TestStartTopology_ReplicasLinkedAndReplicating(t *testing.T) {
	topo := StartTopology(t, 2)
	if len(topo.Replicas) != 2 {
		t.Fatalf("got %d replicas", len(topo.Replicas))
	}
	for _, r := range topo.Replicas {
		if ok, state := IsReplicaOf(t.Context(), r, topo.Master.Addr()); !ok {
			t.Fatalf("replica %s: %s", r.Addr(), state)
		}
	}
	if rep, err := Replication(t.Context(), topo.Master); err != nil || rep.Role != "master" || rep.MasterAddr != "" {
		t.Fatalf("master replication = %+v, %v", rep, err)
	}
	if rep, err := Replication(t.Context(), topo.Replicas[0]); err != nil || rep.String() != "role=slave master="+topo.Master.Addr()+" link=up" {
		t.Fatalf("replica replication = %v, %v", rep, err)
	}
	if err := topo.Master.Client().Set(t.Context(), "hello", "world", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range topo.Replicas {
		Eventually(t, 5*time.Second, 10*time.Millisecond, func() bool {
			v, err := r.Client().Get(t.Context(), "hello").Result()
			return err == nil && v == "world"
		}, "replica %s has the key", r.Addr())
	}
}

func TestStartRedisSentinel_MonitorsMaster(t *testing.T) {
	RequireBinary(t, "redis-sentinel")
	topo := StartTopology(t, 1)
	s := StartRedisSentinel(t, SentinelOptions{
		MasterName: "mymaster",
		MasterAddr: topo.Master.Addr(),
		Quorum:     1,
	})
	addr, err := s.SentinelClient().GetMasterAddrByName(t.Context(), "mymaster").Result()
	if err != nil {
		t.Fatalf("get-master-addr-by-name: %v", err)
	}
	if len(addr) != 2 || addr[0] != "127.0.0.1" || addr[1] != itoa(topo.Master.Port()) {
		t.Fatalf("get-master-addr-by-name = %v, want master %s", addr, topo.Master.Addr())
	}
	// The sentinel learns the replica from the master's INFO.
	Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		m, err := s.SentinelClient().Master(t.Context(), "mymaster").Result()
		return err == nil && m["num-slaves"] == "1"
	}, "sentinel sees the replica")
	conf, err := os.ReadFile(filepath.Join(s.Dir(), "sentinel.conf"))
	if err != nil {
		t.Fatal(err)
	}
	// Redis rewrites the file (a writable file is a Redis requirement).
	if !strings.Contains(string(conf), "sentinel myid") {
		t.Fatalf("sentinel.conf was not rewritten by redis-sentinel:\n%s", conf)
	}
	var _ redis.Cmdable = topo.Master.Client()
}

// A relative binary path (bin/sentinel, as make uses) must not be resolved
// against the process's own working directory.
func TestLaunchRedis_RelativeBinaryPath(t *testing.T) {
	real := RequireBinary(t, "redis-server")
	work := t.TempDir()
	if err := os.Mkdir(filepath.Join(work, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(work, "bin", "redis-server")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	p := StartRedis(t, RedisOptions{Binary: "bin/redis-server"})
	if !pingOK(t, p) {
		t.Fatal("server started from a relative path does not answer PING")
	}
}
