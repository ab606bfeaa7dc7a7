package monitor

import (
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

func TestPause(t *testing.T) {
	c := newTestCore(t, Config{})
	if err := c.Monitor(at(0), MasterConfig{Name: "m", Addr: addr("10.0.0.1", 6379), MasterSettings: settings.MasterSettings{Quorum: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Pause(at(0), "nosuch", time.Minute); err == nil {
		t.Error("paused an unknown master")
	}
	for _, d := range []time.Duration{-time.Second, MaxPause + time.Second} {
		if err := c.Pause(at(0), "m", d); err == nil {
			t.Errorf("pause of %v accepted", d)
		}
	}
	if err := c.Pause(at(0), "m", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := c.Snapshot(at(time.Second)).Master("m").PausedUntil; !got.Equal(at(time.Minute)) {
		t.Errorf("PausedUntil = %v, want %v", got, at(time.Minute))
	}

	// An ODOWN master starts no failover while paused, and we vote for no one.
	m := c.masterByName("m")
	m.inst.flags |= FlagODown | FlagSDown
	if c.startFailoverIfNeeded(m, at(2*time.Second)) {
		t.Fatal("a failover started while paused")
	}
	reply := c.IsMasterDownByAddr(at(3*time.Second), IsMasterDownRequest{Addr: addr("10.0.0.1", 6379), CurrentEpoch: 5, RunID: "peer"})
	if reply.Leader != "*" {
		t.Errorf("voted for %q while paused", reply.Leader)
	}

	// The pause ends by itself, or with OFF (0).
	if got := c.Snapshot(at(2 * time.Minute)).Master("m").PausedUntil; !got.IsZero() {
		t.Errorf("expired pause still shown until %v", got)
	}
	if err := c.Pause(at(4*time.Second), "m", 0); err != nil {
		t.Fatal(err)
	}
	if c.pausedAt("m", at(5*time.Second)) {
		t.Error("OFF did not end the pause")
	}
	reply = c.IsMasterDownByAddr(at(6*time.Second), IsMasterDownRequest{Addr: addr("10.0.0.1", 6379), CurrentEpoch: 5, RunID: "peer"})
	if reply.Leader != "peer" {
		t.Errorf("after OFF: voted %q, want peer", reply.Leader)
	}
}
