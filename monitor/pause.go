package monitor

import (
	"strconv"
	"time"
)

// MaxPause bounds SENTINEL PAUSE: a maintenance window, not a way to turn
// a master's failover off for good (SENTINEL REMOVE does that).
const MaxPause = 7 * 24 * time.Hour

// Pause is SENTINEL PAUSE <name> <seconds>|OFF (ours): for d from at, this
// sentinel starts no failover of the master and votes for no one's; d = 0
// ends a pause. It is this sentinel's alone and is not persisted: pause
// every sentinel (at least a majority) to hold the group's failovers, and
// again after a restart.
func (c *Core) Pause(at time.Time, name string, d time.Duration) error {
	c.now = at
	if c.masterByName(name) == nil {
		return errNoSuchMaster
	}
	if d < 0 || d > MaxPause {
		return errMsg("pause must be between 0 and " + strconv.Itoa(int(MaxPause/time.Second)) + " seconds")
	}
	if d == 0 {
		delete(c.paused, name)
		return nil
	}
	if c.paused == nil {
		c.paused = map[string]time.Time{}
	}
	c.paused[name] = at.Add(d)
	return nil
}

// pausedAt reports whether master name is paused at now.
func (c *Core) pausedAt(name string, now time.Time) bool {
	until, ok := c.paused[name]
	return ok && now.Before(until)
}

// pausedUntil is the end of master name's pause in force at now, or zero.
func (c *Core) pausedUntil(name string, now time.Time) time.Time {
	if c.pausedAt(name, now) {
		return c.paused[name]
	}
	return time.Time{}
}
