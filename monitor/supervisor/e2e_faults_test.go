//go:build unix

package supervisor

import (
	"context"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// The fault matrix: real redis-server data nodes, three of our sentinels,
// go-redis clients, and one fault per scenario injected at the moment that
// hurts. Each scenario asserts the outcome Redis Sentinel 7.0 reaches, or a
// better one, and says which. A failing scenario prints every event each
// sentinel published, in seconds from the fault, with processes named M
// (the old master), R1, R2 … (replicas) and S1–S3 (sentinels).

// Timers of the matrix. down-after is short so a death is noticed within a
// second; failover-timeout is short so one abort-and-retry cycle
// (2 × failover-timeout) fits in a scenario.
const (
	fmDownAfter       = time.Second
	fmFailoverTimeout = 3 * time.Second
	// fmSwitchDeadline bounds every wait for a failover to finish: room for
	// a few retry cycles on a loaded machine. It is a bound, not a speed
	// assertion; the scenarios that forbid a stall check the events.
	fmSwitchDeadline = 45 * time.Second
)

func TestE2E_FaultMatrix(t *testing.T) {
	requireRedis(t)
	t.Run("1-master-dies-while-replica-info-is-stale", fmStaleReplicaInfo)
	t.Run("2-leader-killed-after-replicaof-no-one", fmLeaderKilledAfterPromotion)
	t.Run("3-replica-killed-mid-reconf", fmReplicaKilledMidReconf)
	t.Run("4-best-replica-slow", fmSlowBestReplica)
	t.Run("5-priority-zero-never-promoted", fmPriorityZero)
	t.Run("6-all-replicas-down-then-one-returns", fmAllReplicasDown)
	t.Run("7-replica-link-down-too-long", fmLinkDownTooLong)
}

// signalPID sends sig to p's current PID. It refuses a PID ≤ 0, which
// kill(2) would take to mean a whole process group.
func signalPID(p *datanodetest.Process, sig syscall.Signal) error {
	pid := p.PID()
	if pid <= 0 {
		return fmt.Errorf("%s is not running", p.Addr())
	}
	return syscall.Kill(pid, sig)
}

func killMaster(g *faultGroup) {
	g.t.Helper()
	if err := g.data.master.Kill(); err != nil {
		g.t.Fatal(err)
	}
	g.markFault()
}

// fmStaleReplicaInfo: the master dies more than 5 s after the sentinels
// last read the replicas' INFO. Redis refreshes replica INFO every second
// once the master is ODOWN and selects a replica one timer tick after it is
// elected, so it almost always finds fresh INFO and fails over; we require
// it always: the failover completes in the first attempt, with no
// -failover-abort-no-good-slave.
func fmStaleReplicaInfo(t *testing.T) {
	ctx := t.Context()
	d := startDataNodes(t, nil, nil)
	g := startOursGroup(t, d, fmDownAfter, fmFailoverTimeout)
	// Fault injection: with a 30 s INFO period no replica INFO arrives
	// between now and the kill, so the sentinels' copy goes stale for sure
	// (instead of at an unlucky phase of the default 10 s period).
	for _, a := range g.addrs {
		c := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1, DisableIdentity: true})
		err := c.Do(ctx, "SENTINEL", "DEBUG", "INFO-PERIOD", "30000").Err()
		c.Close()
		if err != nil {
			t.Fatalf("SENTINEL DEBUG INFO-PERIOD on %s: %v", a, err)
		}
	}
	const staleMs = 5500 // older than the 5 s selection limit while the master is down
	g.waitFor(20*time.Second, "replica INFO older than 5.5 s on every sentinel", func() (bool, string) {
		for _, a := range g.addrs {
			for _, r := range d.replicas {
				v, _ := sentinelReplicaField(ctx, a, r.Addr(), "info-refresh")
				if n, err := strconv.Atoi(v); err != nil || n <= staleMs {
					return false, fmt.Sprintf("%s: info-refresh of %s = %q ms", g.names[a], g.names[r.Addr()], v)
				}
			}
		}
		return true, ""
	})
	killMaster(g)
	nm := g.waitSwitched(g.addrs, fmSwitchDeadline)
	g.noneOf("the replicas were healthy; only the sentinels' copy of their INFO was old", "-failover-abort-no-good-slave")
	var others []*datanodetest.Process
	for _, r := range d.replicas {
		if r != nm {
			others = append(others, r)
		}
	}
	g.waitLayout(nm, others, 20*time.Second)
	g.writeThrough(g.addrs, nm)
}

