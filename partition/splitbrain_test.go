//go:build linux

package partition

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// Hosts of the scenario: 1 is the master's, 2 and 3 the replicas', each
// with one of our sentinels; 10 is the clients'.
const (
	clientHost = 10
	redisPort  = 6379
	sentPort   = 26379
	downAfter  = 2 * time.Second
	cutFor     = 8 * time.Second
	writeEvery = time.Millisecond // the writer's pace: at most 1,000 writes/s
	probeEvery = 25 * time.Millisecond
)

// buildSentinel builds cmd/sentinel into a temporary directory.
func buildSentinel(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sentinel")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/sentinelgo/sentinel/cmd/sentinel")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/sentinel: %v\n%s", err, out)
	}
	return bin
}

// scenario is the running lab: three hosts of redis-server + sentinel and
// the clients' host.
type scenario struct {
	t       *testing.T
	lab     *netLab
	dial    *nsDialer
	dir     string
	fencing bool
}

// newScenario builds the lab every scenario uses: hosts 1 to 3 for the
// nodes and sentinels, and the clients' host with its dialer.
func newScenario(t *testing.T, fencing bool) *scenario {
	lab := newLab(t)
	for _, n := range []int{1, 2, 3, clientHost} {
		lab.addHost(n)
	}
	s := &scenario{t: t, lab: lab, dir: t.TempDir(), fencing: fencing}
	s.dial = newDialer(t, lab.host(clientHost), 4)
	return s
}

// dumpLogsAtEnd prints the sentinels' logs (dumpLogs) when the test ends, if it
// failed or PARTITION_LOGS is set.
func (s *scenario) dumpLogsAtEnd() {
	s.t.Cleanup(func() {
		if s.t.Failed() || os.Getenv("PARTITION_LOGS") != "" {
			s.dumpLogs()
		}
	})
}

func (s *scenario) redisAddr(n int) string { return s.lab.addr(n) + ":" + strconv.Itoa(redisPort) }
func (s *scenario) sentAddr(n int) string  { return s.lab.addr(n) + ":" + strconv.Itoa(sentPort) }

func (s *scenario) startRedis(n int, replicaOf string) {
	dir := filepath.Join(s.dir, fmt.Sprintf("redis%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	args := []string{"--port", strconv.Itoa(redisPort), "--bind", s.lab.addr(n), "--protected-mode", "no",
		"--save", "", "--appendonly", "no", "--dir", dir}
	if replicaOf != "" {
		args = append(args, "--replicaof", s.lab.addr(1), strconv.Itoa(redisPort))
	}
	s.lab.start(s.lab.host(n), filepath.Join(dir, "redis.log"), "redis-server", args...)
}

func (s *scenario) startSentinel(bin string, n int) {
	dir := filepath.Join(s.dir, fmt.Sprintf("sentinel%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind %s\nprotected-mode no\ndir %s\nsentinel monitor mymaster %s %d 2\n"+
		"sentinel down-after-milliseconds mymaster %d\nsentinel failover-timeout mymaster 10000\n",
		sentPort, s.lab.addr(n), dir, s.lab.addr(1), redisPort, downAfter.Milliseconds())
	if s.fencing {
		text += "sentinel fencing mymaster yes\n"
	}
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.lab.start(s.lab.host(n), filepath.Join(dir, "sentinel.log"), bin, conf)
}

// dumpLogs prints the last lines of every sentinel's log.
func (s *scenario) dumpLogs() {
	for n := 1; n <= 3; n++ {
		b, err := os.ReadFile(filepath.Join(s.dir, fmt.Sprintf("sentinel%d", n), "sentinel.log"))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		s.t.Logf("sentinel %d log (last %d lines):\n%s", n, min(len(lines), 80), strings.Join(lines[max(0, len(lines)-80):], "\n"))
	}
}

func (s *scenario) client(addr string, timeout time.Duration) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Dialer: s.dial.Dial, MaxRetries: -1, Protocol: 2,
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, PoolSize: 2, DisableIdentity: true})
	s.t.Cleanup(func() { c.Close() })
	return c
}

