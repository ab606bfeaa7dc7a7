package monitor

import "time"

// pingPeriod is min(down-after, ping-period), as sentinelSendPeriodicCommands
// computes it.
//
// A link whose last PING got no answer at all (refused, reset, timed out) is
// probed four times as often: Redis retries such a link once a second, and
// that second is most of what a restarted node waits before it is seen
// again (and, for a returning old master, converted to a replica).
func (c *Core) pingPeriod(i *instance) time.Duration {
	pp := min(i.m.DownAfter, c.timers.PingPeriod)
	if i.link.disconnected {
		pp = max(pp/4, time.Millisecond)
	}
	return pp
}

// infoPeriod is how often a data node gets INFO; 0 for sentinels.
func (c *Core) infoPeriod(i *instance) time.Duration {
	m := i.m
	switch i.kind {
	case KindSentinel:
		return 0
	case KindMaster:
		return c.timers.InfoPeriod
	}
	inFailover := m.inst.flags&FlagFailoverInProgress != 0
	switch {
	case inFailover && i == m.promoted && m.failoverState == FailoverWaitPromotion:
		// We are waiting for role:master to appear; every 100 ms of delay
		// here is 100 ms of the master being unavailable.
		return promotionInfoPeriod
	case inFailover && m.failoverState == FailoverReconfReplicas && i.flags&(FlagReconfSent|FlagReconfInprog) != 0:
		return promotionInfoPeriod
	case i.demoted && !i.link.disconnected && i.roleReported != RoleReplica:
		return demotedInfoPeriod
	case m.inst.flags&(FlagSDown|FlagODown|FlagFailoverInProgress) != 0:
		return min(sdownInfoPeriod, c.timers.InfoPeriod)
	case i.masterLinkDownTime != 0:
		return min(replicaFastInfoPeriod, c.timers.InfoPeriod)
	}
	return c.timers.InfoPeriod
}

// periodic is sentinelReconnectInstance's link hygiene plus
// sentinelSendPeriodicCommands: PING, INFO and hello, each on its cadence.
// It runs in TILT too: we keep observing.
func (c *Core) periodic(i *instance, now time.Time) {
	l := i.link
	if !l.born {
		c.initLink(l, now)
	}
	c.linkHygiene(i, now)

	// PING: when the last reply is older than the period and the last PING
	// older than half of it; one PING in flight per link. A PING the driver
	// never answered (it always should) is forgotten after down-after so the
	// cadence cannot stall.
	pp := c.pingPeriod(i)
	if l.pingPending && now.Sub(l.pingSentAt) > max(i.m.DownAfter, pp) {
		l.pingPending = false
		if l.awaitingFirstReply() {
			// The first PING never completed: a failed attempt (firstping.go).
			l.firstAttemptFailed(now)
			l.disconnected = true
		}
	}
	if !l.pingPending && (l.probeNow || (l.lastPong.IsZero() || now.Sub(l.lastPong) > pp) && (l.lastPing.IsZero() || now.Sub(l.lastPing) > pp/2)) {
		l.probeNow = false
		l.pingPending = true
		l.pingSentAt = now
		l.lastPing = now
		if l.actPing.IsZero() {
			l.actPing = now
		}
		if c.helloRidesWithPing(i, pp, now) {
			c.sendHello(i, now, true)
		}
		c.act(Ping{Target: l.addr, Master: l.master})
	}

	// INFO: data nodes only, and only over a working link (a PING answer
	// clears disconnected, and INFO follows at once).
	if ip := c.infoPeriod(i); ip > 0 && !l.disconnected {
		if l.infoPending && now.Sub(l.infoSentAt) > max(ip, c.timers.PingPeriod) {
			l.infoPending = false
		}
		due := i.infoRefresh.IsZero() || now.Sub(i.infoRefresh) > ip
		throttled := !l.infoSentAt.IsZero() && now.Sub(l.infoSentAt) < min(ip, c.timers.PingPeriod)
		if due && !l.infoPending && !throttled {
			l.infoPending = true
			l.infoSentAt = now
			c.act(Info{Target: l.addr, Master: i.m.name})
		}
	}

	// Hello, every publish-period, through every master, replica and peer.
	// A data node's hello normally rides with a PING (helloRidesWithPing);
	// it goes alone only once it is half a PING period overdue, when no
	// PING came to carry it (one still pending, say).
	due := c.timers.PublishPeriod
	if i.kind != KindSentinel {
		due += pp / 2
	}
	if !l.disconnected && (i.lastPub.IsZero() || now.Sub(i.lastPub) > due) {
		c.sendHello(i, now, false)
	}
}

