//go:build unix

package supervisor

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// Helpers of the fault matrix (e2e_faults_test.go): a master with replicas
// whose command lines differ, three sentinels of ours, and one watcher over
// all of them that names every process in its timeline, so a failing
// scenario states what each sentinel said and when.

// dataNodes is a master and its replicas, started by startDataNodes.
type dataNodes struct {
	master   *datanodetest.Process
	replicas []*datanodetest.Process
}

// startDataNodes starts a master and one replica per element of
// replicaArgs (extra redis-server flags for that replica, nil for none),
// and waits until every replica's link is up. Every process is killed by
// PID when the test ends, also when it fails.
func startDataNodes(t *testing.T, replicaArgs ...[]string) *dataNodes {
	t.Helper()
	d := &dataNodes{master: datanodetest.StartRedis(t, datanodetest.RedisOptions{})}
	for _, args := range replicaArgs {
		d.replicas = append(d.replicas, datanodetest.StartRedis(t, datanodetest.RedisOptions{ReplicaOf: d.master.Addr(), Args: args}))
	}
	for _, r := range d.replicas {
		if err := datanodetest.WaitReplicaOf(t.Context(), r, d.master.Addr(), 15*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// byAddr returns the data node listening on addr, or nil.
func (d *dataNodes) byAddr(addr string) *datanodetest.Process {
	for _, p := range append([]*datanodetest.Process{d.master}, d.replicas...) {
		if p.Addr() == addr {
			return p
		}
	}
	return nil
}

// faultGroup is three sentinels watching one master, plus the event
// watcher subscribed to all of them.
type faultGroup struct {
	t     *testing.T
	data  *dataNodes
	addrs []string
	// procs holds the sentinel processes when the group runs our binary
	// (nil for in-process sentinels).
	procs map[string]*datanodetest.Process
	names map[string]string // "host:port", "host port" and run ids → short names
	w     *datanodetest.EventWatcher

	mu    sync.Mutex
	fault time.Time                           // when the fault was injected
	hook  func(ev datanodetest.SentinelEvent) // runs on the watcher's goroutine
}

// failoverConf is the sentinel.conf text every fault-matrix sentinel gets
// beyond startOurs's own: short failover-timeout, so one abort-and-retry
// cycle (2 × failover-timeout) fits in a test.
func failoverConf(failoverTimeout time.Duration) string {
	return fmt.Sprintf("sentinel failover-timeout mymaster %d\n", failoverTimeout.Milliseconds())
}

// startOursGroup starts three in-process sentinels of ours (quorum 2) on
// d.master and waits until each sees every replica and both peers.
func startOursGroup(t *testing.T, d *dataNodes, downAfter, failoverTimeout time.Duration) *faultGroup {
	t.Helper()
	g := &faultGroup{t: t, data: d}
	for range 3 {
		s := startOurs(t, addrOf(d.master), 2, downAfter, failoverConf(failoverTimeout))
		g.addrs = append(g.addrs, s.addr())
	}
	g.settle()
	return g
}

// startOurProcessGroup starts three sentinel processes of our binary bin
// (so one can be SIGKILLed) and waits until they have settled.
func startOurProcessGroup(t *testing.T, bin string, d *dataNodes, downAfter, failoverTimeout time.Duration) *faultGroup {
	t.Helper()
	g := &faultGroup{t: t, data: d, procs: map[string]*datanodetest.Process{}}
	for range 3 {
		p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{
			Binary: bin, MasterName: "mymaster", MasterAddr: d.master.Addr(),
			Quorum: 2, DownAfter: downAfter, FailoverTimeout: failoverTimeout,
		})
		g.addrs = append(g.addrs, p.Addr())
		g.procs[p.Addr()] = p
	}
	g.settle()
	return g
}

// settle waits for discovery, learns every name for the timeline and
// subscribes to every sentinel's events.
func (g *faultGroup) settle() {
	t := g.t
	t.Helper()
	for _, a := range g.addrs {
		waitSettled(t, a, len(g.data.replicas), len(g.addrs)-1)
	}
	g.names = map[string]string{}
	name := func(addr, short string) {
		host, port, _ := strings.Cut(addr, ":")
		g.names[addr] = short
		g.names[host+" "+port] = short
	}
	name(g.data.master.Addr(), "M")
	for i, r := range g.data.replicas {
		name(r.Addr(), fmt.Sprintf("R%d", i+1))
	}
	for i, a := range g.addrs {
		name(a, fmt.Sprintf("S%d", i+1))
		c := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1, DisableIdentity: true})
		id, err := c.Do(t.Context(), "SENTINEL", "MYID").Text()
		c.Close()
		if err != nil {
			t.Fatalf("SENTINEL MYID on %s: %v", a, err)
		}
		g.names[id] = fmt.Sprintf("S%d", i+1)
	}
	w, err := datanodetest.WatchEvents(t.Context(), g.addrs, func(ev datanodetest.SentinelEvent) {
		g.mu.Lock()
		h := g.hook
		g.mu.Unlock()
		if h != nil {
			h(ev)
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Verbose runs show the timeline of passing scenarios too: it is
		// how a scenario's path (which replica, how many elections) is read.
		if t.Failed() || testing.Verbose() {
			t.Logf("sentinel events (seconds from the fault):\n%s", g.timeline())
		}
		_ = w.Close()
	})
	g.w = w
	g.markFault()
}

// onEvent installs fn to run for every event, on the watcher's goroutine
// (one call at a time). It must not block for long.
func (g *faultGroup) onEvent(fn func(ev datanodetest.SentinelEvent)) {
	g.mu.Lock()
	g.hook = fn
	g.mu.Unlock()
}

// markFault records now as the moment of the fault; the timeline counts
// from it.
func (g *faultGroup) markFault() {
	g.mu.Lock()
	g.fault = time.Now()
	g.mu.Unlock()
}

// short rewrites a payload with the processes' short names (M, R1, S2 …).
func (g *faultGroup) short(payload string) string {
	f := strings.Fields(payload)
	var out []string
	for i := 0; i < len(f); i++ {
		if i+1 < len(f) {
			if n, ok := g.names[f[i]+" "+f[i+1]]; ok {
				out = append(out, n)
				i++
				continue
			}
		}
		if n, ok := g.names[f[i]]; ok {
			out = append(out, n)
			continue
		}
		out = append(out, f[i])
	}
	return strings.Join(out, " ")
}

// timeline is every event so far, one line each, with its time relative to
// the fault and the publishing sentinel's short name.
func (g *faultGroup) timeline() string {
	g.mu.Lock()
	fault := g.fault
	g.mu.Unlock()
	var b strings.Builder
	for _, ev := range g.w.Events() {
		fmt.Fprintf(&b, "  %+8.3fs %s %s %s\n", ev.At.Sub(fault).Seconds(), g.names[ev.Sentinel], ev.Channel, g.short(ev.Payload))
	}
	return b.String()
}

// events returns the events on channel (all channels when "") whose
// publisher is sentinel (any when "").
func (g *faultGroup) events(sentinel, channel string) []datanodetest.SentinelEvent {
	var out []datanodetest.SentinelEvent
	for _, ev := range g.w.Events() {
		if (sentinel == "" || ev.Sentinel == sentinel) && (channel == "" || ev.Channel == channel) {
			out = append(out, ev)
		}
	}
	return out
}

// instanceAddr is the "ip:port" of an instance event's payload
// ("slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster …"), or "".
func instanceAddr(payload string) string {
	f := strings.Fields(payload)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// fail stops the test with msg, the sentinels' event timeline, and the
// state of every data node.
func (g *faultGroup) fail(format string, args ...any) {
	g.t.Helper()
	g.t.Fatalf("%s\nevents (seconds from the fault):\n%sdata nodes: %s", fmt.Sprintf(format, args...), g.timeline(), g.layout())
}

// faultOnFirst injects a fault at the first event published on channel:
// inject runs on the event watcher's goroutine, at once. It then kills the
// master and returns inject's result, failing the group when no sentinel
// publishes channel within fmSwitchDeadline.
func faultOnFirst[T any](g *faultGroup, channel string, inject func(datanodetest.SentinelEvent) T) T {
	ch := make(chan T, 1)
	var once sync.Once
	g.onEvent(func(ev datanodetest.SentinelEvent) {
		if ev.Channel == channel {
			once.Do(func() { ch <- inject(ev) })
		}
	})
	killMaster(g)
	select {
	case v := <-ch:
		return v
	case <-time.After(fmSwitchDeadline):
		g.fail("no sentinel published %s", channel)
		panic("unreachable") // fail stops the test
	}
}

// waitFor polls cond (every 20 ms, at most timeout) and fails with the
// timeline and cond's last status when it never holds.
func (g *faultGroup) waitFor(timeout time.Duration, what string, cond func() (bool, string)) {
	g.t.Helper()
	var status string
	err := datanodetest.Poll(g.t.Context(), timeout, 20*time.Millisecond, func() bool {
		var ok bool
		ok, status = cond()
		return ok
	})
	if err != nil {
		g.fail("%s: not reached within %v (last: %s)", what, timeout, status)
	}
}

// layout describes every data node's replication role, for messages.
func (g *faultGroup) layout() string {
	var parts []string
	for _, p := range append([]*datanodetest.Process{g.data.master}, g.data.replicas...) {
		s := "dead"
		if p.Running() {
			if rep, err := datanodetest.Replication(g.t.Context(), p); err != nil {
				s = "no answer"
			} else {
				s = rep.Role
				if rep.Role == "slave" {
					s = fmt.Sprintf("slave of %s link %v", g.names[rep.MasterAddr], rep.LinkUp)
				}
			}
		}
		parts = append(parts, g.names[p.Addr()]+": "+s)
	}
	return strings.Join(parts, "; ")
}

// masterAddrs asks every sentinel in addrs for mymaster's address ("" for
// no answer).
func masterAddrs(ctx context.Context, addrs []string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		c := redis.NewSentinelClient(&redis.Options{Addr: a, MaxRetries: -1, DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second})
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		r, err := c.GetMasterAddrByName(qctx, "mymaster").Result()
		cancel()
		c.Close()
		if err == nil && len(r) == 2 {
			out[i] = r[0] + ":" + r[1]
		}
	}
	return out
}

// waitSwitched waits until every sentinel in alive has published
// +switch-master away from the killed master and all of them answer the
// same new master, which must be one of the replicas; it returns that
// replica.
func (g *faultGroup) waitSwitched(alive []string, timeout time.Duration) *datanodetest.Process {
	g.t.Helper()
	old := g.data.master.Addr()
	var newAddr string
	g.waitFor(timeout, "+switch-master on every sentinel and one answer from all", func() (bool, string) {
		var missing []string
		for _, a := range alive {
			found := false
			for _, ev := range g.events(a, "+switch-master") {
				if sw, err := datanodetest.ParseSwitchMaster(ev.Payload); err == nil && sw.OldAddr == old {
					found = true
				}
			}
			if !found {
				missing = append(missing, g.names[a])
			}
		}
		answers := masterAddrs(g.t.Context(), alive)
		var named []string
		for _, a := range answers {
			named = append(named, g.names[a])
		}
		status := fmt.Sprintf("no +switch-master from %v; sentinels answer %v", missing, named)
		if len(missing) > 0 {
			return false, status
		}
		for _, a := range answers {
			if a == "" || a != answers[0] || a == old {
				return false, status
			}
		}
		newAddr = answers[0]
		return true, status
	})
	p := g.data.byAddr(newAddr)
	if p == nil || p == g.data.master {
		g.fail("the sentinels agree on %s, which is not one of the replicas", newAddr)
	}
	g.sawMasterDown(alive)
	return p
}

// sawMasterDown fails unless every sentinel in alive published +sdown and
// +odown for the old master. Better than Redis, where a sentinel that
// learns the new master from a hello first never publishes them (in 4 of
// 18 sentinel-trials measured against Redis 7.0.15): a client may subscribe
// to any one sentinel.
func (g *faultGroup) sawMasterDown(alive []string) {
	g.t.Helper()
	host, port, _ := strings.Cut(g.data.master.Addr(), ":")
	prefix := "master mymaster " + host + " " + port
	var missing []string
	for _, a := range alive {
		for _, ch := range []string{"+sdown", "+odown"} {
			found := false
			for _, ev := range g.events(a, ch) {
				found = found || strings.HasPrefix(ev.Payload, prefix)
			}
			if !found {
				missing = append(missing, g.names[a]+" "+ch)
			}
		}
	}
	if len(missing) > 0 {
		g.fail("every sentinel switched, but these events about the old master never came: %v", missing)
	}
}

// waitLayout waits until newMaster reports role:master and every replica
// in followers is its linked replica.
func (g *faultGroup) waitLayout(newMaster *datanodetest.Process, followers []*datanodetest.Process, timeout time.Duration) {
	g.t.Helper()
	g.waitFor(timeout, fmt.Sprintf("%s master, %d replica(s) following it", g.names[newMaster.Addr()], len(followers)), func() (bool, string) {
		if rep, err := datanodetest.Replication(g.t.Context(), newMaster); err != nil || rep.Role != "master" {
			return false, g.layout()
		}
		for _, f := range followers {
			if ok, _ := datanodetest.IsReplicaOf(g.t.Context(), f, newMaster.Addr()); !ok {
				return false, g.layout()
			}
		}
		return true, ""
	})
}

// writeThrough writes one key with go-redis's failover client over the
// sentinels in addrs and checks it landed on want.
func (g *faultGroup) writeThrough(addrs []string, want *datanodetest.Process) {
	g.t.Helper()
	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: addrs, MaxRetries: -1,
		DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second,
	})
	defer fc.Close()
	key := "fault-matrix-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var lastErr error
	g.waitFor(10*time.Second, "a write through NewFailoverClient", func() (bool, string) {
		lastErr = fc.Set(g.t.Context(), key, "v", 0).Err()
		return lastErr == nil, fmt.Sprint(lastErr)
	})
	if v, err := want.Client().Get(g.t.Context(), key).Result(); err != nil || v != "v" {
		g.fail("the failover client wrote %s, but %s has %q (%v)", key, g.names[want.Addr()], v, err)
	}
}

// noneOf fails when any sentinel published an event on one of channels.
func (g *faultGroup) noneOf(why string, channels ...string) {
	g.t.Helper()
	var seen []string
	for _, ch := range channels {
		for _, ev := range g.events("", ch) {
			seen = append(seen, g.names[ev.Sentinel]+" "+ev.Channel)
		}
	}
	if len(seen) > 0 {
		sort.Strings(seen)
		g.fail("%s, yet the sentinels published %v", why, seen)
	}
}

// sentinelReplicaField reads field of replica addr from SENTINEL REPLICAS on
// the sentinel at s; ok is false when the replica is not listed.
func sentinelReplicaField(ctx context.Context, s, addr, field string) (string, bool) {
	c := redis.NewSentinelClient(&redis.Options{Addr: s, MaxRetries: -1})
	defer c.Close()
	reps, err := c.Replicas(ctx, "mymaster").Result()
	if err != nil {
		return "", false
	}
	for _, r := range reps {
		if r["ip"]+":"+r["port"] == addr {
			v, ok := r[field]
			return v, ok
		}
	}
	return "", false
}
