package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// withheldPair starts two sentinel groups that name different masters
// under the same name: cut (ours, fencing on, two of its three peers dead,
// so it withholds the address) monitors oldMaster; other (ours, alone)
// monitors newMaster. A client given [cut, other] that moves on after the
// null answer ends up at newMaster; one that trusts cut at oldMaster.
func withheldPair(t *testing.T) (cut, other *ourSentinel, oldPort, newPort int) {
	t.Helper()
	ctx := t.Context()
	a := datanodetest.StartTopology(t, 1)
	b := datanodetest.StartTopology(t, 1)
	other = startOurs(t, addrOf(b.Master), 1, 2*time.Second, "")
	cut = startOurs(t, addrOf(a.Master), 1, 2*time.Second, "sentinel fencing mymaster yes\n"+deadPeers(t))
	sc := cut.client()
	waitWithheld(t, sc, 2)
	oc := other.client()
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		_, err := oc.GetMasterAddrByName(ctx, "mymaster").Result()
		return err == nil
	}, "the other sentinel to name its master")
	return cut, other, a.Master.Port(), b.Master.Port()
}

// waitWithheld waits until sc holds its dead peers SDOWN and answers
// GET-MASTER-ADDR-BY-NAME with null. Peers that never answered do not
// count as reached (monitor/authority.go), so the null answer comes from
// the start; waiting for SDOWN as well makes the state the tests rely on
// explicit.
func waitWithheld(t *testing.T, sc *redis.SentinelClient, dead int) {
	t.Helper()
	ctx := t.Context()
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		peers, err := sc.Sentinels(ctx, "mymaster").Result()
		down := 0
		for _, p := range peers {
			if strings.Contains(fmt.Sprint(p["flags"]), "s_down") {
				down++
			}
		}
		_, err2 := sc.GetMasterAddrByName(ctx, "mymaster").Result()
		return err == nil && down == dead && errors.Is(err2, redis.Nil)
	}, "the fenced sentinel to hold its dead peers SDOWN and answer GET-MASTER-ADDR-BY-NAME with null")
}

// deadPeers is sentinel.conf's known-sentinel lines for two peers nobody
// runs: a sentinel that knows them reaches 1 of 3 (2 of 4 with one live
// peer), no majority.
func deadPeers(t *testing.T) string {
	dead := ""
	for i, id := range []string{"1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"} {
		dead += fmt.Sprintf("sentinel known-sentinel mymaster 127.0.0.1 %d %s\n", datanodetest.FreePort(t)+i, id)
	}
	return dead
}

// runClient runs a client script; it prints the port of the master it
// wrote to.
func runClient(t *testing.T, env []string, name string, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		t.Fatalf("%s printed nothing", name)
	}
	port, err := strconv.Atoi(lines[len(lines)-1])
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return port
}

// pythonWithRedis is a python3 that imports redis (Debian's python3-redis
// lives in /usr/lib/python3/dist-packages, which a pyenv python3 first on
// PATH does not see), or "".
func pythonWithRedis() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import redis").Run() == nil {
			return p
		}
	}
	return ""
}

const redisPyClient = `
import sys
from redis.sentinel import Sentinel
s = Sentinel([("127.0.0.1", int(p)) for p in sys.argv[1:]], socket_timeout=1)
m = s.master_for("mymaster", socket_timeout=1)
m.set("fenced-client", "redis-py")
print(m.config_get("port")["port"])
`

// TestE2E_FencingWithheldRedisPy: redis-py (4.3, Debian's python3-redis;
// current redis-py discovers the same way) finds the master with SENTINEL
// MASTERS, not GET-MASTER-ADDR-BY-NAME, and takes the first sentinel whose
// entry has the master flag and no s_down/o_down. A sentinel that withholds
// the address leaves the master out of SENTINEL MASTERS, as a sentinel that
// does not know it would, so redis-py asks the next sentinel and writes to
// the majority's master, never to the old one. docs/compatibility.md.
func TestE2E_FencingWithheldRedisPy(t *testing.T) {
	requireRedis(t)
	py := pythonWithRedis()
	if py == "" {
		t.Skip("no python3 with the redis module (apt-get install python3-redis)")
	}
	cut, other, oldPort, newPort := withheldPair(t)
	got := runClient(t, nil, py, "-c", redisPyClient, strconv.Itoa(cut.port), strconv.Itoa(other.port))
	if got != newPort {
		t.Fatalf("redis-py wrote to port %d, want the other sentinel's master %d (the withholding sentinel's is %d)", got, newPort, oldPort)
	}
	old := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(oldPort), MaxRetries: -1})
	t.Cleanup(func() { _ = old.Close() })
	if n, err := old.Exists(t.Context(), "fenced-client").Result(); err != nil || n != 0 {
		t.Fatalf("the old master holds redis-py's key (EXISTS = %d, %v)", n, err)
	}
}

const ioredisClient = `
const Redis = require("ioredis");
const ports = process.argv.slice(1).map(Number);
const r = new Redis({
  name: "mymaster",
  sentinels: ports.map((port) => ({ host: "127.0.0.1", port })),
  connectTimeout: 2000, maxRetriesPerRequest: 2,
  sentinelRetryStrategy: (n) => (n > 5 ? null : 200),
});
r.set("fenced-client", "ioredis")
  .then(() => r.config("GET", "port"))
  .then((v) => { console.log(v[1]); r.disconnect(); })
  .catch((e) => { console.error(e); process.exit(1); });
`

// TestE2E_FencingWithheldIoredis: ioredis asks GET-MASTER-ADDR-BY-NAME and
// takes a null answer as "this sentinel knows no master": it asks the
// next sentinel and writes to the majority's master. Needs node and
// ioredis (npm install --prefix <dir> ioredis@5, then
// IOREDIS_NODE_PATH=<dir>/node_modules); skipped otherwise, so make test
// never needs the network.
func TestE2E_FencingWithheldIoredis(t *testing.T) {
	requireRedis(t)
	mods := os.Getenv("IOREDIS_NODE_PATH")
	if mods == "" {
		t.Skip("IOREDIS_NODE_PATH unset (npm install ioredis into a directory, point it at its node_modules)")
	}
	if _, err := os.Stat(filepath.Join(mods, "ioredis")); err != nil {
		t.Skipf("no ioredis under IOREDIS_NODE_PATH: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	cut, other, oldPort, newPort := withheldPair(t)
	got := runClient(t, []string{"NODE_PATH=" + mods}, node, "-e", ioredisClient, strconv.Itoa(cut.port), strconv.Itoa(other.port))
	if got != newPort {
		t.Fatalf("ioredis wrote to port %d, want the other sentinel's master %d (the withholding sentinel's is %d)", got, newPort, oldPort)
	}
}