// fmLeaderKilledAfterPromotion: the failover leader dies right after it
// sent REPLICAOF NO ONE, before it can tell anyone. Redis converges too:
// after 2 × failover-timeout another sentinel runs a new failover and
// repoints everything to one master. The outcome required is the same:
// the two survivors agree on one master, exactly one replica is a master,
// the other follows it, and a failover client writes to it.
func fmLeaderKilledAfterPromotion(t *testing.T) {
	ctx := t.Context()
	bin := buildBinary(t)
	d := startDataNodes(t, nil, nil)
	// Processes of our binary, so the leader can be SIGKILLed.
	g := startOurProcessGroup(t, bin, d, fmDownAfter, fmFailoverTimeout)
	type frozen struct {
		leader, replica string
		err             error
	}
	f := faultOnFirst(g, "+failover-state-wait-promotion", func(ev datanodetest.SentinelEvent) frozen {
		// Fault injection: freeze the leader the moment it says it sent
		// REPLICAOF NO ONE. The command is already on its way (the event
		// is published as the action is dispatched); what the leader must
		// not get to do is see the promotion and announce it. The SIGKILL
		// follows below.
		f := frozen{leader: ev.Sentinel, replica: instanceAddr(ev.Payload)}
		if p := g.procs[ev.Sentinel]; p != nil {
			f.err = signalPID(p, syscall.SIGSTOP)
		}
		return f
	})
	if f.err != nil {
		t.Fatalf("SIGSTOP the leader %s: %v", f.leader, f.err)
	}
	promoted := d.byAddr(f.replica)
	if promoted == nil {
		g.fail("the leader %s selected %s, which is not a replica", g.names[f.leader], f.replica)
	}
	// Was the command executed before the leader froze? Either way the
	// group must converge; the log says which case this run exercised.
	landed := datanodetest.Poll(ctx, 2*time.Second, 10*time.Millisecond, func() bool {
		rep, err := datanodetest.Replication(ctx, promoted)
		return err == nil && rep.Role == "master"
	}) == nil
	if err := g.procs[f.leader].Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("leader %s SIGKILLed; its REPLICAOF NO ONE reached %s first: %v", g.names[f.leader], g.names[f.replica], landed)

	var alive []string
	for _, a := range g.addrs {
		if a != f.leader {
			alive = append(alive, a)
		}
	}
	nm := g.waitSwitched(alive, fmSwitchDeadline)
	// Everything the leader published before it froze has been read by now.
	// When it announced the promotion (the watcher was slow to deliver the
	// wait-promotion event), the survivors learnt the new master from its
	// hello; otherwise they had to find out on their own.
	t.Logf("the leader announced +promoted-slave before it froze: %v", len(g.events(f.leader, "+promoted-slave")) > 0)
	var others []*datanodetest.Process
	for _, r := range d.replicas {
		if r != nm {
			others = append(others, r)
		}
	}
	g.waitLayout(nm, others, 20*time.Second)
	masters := 0
	for _, r := range d.replicas {
		if rep, err := datanodetest.Replication(ctx, r); err == nil && rep.Role == "master" {
			masters++
		}
	}
	if masters != 1 {
		g.fail("%d replicas report role:master at the end, want exactly 1", masters)
	}
	g.writeThrough(alive, nm)
}

// fmReplicaKilledMidReconf: of three replicas, the first one the leader
// repoints dies the moment +slave-reconf-sent is published. Redis ends the
// failover anyway (the dead replica stops counting once it is SDOWN, and
// the rest get their command at failover-timeout at the latest,
// +slave-reconf-sent-be); so must we: +failover-end, every sentinel on the
// same new master, the surviving replica following it.
func fmReplicaKilledMidReconf(t *testing.T) {
	d := startDataNodes(t, nil, nil, nil)
	g := startOursGroup(t, d, fmDownAfter, fmFailoverTimeout)
	type victim struct {
		addr string
		err  error
	}
	v := faultOnFirst(g, "+slave-reconf-sent", func(ev datanodetest.SentinelEvent) victim {
		// Fault injection: SIGKILL from the watcher's goroutine, so the
		// replica dies before it can finish its resync to the new master.
		v := victim{addr: instanceAddr(ev.Payload)}
		if p := d.byAddr(v.addr); p != nil {
			v.err = signalPID(p, syscall.SIGKILL)
		} else {
			v.err = fmt.Errorf("%s is not a replica", v.addr)
		}
		return v
	})
	if v.err != nil {
		g.fail("kill the replica under reconfiguration: %v", v.err)
	}
	dead := d.byAddr(v.addr)
	if err := dead.Kill(); err != nil { // reaps it
		t.Fatal(err)
	}
	nm := g.waitSwitched(g.addrs, fmSwitchDeadline)
	if len(g.events("", "+failover-end")) == 0 {
		g.fail("every sentinel switched, but no sentinel published +failover-end")
	}
	var survivors []*datanodetest.Process
	for _, r := range d.replicas {
		if r != nm && r != dead {
			survivors = append(survivors, r)
		}
	}
	g.waitLayout(nm, survivors, 20*time.Second)
	g.writeThrough(g.addrs, nm)
	t.Logf("%s killed at +slave-reconf-sent; %s promoted", g.names[v.addr], g.names[nm.Addr()])
}

