package monitor

import (
	"strconv"
	"strings"
	"time"
)

// onHello is sentinelProcessHelloMessage, for a hello seen on a data node's
// hello channel or PUBLISHed to us by a peer.
func (c *Core) onHello(in HelloReceived) {
	now := in.At
	// Any message on a pub/sub link, our own echo included, proves the link
	// is alive.
	if l := c.links[in.Via]; l != nil {
		l.pubsubSeen = now
	}
	h := in.Hello
	if strings.EqualFold(h.RunID, c.myID) {
		return
	}
	m := c.masterByName(h.MasterName)
	if m == nil {
		return
	}

	si := m.sentinelByRunID(h.RunID)
	if si != nil && si.addr != h.SentinelAddr {
		si = nil // known, but at another address: handled as an address switch
	}
	if si == nil {
		removed := false
		if old := m.sentinelByRunID(h.RunID); old != nil {
			c.removeSentinel(m, old)
			removed = true
			c.event(EventSentinelAddressSwitch, LevelNotice, m.inst,
				"ip "+h.SentinelAddr.Host+" port "+strconv.Itoa(h.SentinelAddr.Port)+" for "+h.RunID)
		} else if other := m.sentinelByAddr(h.SentinelAddr); other != nil {
			// Another run id claimed this address: the old one is gone
			// (restarted without its config), forget it everywhere.
			c.event(EventSentinelInvalidAddr, LevelNotice, other, "")
			obsolete := other.runID
			for _, mm := range c.masters {
				if s := mm.sentinelByRunID(obsolete); s != nil {
					c.removeSentinel(mm, s)
				}
			}
		}
		// A peer at the address of another of its masters' peers with a
		// different run id was just removed; anything else at this address
		// in this master would be a duplicate.
		if m.sentinelByAddr(h.SentinelAddr) == nil {
			si = c.addSentinel(m, h.SentinelAddr, h.RunID, now)
		}
		if si != nil {
			if !removed {
				c.event(EventSentinel, LevelNotice, si, "")
			} else {
				c.updateSentinelAddressInAllMasters(si)
			}
			c.flushConfig()
		}
	}

	if h.CurrentEpoch > c.currentEpoch {
		c.currentEpoch = h.CurrentEpoch
		c.flushConfig()
		c.newEpochEvent(m)
	}

	if si != nil && m.configEpoch < h.MasterConfigEpoch && c.raftIgnoresHello(m, si, h, now) {
		return
	}
	if si != nil && m.configEpoch < h.MasterConfigEpoch && c.deferSwitch(m, in) {
		si.lastHello = now
		return
	}
	if si != nil && m.configEpoch < h.MasterConfigEpoch {
		m.configEpoch = h.MasterConfigEpoch
		c.flushConfig()
		if !c.addrIs(h.MasterAddr, m.inst.addr) {
			from := c.announced(m.inst.addr)
			c.event(EventConfigUpdateFrom, LevelWarning, si, "")
			c.switchMaster(m, h.MasterAddr, now)
			c.act(RunClientReconfigScript{Master: m.name, Role: "observer", State: "start", From: from, To: c.announced(m.inst.addr)})
		}
	}
	if si != nil {
		si.lastHello = now
	}
}

// updateSentinelAddressInAllMasters is sentinelUpdateSentinelAddressInAllMasters:
// the peer moved, so every master that knows its run id follows.
func (c *Core) updateSentinelAddressInAllMasters(si *instance) {
	moved := 0
	for _, m := range c.masters {
		s := m.sentinelByRunID(si.runID)
		if s == nil || s == si || s.addr == si.addr {
			continue
		}
		if m.sentinelByAddr(si.addr) != nil {
			continue // cannot hold two peers at one address
		}
		oldLink := s.link
		s.addr = si.addr
		c.acquireLink(s, c.now)
		c.detach(oldLink, s)
		moved++
	}
	if moved > 0 {
		c.event(EventSentinelAddressUpdate, LevelNotice, si, strconv.Itoa(moved)+" additional matching instances")
	}
}

// deferSwitch holds back a peer's new address for m while our own verdict
// on the old one is pending: a PING is unanswered but down-after has not
// passed yet. A master that hangs (no broken link to start everyone's
// clock at once) is seen down by the sentinels up to a PING period apart,
// and a fast leader switches before the last of them is SDOWN; applying
// its hello then would give that sentinel's subscribers +switch-master
// without +sdown and +odown. Waiting at most the rest of down-after (the
// old master answers, or our SDOWN and, with the peers' questions as
// evidence, ODOWN land first) keeps every sentinel's story whole at the
// cost of that sentinel switching up to down-after later. A healthy old
// master (nothing unanswered: a forced failover) never waits.
func (c *Core) deferSwitch(m *master, in HelloReceived) bool {
	h := in.Hello
	if c.tilt || c.addrIs(h.MasterAddr, m.inst.addr) || !c.verdictPending(m, in.At) {
		return false
	}
	m.deferredHello = &in
	return true
}

// verdictPending reports whether our own verdict on m's current address is
// still pending at at: a PING is unanswered, down-after has not passed, and
// m is not SDOWN. A verdict due but not yet taken by a tick is taken now
// (so it comes before a switch), and false returned.
func (c *Core) verdictPending(m *master, at time.Time) bool {
	l := m.inst.link
	if m.inst.flags&FlagSDown != 0 || l == nil || l.actPing.IsZero() {
		return false
	}
	if at.Sub(l.actPing) > m.DownAfter {
		c.checkSDown(m.inst, at)
		c.checkODown(m, at)
		return false
	}
	return true
}

// applyDeferredHello processes a hello deferSwitch held back, once our
// verdict on the old master is in.
func (c *Core) applyDeferredHello(m *master, now time.Time) {
	in := m.deferredHello
	if in == nil {
		return
	}
	l := m.inst.link
	if m.inst.flags&FlagSDown == 0 && l != nil && !l.actPing.IsZero() && now.Sub(l.actPing) <= m.DownAfter {
		return
	}
	m.deferredHello = nil
	in.At = now
	c.onHello(*in)
}