func (s *scenario) sentinel(n int) *redis.SentinelClient {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.sentAddr(n), Dialer: s.dial.Dial, MaxRetries: -1, Protocol: 2,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, DisableIdentity: true})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond every 50 ms for at most d.
func eventually(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	if err := datanodetest.Poll(context.Background(), d, 50*time.Millisecond, cond); err != nil {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// record is what the writer, the probes and the pollers saw.
type record struct {
	mu      sync.Mutex
	acked   []ack         // acknowledged writes, in order
	refused int           // writes that got an error
	rounds  []probeRound  // one per probe period
	answers []nameAnswers // GET-MASTER-ADDR-BY-NAME of sentinel 1 and 2
}

type ack struct {
	key int
	at  time.Time
}

type probeRound struct {
	at       time.Time
	writable [4]bool // by host 1..3
}

type nameAnswers struct {
	at             time.Time
	cut, majority  string // "" for null or an error
	cutErr, majErr error
}

// run starts the writer, the probes and the pollers; stop ends them and
// waits.
func (s *scenario) run(rec *record) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: []string{s.sentAddr(1), s.sentAddr(2), s.sentAddr(3)},
		Dialer: s.dial.Dial, MaxRetries: -1, Protocol: 2, DisableIdentity: true,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
	})
	wg.Add(3)
	go func() { // the writer
		defer wg.Done()
		tick := time.NewTicker(writeEvery)
		defer tick.Stop()
		for i := 0; i < 10_000_000 && ctx.Err() == nil; i++ {
			err := fc.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err()
			rec.mu.Lock()
			if err == nil {
				rec.acked = append(rec.acked, ack{i, time.Now()})
			} else if ctx.Err() == nil {
				rec.refused++
			}
			rec.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}()
	probes := []*redis.Client{nil, s.client(s.redisAddr(1), 100*time.Millisecond), s.client(s.redisAddr(2), 100*time.Millisecond), s.client(s.redisAddr(3), 100*time.Millisecond)}
	go func() { // the probes: which nodes take a write right now
		defer wg.Done()
		for i := 0; i < 1_000_000 && ctx.Err() == nil; i++ {
			r := probeRound{at: time.Now()}
			var pw sync.WaitGroup
			for n := 1; n <= 3; n++ {
				pw.Add(1)
				go func() {
					defer pw.Done()
					r.writable[n] = probes[n].Set(ctx, "probe", i, 0).Err() == nil
				}()
			}
			pw.Wait()
			rec.mu.Lock()
			rec.rounds = append(rec.rounds, r)
			rec.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(probeEvery):
			}
		}
	}()
	cutS, majS := s.sentinel(1), s.sentinel(2)
	go func() { // what sentinel 1 (cut) and 2 (majority) tell clients
		defer wg.Done()
		name := func(c *redis.SentinelClient) (string, error) {
			a, err := c.GetMasterAddrByName(ctx, "mymaster").Result()
			if err != nil {
				return "", err
			}
			return a[0] + ":" + a[1], nil
		}
		for i := 0; i < 1_000_000 && ctx.Err() == nil; i++ {
			a := nameAnswers{at: time.Now()}
			a.cut, a.cutErr = name(cutS)
			a.majority, a.majErr = name(majS)
			rec.mu.Lock()
			rec.answers = append(rec.answers, a)
			rec.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		fc.Close()
	}
}

// TestSplitBrainFenced: the old master's host (its redis-server and one
// sentinel) is cut from the two other hosts but not from the clients for
// 8 s with fencing on. No two nodes take writes at the same time, the
// only acknowledged writes lost are those the old master took before it
// fenced itself, the cut sentinel never names the old master once the
// majority switched, and after the heal every sentinel agrees.
func TestSplitBrainFenced(t *testing.T) {
	requireLab(t)
	res := runSplitBrain(t, true)
	if res.dualRounds > 0 {
		t.Errorf("two nodes took writes at the same time in %d probe rounds (%v)", res.dualRounds, res.dualWindow)
	}
	if res.lost > res.ackedBeforeFence {
		t.Errorf("lost %d acknowledged writes, more than the %d acknowledged before the old master fenced itself", res.lost, res.ackedBeforeFence)
	}
	if res.cutNamedOld > 0 {
		t.Errorf("the cut sentinel named the old master %d times after the majority switched", res.cutNamedOld)
	}
	if res.healthyRefused > 0 {
		t.Errorf("%d writes refused while the network was healthy", res.healthyRefused)
	}
}

