package monitor

import (
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// TestNextWake_PongUncoversNoLaterDeadline: a PONG clears the master's
// down-after clock without marking NextWake stale, so no other deadline
// (here the wait for fresh replica INFO in a failover whose master came
// back) may hide behind it: the cached answer is never later than a fresh
// look.
func TestNextWake_PongUncoversNoLaterDeadline(t *testing.T) {
	c := newTestCore(t, Config{})
	if err := c.Monitor(at(0), MasterConfig{Name: "m", Addr: addr("10.0.0.1", 6379),
		MasterSettings: settings.MasterSettings{Quorum: 1, DownAfter: 5 * time.Second, FailoverTimeout: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	m := c.masterByName("m")
	r := c.addReplica(m, addr("10.0.0.2", 6379), at(0))
	r.priority = 100
	d := time.Duration(0)
	for ; d < 2000*time.Millisecond; d += 100 * time.Millisecond {
		mustStep(t, c, Tick{At: at(d)})
		if m.inst.link.pingPending {
			mustStep(t, c, PingResult{At: at(d + time.Millisecond), Target: m.inst.addr, Kind: ReplyPong})
		}
		if r.link.pingPending {
			mustStep(t, c, PingResult{At: at(d + time.Millisecond), Target: r.addr, Kind: ReplyPong})
		}
	}
	r.infoRefresh = time.Time{}
	// State as in a failover whose master came back (SDOWN cleared).
	m.failoverState, m.failoverStateSince = FailoverSelectReplica, at(d)
	m.inst.flags |= FlagFailoverInProgress
	c.MarkWakeStale()
	for ; !m.inst.link.pingPending; d += 100 * time.Millisecond {
		mustStep(t, c, Tick{At: at(d)})
	}
	_ = c.NextWake() // cached with the PING in flight
	mustStep(t, c, PingResult{At: at(d + time.Millisecond), Target: m.inst.addr, Kind: ReplyPong})
	got, fresh := c.NextWake(), c.nextWake()
	if !fresh.IsZero() && (got.IsZero() || fresh.Before(got)) {
		t.Errorf("cached NextWake %v later than fresh %v", got.Sub(t0), fresh.Sub(t0))
	}
}