// helloRidesWithPing says whether a data node's hello goes out now, with
// the PING being sent on its link, rather than alone when it falls due: it
// does when it would fall due within half a PING period. A driver then
// writes both at once (one write and one round trip where Redis, and we
// before, made two). With a PING every period, the hello then goes with
// every second PING: between PublishPeriod − half a PING period and
// PublishPeriod + half of one apart (periodic sends it alone after that),
// two PING intervals on average, as Redis's 100 ms timer makes its own
// 2 s period in practice. A peer's link carries one hello per master, so
// peers keep their own cadence.
func (c *Core) helloRidesWithPing(i *instance, pp time.Duration, now time.Time) bool {
	return i.kind != KindSentinel && !i.link.disconnected &&
		(i.lastPub.IsZero() || now.Sub(i.lastPub) > c.timers.PublishPeriod-pp/2)
}

// sendHello publishes our hello through instance i; withPing marks it as
// going out with the PING that follows (PublishHello.WithPing).
func (c *Core) sendHello(i *instance, now time.Time, withPing bool) {
	m := i.m
	i.lastPub = now
	c.act(PublishHello{
		Target:   i.addr,
		WithPing: withPing,
		Master:   m.name,
		Hello: Hello{
			SentinelAddr:      c.announce,
			RunID:             c.myID,
			CurrentEpoch:      c.currentEpoch,
			MasterName:        m.name,
			MasterAddr:        c.announced(m.currentAddr()),
			MasterConfigEpoch: m.configEpoch,
		},
	})
}

// forceHello is sentinelForceHelloUpdateForMaster, but sends at once
// instead of at the next tick: a new configuration spreads faster.
func (c *Core) forceHello(m *master, now time.Time) {
	for _, i := range c.instancesOf(m) {
		if !i.link.disconnected {
			c.sendHello(i, now, false)
		}
	}
}

// instancesOf lists the master, its replicas and its peers, in that order.
func (c *Core) instancesOf(m *master) []*instance {
	out := make([]*instance, 0, 1+len(m.replicas)+len(m.sentinels))
	out = append(out, m.inst)
	out = append(out, m.replicas...)
	return append(out, m.sentinels...)
}

// linkHygiene closes links that look stuck (sentinelReconnectInstance's
// checks): a command link with a PING pending for more than half of
// down-after, and a pub/sub link silent for three publish periods, both
// only once the link is older than min-link-reconnect-period.
func (c *Core) linkHygiene(i *instance, now time.Time) {
	l := i.link
	if l.disconnected {
		return
	}
	half := i.m.DownAfter / 2
	if now.Sub(l.connSince) > c.timers.MinLinkReconnectPeriod &&
		!l.actPing.IsZero() && now.Sub(l.actPing) > half &&
		(l.lastPong.IsZero() || now.Sub(l.lastPong) > half) {
		l.connSince = now
		c.act(Reconnect{Target: l.addr})
	}
	if i.kind != KindSentinel &&
		now.Sub(l.pubsubSince) > c.timers.MinLinkReconnectPeriod &&
		now.Sub(l.pubsubSeen) > 3*c.timers.PublishPeriod {
		l.pubsubSince = now
		l.pubsubSeen = now
		c.act(Reconnect{Target: l.addr, PubSub: true})
	}
}

// onLinkBroken: a data node's pub/sub link broke at in.At. Nothing has
// proved the node alive since, so down-after counts from then (as it counts
// from the oldest unanswered PING), and a PING goes out at once: a live node
// answers it and clears the mark long before down-after, a dead one fails.
// This is what lets SDOWN land right at kill + down-after instead of up to
// one PING period later, without relaxing the rule that down-after must
// pass with no valid reply.
func (c *Core) onLinkBroken(in LinkBroken) {
	l := c.links[in.Target]
	if l == nil || !l.born || !in.At.After(l.lastAvail) {
		return
	}
	if l.actPing.IsZero() || in.At.Before(l.actPing) {
		l.actPing = in.At
		c.wakeStale = true
	}
	l.probeNow = true
}

// onPing is sentinelPingReplyCallback, plus our disconnected bookkeeping.
func (c *Core) onPing(in PingResult) {
	l := c.links[in.Target]
	if l == nil {
		return // a late reply for a forgotten instance
	}
	now := in.At
	if !l.born {
		c.initLink(l, now)
	}
	l.pingPending = false
	if !in.Kind.Connected() {
		c.wakeStale = true // a first attempt failed: a new down-after clock
		l.firstAttemptFailed(now)
		l.disconnected = true
		return
	}
	l.disconnected = false
	l.lastPong = now
	if in.Kind.Valid() {
		l.lastAvail = now
		l.actPing = time.Time{}
		if in.Kind == ReplyPong {
			for _, i := range l.insts {
				i.flags &^= FlagMasterReboot
			}
		}
		return
	}
	if in.Kind == ReplyBusy {
		// A script is blocking the server: kill it once, but only when the
		// instance is already SDOWN (sentinel.c only then).
		for _, i := range l.insts {
			if i.flags&FlagSDown != 0 && i.flags&FlagScriptKillSent == 0 {
				i.flags |= FlagScriptKillSent
				c.act(ScriptKill{Target: i.addr, Master: i.m.name})
			}
		}
	}
}
