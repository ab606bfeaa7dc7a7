package monitor

import (
	"slices"
	"time"

	"github.com/sentinelgo/sentinel/election"
)

// forgetGone forgets the replicas and sentinels of m that have been down
// (SDOWN, no valid PING reply) longer than its forget-after, so a group
// that lost a node for good does not carry it forever (Redis needs a
// SENTINEL RESET for that). The rule (docs/operations.md, "Forgetting"):
//
//   - never while a failover of m runs, nor in TILT (the caller checks);
//   - a replica: once it has been down that long;
//   - a sentinel: also only while this sentinel reaches (not SDOWN/ODOWN)
//     a majority of every sentinel it knows, counting itself and the one
//     to forget, and the group left is at least the quorum; one per tick.
//
// The majority condition is what keeps forgetting from splitting a group:
// two sides of a partition that each forgot the other would each need a
// majority of the same group, and two majorities intersect. A sentinel
// that comes back is discovered again by its hellos.
func (c *Core) forgetGone(m *master, now time.Time) {
	if m.ForgetAfter <= 0 || m.failoverState != FailoverNone || m.inst.flags&FlagFailoverInProgress != 0 {
		return
	}
	gone := func(i *instance) bool {
		return i.flags&FlagSDown != 0 && i.link != nil && now.Sub(i.link.lastAvail) > m.ForgetAfter
	}
	forgot := false
	for _, r := range slices.Clone(m.replicas) {
		if gone(r) && r != m.promoted {
			c.event(EventForgetReplica, LevelWarning, r, "")
			m.replicas = slices.DeleteFunc(m.replicas, func(x *instance) bool { return x == r })
			c.releaseLink(r)
			forgot = true
		}
	}
	usable, voters := usableSentinels(m), len(m.sentinels)+1
	if usable >= election.Majority(voters) && voters-1 >= m.Quorum {
		for _, s := range m.sentinels {
			if gone(s) {
				c.event(EventForgetSentinel, LevelWarning, s, "")
				c.removeSentinel(m, s)
				forgot = true
				break
			}
		}
	}
	if forgot {
		c.flushConfig()
	}
}
