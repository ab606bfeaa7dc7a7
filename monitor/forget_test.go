package monitor

import (
	"fmt"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// forgetFixture is a master with one replica and n peer sentinels, every
// instance last seen at 0 and marked SDOWN when down.
func forgetFixture(t *testing.T, peers int, forgetAfter time.Duration) (*Core, *master) {
	t.Helper()
	c := newTestCore(t, Config{})
	if err := c.Monitor(at(0), MasterConfig{Name: "m", Addr: addr("10.0.0.1", 6379),
		MasterSettings: settings.MasterSettings{Quorum: 2, ForgetAfter: forgetAfter}}); err != nil {
		t.Fatal(err)
	}
	m := c.masterByName("m")
	c.addReplica(m, addr("10.0.0.2", 6379), at(0))
	for i := range peers {
		c.addSentinel(m, addr("10.0.1."+fmt.Sprint(i+1), 26379), fmt.Sprintf("%040d", i+1), at(0))
	}
	c.Ready()
	return c, m
}

func down(i *instance) { i.flags |= FlagSDown }

func TestForget_ReplicaAfterForgetAfter(t *testing.T) {
	c, m := forgetFixture(t, 2, time.Minute)
	down(m.replicas[0])
	c.forgetGone(m, at(30*time.Second))
	if len(m.replicas) != 1 {
		t.Fatal("forgot a replica before forget-after")
	}
	c.forgetGone(m, at(2*time.Minute))
	if len(m.replicas) != 0 {
		t.Fatal("kept a replica down longer than forget-after")
	}
	rd := c.Ready()
	flushed := false
	for _, a := range rd.Actions {
		if _, ok := a.(FlushConfig); ok {
			flushed = true
		}
	}
	if !hasEvent(rd, EventForgetReplica) || !flushed {
		t.Errorf("events %v, state flushed %v", eventTypes(rd), flushed)
	}
}

func TestForget_SentinelOnlyWithAMajority(t *testing.T) {
	// Three sentinels (us and two peers), both peers down: we reach 1 of
	// 3, no majority: they may be alive on the other side of a partition.
	c, m := forgetFixture(t, 2, time.Minute)
	down(m.sentinels[0])
	down(m.sentinels[1])
	c.forgetGone(m, at(time.Hour))
	if len(m.sentinels) != 2 {
		t.Fatalf("forgot sentinels without a majority: %d left", len(m.sentinels))
	}

	// Five (us and four peers), one down: we reach 4 of 5; it goes, and
	// only one per call.
	c, m = forgetFixture(t, 4, time.Minute)
	down(m.sentinels[0])
	down(m.sentinels[1])
	c.forgetGone(m, at(time.Hour))
	if len(m.sentinels) != 3 {
		t.Fatalf("after one pass: %d sentinels, want 3", len(m.sentinels))
	}
	if !hasEvent(c.Ready(), EventForgetSentinel) {
		t.Error("no +forget-sentinel")
	}
	// Now 4 known, we reach 3 of 4 (the other down one not yet gone
	// from the count): a majority, and 3 left ≥ quorum 2: it goes too.
	c.forgetGone(m, at(time.Hour))
	if len(m.sentinels) != 2 {
		t.Fatalf("after two passes: %d sentinels, want 2", len(m.sentinels))
	}

	// Never below the quorum: us and one peer down with quorum 2.
	c, m = forgetFixture(t, 1, time.Minute)
	m.Quorum = 2
	down(m.sentinels[0])
	c.forgetGone(m, at(time.Hour))
	if len(m.sentinels) != 1 {
		t.Fatal("forgot a sentinel the quorum needs")
	}
}

func TestForget_NeverDuringAFailoverOrWhenOff(t *testing.T) {
	c, m := forgetFixture(t, 4, time.Minute)
	down(m.replicas[0])
	down(m.sentinels[0])
	m.inst.flags |= FlagFailoverInProgress
	c.forgetGone(m, at(time.Hour))
	if len(m.replicas) != 1 || len(m.sentinels) != 4 {
		t.Fatal("forgot during a failover")
	}
	c, m = forgetFixture(t, 4, 0)
	down(m.replicas[0])
	c.forgetGone(m, at(time.Hour))
	if len(m.replicas) != 1 {
		t.Fatal("forgot with forget-after 0")
	}
}