// fmSlowBestReplica: the replica with the best priority is blocked in
// DEBUG SLEEP from just before the sentinels can notice the master's death
// until after the failover has started. Redis promotes it when it answers
// (or the other one if it is already SDOWN when the replica is selected)
// and does not abort; we require the same, with no stall: no
// -failover-abort-* at all, so no wait for 2 × failover-timeout.
func fmSlowBestReplica(t *testing.T) {
	ctx := t.Context()
	const failoverTimeout = 5 * time.Second
	const sleepFor = 2500 * time.Millisecond // shorter than failover-timeout
	d := startDataNodes(t, []string{"--replica-priority", "10", "--enable-debug-command", "local"}, nil)
	g := startOursGroup(t, d, fmDownAfter, failoverTimeout)
	slow := d.replicas[0]
	killMaster(g)
	// Fault injection, not synchronisation: the sentinels call the master
	// down about down-after after its link broke, so a sleep starting 300 ms
	// earlier is in progress when the failover begins, while the replica is
	// not yet SDOWN (that needs another down-after without a reply). Which
	// replica wins then depends on whether the leader waits for the slow
	// one's INFO; both outcomes are accepted, a stall is not.
	select {
	case <-time.After(fmDownAfter - 300*time.Millisecond):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	sleeper := redis.NewClient(&redis.Options{Addr: slow.Addr(), MaxRetries: -1, ReadTimeout: sleepFor + 5*time.Second, DisableIdentity: true})
	slept := make(chan error, 1)
	asleepAt := time.Now()
	go func() {
		slept <- sleeper.Do(context.Background(), "DEBUG", "SLEEP", fmt.Sprintf("%.1f", sleepFor.Seconds())).Err()
	}()
	t.Cleanup(func() {
		<-slept // DEBUG SLEEP ends on its own after sleepFor
		sleeper.Close()
	})

	nm := g.waitSwitched(g.addrs, fmSwitchDeadline)
	// The stalls a slow replica causes in Redis: the leader gives up waiting
	// for it (-failover-abort-slave-timeout) or finds no replica it trusts
	// (-failover-abort-no-good-slave), and the next attempt comes 2 ×
	// failover-timeout later.
	g.noneOf("a slow replica must not stall the failover", "-failover-abort-slave-timeout", "-failover-abort-no-good-slave")
	// Whatever else happened on the way (a split vote retried at once is
	// allowed), the switch came within one failover-timeout of the first
	// ODOWN. The bound is the protocol's own timer, set to 5× a normal
	// failover here: anything that waits for a retry exceeds it by
	// construction, whatever the machine's speed.
	odown, okO := g.w.First("+odown", time.Time{}, func(ev datanodetest.SentinelEvent) bool { return ev.IsMasterEvent("mymaster") })
	sw, okS := g.w.First("+switch-master", time.Time{}, nil)
	if !okO || !okS {
		g.fail("every sentinel switched, yet the first +odown (%v) or +switch-master (%v) is missing", okO, okS)
	}
	took := sw.At.Sub(odown.At)
	if took >= failoverTimeout {
		g.fail("the failover stalled: the first +switch-master came %v after the first +odown (failover-timeout %v)", took.Round(time.Millisecond), failoverTimeout)
	}
	var others []*datanodetest.Process
	for _, r := range d.replicas {
		if r != nm {
			others = append(others, r)
		}
	}
	g.waitLayout(nm, others, 20*time.Second)
	g.writeThrough(g.addrs, nm)
	selected := "nothing"
	for _, ev := range g.events("", "+selected-slave") {
		selected = fmt.Sprintf("%s at %+.3fs (asleep from %+.3fs for %v)", g.names[instanceAddr(ev.Payload)], ev.At.Sub(g.fault).Seconds(), asleepAt.Sub(g.fault).Seconds(), sleepFor)
	}
	t.Logf("selected %s; promoted %s; first +odown to first +switch-master %v", selected, g.names[nm.Addr()], took.Round(time.Millisecond))
}

// fmPriorityZero: a replica with replica-priority 0 must never be promoted
// (Redis's rule; a broken exclusion would rank it first, since lower
// priority wins). The other replica is promoted.
func fmPriorityZero(t *testing.T) {
	d := startDataNodes(t, []string{"--replica-priority", "0"}, nil)
	g := startOursGroup(t, d, fmDownAfter, fmFailoverTimeout)
	never, other := d.replicas[0], d.replicas[1]
	killMaster(g)
	nm := g.waitSwitched(g.addrs, fmSwitchDeadline)
	if nm != other {
		g.fail("%s was promoted; only %s may be", g.names[nm.Addr()], g.names[other.Addr()])
	}
	for _, ch := range []string{"+selected-slave", "+promoted-slave"} {
		for _, ev := range g.events("", ch) {
			if instanceAddr(ev.Payload) == never.Addr() {
				g.fail("%s published %s for the priority-0 replica", g.names[ev.Sentinel], ch)
			}
		}
	}
	g.waitLayout(nm, []*datanodetest.Process{never}, 20*time.Second)
	g.writeThrough(g.addrs, nm)
}

// fmAllReplicasDown: with every replica dead the failover aborts with
// -failover-abort-no-good-slave, as in Redis; once one replica returns (as
// a replica of the dead master), the next attempt promotes it, as in Redis.
func fmAllReplicasDown(t *testing.T) {
	ctx := t.Context()
	d := startDataNodes(t, nil, nil)
	g := startOursGroup(t, d, fmDownAfter, fmFailoverTimeout)
	for _, r := range d.replicas {
		if err := r.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	g.waitFor(20*time.Second, "+sdown of both replicas on every sentinel", func() (bool, string) {
		for _, a := range g.addrs {
			for _, r := range d.replicas {
				found := false
				for _, ev := range g.events(a, "+sdown") {
					found = found || instanceAddr(ev.Payload) == r.Addr()
				}
				if !found {
					return false, fmt.Sprintf("no +sdown of %s from %s", g.names[r.Addr()], g.names[a])
				}
			}
		}
		return true, ""
	})
	killMaster(g)
	g.waitFor(fmSwitchDeadline, "-failover-abort-no-good-slave", func() (bool, string) {
		return len(g.events("", "-failover-abort-no-good-slave")) > 0, ""
	})
	if sw := g.events("", "+switch-master"); len(sw) > 0 {
		g.fail("+switch-master with every replica dead")
	}
	back := d.replicas[1]
	if err := back.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	nm := g.waitSwitched(g.addrs, fmSwitchDeadline)
	if nm != back {
		g.fail("%s promoted; only %s is alive", g.names[nm.Addr()], g.names[back.Addr()])
	}
	g.waitLayout(nm, nil, 20*time.Second)
	g.writeThrough(g.addrs, nm)
}

// fmLinkDownTooLong: a replica whose link to the master has been down for
// more than 10 × down-after is not promoted, even with the best priority
// (Redis's rule: its data may be far behind); the other replica is. The
// link is held down deterministically: the master refuses PSYNC and SYNC
// to the default user (the sentinels never use them), and the replica's
// current link is cut, so every reconnect fails at the sync step while the
// replica keeps answering PING and INFO.
func fmLinkDownTooLong(t *testing.T) {
	ctx := t.Context()
	const downAfter = 500 * time.Millisecond
	d := startDataNodes(t, []string{"--replica-priority", "10"}, nil)
	g := startOursGroup(t, d, downAfter, fmFailoverTimeout)
	cut, other := d.replicas[0], d.replicas[1]
	if err := d.master.Client().Do(ctx, "ACL", "SETUSER", "default", "-psync", "-sync").Err(); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	if err := cut.Client().Do(ctx, "CLIENT", "KILL", "TYPE", "master").Err(); err != nil {
		t.Fatalf("CLIENT KILL TYPE master: %v", err)
	}
	// Well past the limit, which grows by the time since the master's
	// SDOWN while the failover runs.
	limit := 10*downAfter + 1500*time.Millisecond
	g.waitFor(30*time.Second, fmt.Sprintf("every sentinel sees R1's link down for more than %v", limit), func() (bool, string) {
		for _, a := range g.addrs {
			v, _ := sentinelReplicaField(ctx, a, cut.Addr(), "master-link-down-time")
			if n, err := strconv.Atoi(v); err != nil || time.Duration(n)*time.Millisecond <= limit {
				return false, fmt.Sprintf("%s: master-link-down-time %q ms", g.names[a], v)
			}
		}
		return true, ""
	})
	if ok, state := datanodetest.IsReplicaOf(ctx, other, d.master.Addr()); !ok {
		t.Fatalf("R2 lost its link too: %s", state)
	}
	killMaster(g)
	nm := g.waitSwitched(g.addrs, fmSwitchDeadline)
	if nm != other {
		g.fail("%s was promoted; its link had been down too long, only %s qualifies", g.names[nm.Addr()], g.names[other.Addr()])
	}
	for _, ev := range g.events("", "+selected-slave") {
		if instanceAddr(ev.Payload) == cut.Addr() {
			g.fail("%s selected %s, whose link had been down too long", g.names[ev.Sentinel], g.names[cut.Addr()])
		}
	}
	// The new master has no ACL: the cut replica resyncs from it.
	g.waitLayout(nm, []*datanodetest.Process{cut}, 20*time.Second)
	g.writeThrough(g.addrs, nm)
}
