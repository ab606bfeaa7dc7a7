package datanodetest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// logTailLines is how much of a process's log a failing test prints.
const logTailLines = 30

// RequireBinary returns the path of the named binary. When it is missing the
// test is skipped, unless the environment variable CI is set, in which case
// the test fails: CI must never pass by skipping. With -short (make
// test-short, the layers without real processes) it always skips.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("datanodetest: needs a real %s process; skipped with -short", name)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("datanodetest: %s is required in CI: %v", name, err)
		}
		t.Skipf("datanodetest: %s not installed: %v", name, err)
	}
	return path
}

// FreePort returns a free loopback TCP port or fails the test.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := PickFreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// Eventually fails the test unless cond returns true within timeout,
// checking every tick. msgAndArgs, if given, is a format string and its
// arguments describing what was awaited.
func Eventually(t testing.TB, timeout, tick time.Duration, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	if err := Poll(t.Context(), timeout, tick, cond); err != nil {
		t.Fatalf("datanodetest: not true within %v: %s: %v", timeout, describe(msgAndArgs), err)
	}
}

func describe(msgAndArgs []any) string {
	if len(msgAndArgs) == 0 {
		return "condition"
	}
	format, ok := msgAndArgs[0].(string)
	if !ok {
		return fmt.Sprint(msgAndArgs...)
	}
	return fmt.Sprintf(format, msgAndArgs[1:]...)
}

// bindToTest closes p when the test ends, printing its log tail first if the
// test failed.
func bindToTest(t testing.TB, p *Process) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log tail of %s (%s):\n%s", p.name, p.logPath, p.LogTail(logTailLines))
		}
		if err := p.Close(); err != nil {
			t.Errorf("datanodetest: close %s: %v", p.name, err)
		}
	})
}

// StartRedis launches redis-server for the test (skipping when it is not
// installed, see RequireBinary). The process is killed when the test ends,
// and its log tail is printed if the test failed. An empty opts.Dir uses a
// t.TempDir.
func StartRedis(t testing.TB, opts RedisOptions) *Process {
	t.Helper()
	return startForTest(t, opts.binary(), &opts.Dir, func() (*Process, error) { return LaunchRedis(t.Context(), opts) })
}

// StartRedisSentinel launches a sentinel (redis-sentinel unless
// opts.Binary says otherwise) for the test, like StartRedis.
func StartRedisSentinel(t testing.TB, opts SentinelOptions) *Process {
	t.Helper()
	return startForTest(t, opts.binary(), &opts.Dir, func() (*Process, error) { return LaunchRedisSentinel(t.Context(), opts) })
}

// startForTest runs launch for the test: binary must be installed (see
// RequireBinary), an empty *dir becomes a t.TempDir first, and the process
// is bound to the test (killed at its end, log tail printed on failure).
func startForTest(t testing.TB, binary string, dir *string, launch func() (*Process, error)) *Process {
	t.Helper()
	RequireBinary(t, binary)
	if *dir == "" {
		*dir = t.TempDir()
	}
	p, err := launch()
	if err != nil {
		t.Fatal(err)
	}
	bindToTest(t, p)
	return p
}

// StartTopology launches a master and n replicas for the test and waits
// until every replica's link is up.
func StartTopology(t testing.TB, replicas int) *Topology {
	t.Helper()
	RequireBinary(t, "redis-server")
	topo, err := LaunchTopology(t.Context(), TopologyOptions{Replicas: replicas, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range topo.All() {
		bindToTest(t, p)
	}
	return topo
}

// StartCluster launches a cluster for the test (redis-sentinel unless
// opts.SentinelBinary says otherwise) and kills it when the test ends,
// printing every process's log tail if the test failed. It does not wait
// for the sentinels to settle; call WaitSettled.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	RequireBinary(t, "redis-server")
	if opts.SentinelBinary == "" {
		opts.SentinelBinary = "redis-sentinel"
	}
	RequireBinary(t, opts.SentinelBinary)
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	c, err := LaunchCluster(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Sentinels are bound last so, cleanups running in reverse, they die first.
	for _, p := range c.Topology.All() {
		bindToTest(t, p)
	}
	for _, s := range c.Sentinels {
		bindToTest(t, s)
	}
	return c
}
