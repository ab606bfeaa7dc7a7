package monitor

import (
	"strconv"
	"strings"
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
			c.event("+sentinel-address-switch", LevelNotice, m.inst,
				"ip "+h.SentinelAddr.Host+" port "+strconv.Itoa(h.SentinelAddr.Port)+" for "+h.RunID)
		} else if other := m.sentinelByAddr(h.SentinelAddr); other != nil {
			// Another run id claimed this address: the old one is gone
			// (restarted without its config), forget it everywhere.
			c.event("+sentinel-invalid-addr", LevelNotice, other, "")
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
				c.event("+sentinel", LevelNotice, si, "")
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

	if si != nil && m.configEpoch < h.MasterConfigEpoch {
		m.configEpoch = h.MasterConfigEpoch
		c.flushConfig()
		if h.MasterAddr.Port != m.inst.addr.Port || !sameHost(h.MasterAddr.Host, m.inst.addr.Host) {
			from := m.inst.addr
			c.event("+config-update-from", LevelWarning, si, "")
			c.switchMaster(m, h.MasterAddr, now)
			c.act(RunClientReconfigScript{Master: m.name, Role: "observer", State: "start", From: from, To: m.inst.addr})
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
		c.event("+sentinel-address-update", LevelNotice, si, strconv.Itoa(moved)+" additional matching instances")
	}
}