// TestSplitBrainUnfencedBaseline is the same scenario without fencing, for
// comparison (PARTITION_BASELINE=1; it asserts nothing). With
// PARTITION_BASELINE=redis the sentinels are redis-sentinel, side by side.
func TestSplitBrainUnfencedBaseline(t *testing.T) {
	if os.Getenv("PARTITION_BASELINE") == "" {
		t.Skip("set PARTITION_BASELINE=1 (ours, no fencing) or =redis (redis-sentinel) to measure the scenario without fencing")
	}
	requireLab(t)
	runSplitBrain(t, false)
}

// sentinelBinary is ours, built, or redis-sentinel for
// PARTITION_BASELINE=redis (same command line: the binary and its
// sentinel.conf).
func sentinelBinary(t *testing.T, fencing bool) string {
	if fencing || os.Getenv("PARTITION_BASELINE") != "redis" {
		return buildSentinel(t)
	}
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Skip("PARTITION_BASELINE=redis needs redis-sentinel")
	}
	t.Logf("sentinels: %s", bin)
	return bin
}

// runSplitBrain runs the scenario and logs its numbers.
func runSplitBrain(t *testing.T, fencing bool) result {
	bin := sentinelBinary(t, fencing)
	s := newScenario(t, fencing)
	s.startRedis(1, "")
	s.startRedis(2, "1")
	s.startRedis(3, "1")
	for n := 1; n <= 3; n++ {
		s.startSentinel(bin, n)
	}
	ctx := context.Background()
	master := s.client(s.redisAddr(1), time.Second)
	for n := 1; n <= 3; n++ {
		sc := s.sentinel(n)
		eventually(t, 30*time.Second, func() bool {
			m, err := sc.Master(ctx, "mymaster").Result()
			return err == nil && m["num-slaves"] == "2" && m["num-other-sentinels"] == "2" && (m["fencing"] == "yes") == fencing
		}, fmt.Sprintf("sentinel %d to see 2 replicas, 2 peers and fencing", n))
	}
	eventually(t, 30*time.Second, func() bool {
		v, err := master.ConfigGet(ctx, "min-replicas-to-write").Result()
		return !fencing || (err == nil && v["min-replicas-to-write"] == "1")
	}, "the master to be fenced (min-replicas-to-write 1)")

	s.dumpLogsAtEnd()
	rec := &record{}
	stop := s.run(rec)
	t.Cleanup(stop)             // stop is idempotent enough: cancel and wait twice is harmless
	time.Sleep(3 * time.Second) // healthy traffic before the cut
	rec.mu.Lock()
	healthyRefused, healthyAcked := rec.refused, len(rec.acked)
	rec.mu.Unlock()

	cutAt := time.Now()
	how := "blackhole routes"
	if s.lab.drop {
		how = "iptables DROP"
	}
	t.Logf("cut at %s (%s)", cutAt.UTC().Format("15:04:05.000"), how)
	s.lab.cut(1, 2, 3)
	time.Sleep(cutFor)
	healAt := time.Now()
	s.lab.heal(1, 2, 3)
	t.Logf("healed at %s", healAt.UTC().Format("15:04:05.000"))

	// Convergence: when each sentinel first names the same new master,
	// and when the old master first says it is a replica.
	var agreed [4]time.Duration
	oldReplica := time.Duration(0)
	newMaster := ""
	eventually(t, 30*time.Second, func() bool {
		for n := 1; n <= 3; n++ {
			a, err := s.sentinel(n).GetMasterAddrByName(ctx, "mymaster").Result()
			if err == nil && a[0]+":"+a[1] != s.redisAddr(1) && agreed[n] == 0 {
				agreed[n] = time.Since(healAt)
				newMaster = a[0] + ":" + a[1]
			}
		}
		if oldReplica == 0 {
			if role, err := master.Do(ctx, "ROLE").Slice(); err == nil && len(role) > 0 && role[0] == "slave" {
				oldReplica = time.Since(healAt)
			}
		}
		return agreed[1] > 0 && agreed[2] > 0 && agreed[3] > 0 && oldReplica > 0
	}, "every sentinel to agree on a new master and the old one to be a replica")
	converged := max(agreed[1], agreed[2], agreed[3], oldReplica)
	t.Logf("after the heal: sentinels name %s from +%v/+%v/+%v, old master a replica from +%v", newMaster, agreed[1], agreed[2], agreed[3], oldReplica)
	time.Sleep(time.Second)
	stop()

	res := analyse(t, s, rec, cutAt, healAt)
	t.Logf("healthy: %d writes acknowledged, %d refused", healthyAcked, healthyRefused)
	t.Logf("cut at 0: old master refused writes from +%v; cut sentinel withheld the address from +%v; majority named the new master at +%v (-1ns: never)",
		res.fencedAfter, res.withheldAfter, res.switchedAfter)
	t.Logf("acknowledged %d, lost %d (acknowledged by the old master after the cut before it fenced itself: %d); dual-writable rounds %d (window %v); heal to converged %v",
		res.acked, res.lost, res.ackedBeforeFence, res.dualRounds, res.dualWindow, converged)
	res.healthyRefused = healthyRefused
	return res
}

type result struct {
	healthyRefused                                         int
	acked, lost, ackedBeforeFence, dualRounds, cutNamedOld int
	dualWindow                                             time.Duration
	fencedAfter, withheldAfter, switchedAfter              time.Duration
}

// analyse reads every acknowledged key back from the final master and
// turns the records into the scenario's numbers.
func analyse(t *testing.T, s *scenario, rec *record, cutAt, healAt time.Time) result {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var res result
	res.acked = len(rec.acked)
	// The old master fenced itself at the first probe round after the
	// last one, before the heal, where it took a write: a single failed
	// probe (a timeout on a loaded machine) is not the fence.
	fencedAt := healAt
	for _, r := range rec.rounds {
		if !r.at.After(cutAt) || !r.at.Before(healAt) {
			continue
		}
		switch {
		case r.writable[1]:
			fencedAt = healAt // still writable: the fence is later
		case fencedAt == healAt:
			fencedAt = r.at
		}
	}
	for k, r := range rec.rounds {
		n := 0
		for h := 1; h <= 3; h++ {
			if r.writable[h] {
				n++
			}
		}
		if n >= 2 {
			res.dualRounds++
			if k+1 < len(rec.rounds) {
				res.dualWindow += rec.rounds[k+1].at.Sub(r.at)
			}
		}
	}
	res.fencedAfter = fencedAt.Sub(cutAt)
	switchedAt, withheldAt := time.Time{}, time.Time{}
	for _, a := range rec.answers {
		if !a.at.After(cutAt) || !a.at.Before(healAt) {
			continue
		}
		if withheldAt.IsZero() && errors.Is(a.cutErr, redis.Nil) {
			withheldAt = a.at
		}
		if switchedAt.IsZero() && a.majority != "" && a.majority != s.redisAddr(1) {
			switchedAt = a.at
		}
		if !switchedAt.IsZero() && a.cut == s.redisAddr(1) {
			res.cutNamedOld++
		}
	}
	res.withheldAfter, res.switchedAfter = -1, -1 // never
	if !withheldAt.IsZero() {
		res.withheldAfter = withheldAt.Sub(cutAt)
	}
	if !switchedAt.IsZero() {
		res.switchedAfter = switchedAt.Sub(cutAt)
	}
	// Writes acknowledged after the cut (less 100 ms: writes replicated
	// while the cut was being made are lost with it) and before the probe
	// after the one that first saw the old master refuse.
	from, limit := cutAt.Add(-100*time.Millisecond), fencedAt.Add(probeEvery+100*time.Millisecond)
	for _, a := range rec.acked {
		if a.at.After(from) && a.at.Before(limit) {
			res.ackedBeforeFence++
		}
	}
	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: []string{s.sentAddr(2), s.sentAddr(3)},
		Dialer: s.dial.Dial, MaxRetries: 3, Protocol: 2, DisableIdentity: true, ReadTimeout: 5 * time.Second,
	})
	defer fc.Close()
	ctx := context.Background()
	for start := 0; start < len(rec.acked); start += 1000 {
		end := min(start+1000, len(rec.acked))
		keys := make([]string, 0, end-start)
		for _, a := range rec.acked[start:end] {
			keys = append(keys, "k"+strconv.Itoa(a.key))
		}
		vals, err := fc.MGet(ctx, keys...).Result()
		if err != nil {
			t.Fatalf("reading the acknowledged writes back: %v", err)
		}
		for _, v := range vals {
			if v == nil {
				res.lost++
			}
		}
	}
	return res
}
