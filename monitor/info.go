package monitor

import (
	"time"
)

// onInfo takes an INFO result for every data-node instance at that address.
func (c *Core) onInfo(in InfoResult) {
	l := c.links[in.Target]
	if l == nil {
		return
	}
	if !l.born {
		c.initLink(l, in.At)
	}
	l.infoPending = false
	if !in.Kind.Connected() {
		l.firstAttemptFailed(in.At)
		l.disconnected = true
		return
	}
	l.disconnected = false
	if in.Kind != ReplyPong {
		return // an error reply (NOAUTH, a renamed INFO...): nothing learned
	}
	for _, i := range append([]*instance(nil), l.insts...) {
		if i.kind == KindSentinel || i.link == nil {
			continue
		}
		m := i.m
		c.refreshFromInfo(i, in.Info, in.Raw, in.At)
		if !c.tilt && c.masterByName(m.name) == m && m.inst.flags&FlagFailoverInProgress != 0 {
			// A promotion or a reconfigured replica moves the failover on
			// now, not at the next tick.
			c.runFailover(m, in.At)
		}
	}
}

// refreshFromInfo is sentinelRefreshInstanceInfo.
func (c *Core) refreshFromInfo(i *instance, info NodeInfo, raw string, now time.Time) {
	m := i.m
	i.infoRaw = raw

	if info.RunID != "" {
		if i.runID != "" && i.runID != info.RunID {
			c.event(EventReboot, LevelNotice, i, "")
			c.noteRestart(i, info, now)
			if i.kind == KindMaster && m.RebootDownAfter != 0 {
				i.flags |= FlagMasterReboot
				i.rebootSince = now
			}
		}
		i.runID = info.RunID
	}
	c.noteFencedInfo(i, info, now)

	// Replicas listed by the master.
	if i.kind == KindMaster {
		for _, rl := range info.Replicas {
			if !validAddr(rl.Addr) || c.knownAt(m, rl.Addr) {
				continue
			}
			if r := c.addReplica(m, rl.Addr, now); r != nil {
				c.event(EventSlave, LevelNotice, r, "")
				c.flushConfig()
			}
		}
	}

	i.masterLinkDownTime = max(info.MasterLinkDownSince, 0)
	role := info.Role
	if role == RoleReplica {
		if i.replMasterHost == "" || !sameHost(i.replMasterHost, info.MasterHost) {
			i.replMasterHost = info.MasterHost
			i.confChangeTime = now
		}
		if i.replMasterPort != info.MasterPort {
			i.replMasterPort = info.MasterPort
			i.confChangeTime = now
		}
		i.masterLinkUp = info.MasterLinkUp
		i.priority = info.ReplicaPriority
		i.offset = info.ReplicaReplOffset
		i.announced = info.ReplicaAnnounced
	}
	i.infoRefresh = now

	if role != RoleUnknown && role != i.roleReported {
		i.roleReportedTime = now
		i.roleReported = role
		if role == RoleReplica {
			i.confChangeTime = now
		}
		typ := EventRoleDiffersFromConfig
		if (i.kind == KindMaster && role == RoleMaster) || (i.kind == KindReplica && role == RoleReplica) {
			typ = EventRoleMatchesConfig
		}
		c.event(typ, LevelVerbose, i, "new reported role is "+role.String())
	}

	// Nothing below runs in TILT: our view of time, hence of who is down,
	// cannot be trusted.
	if c.tilt {
		return
	}
	if i.kind == KindReplica && role == RoleReplica {
		i.demoted = false
	}

	if i.kind == KindReplica && role == RoleMaster {
		if i.flags&FlagPromoted != 0 && m.inst.flags&FlagFailoverInProgress != 0 && m.failoverState == FailoverWaitPromotion {
			c.promotionObserved(m, i, now)
		} else if c.mayConvertToReplica(i, now) {
			c.act(c.replicaOf(i, m.inst.addr))
			c.event(EventConvertToSlave, LevelNotice, i, "")
		}
	}

	// A replica replicating from the wrong address is repointed, after
	// failover-timeout of stability, and only while our view is certain.
	if i.kind == KindReplica && role == RoleReplica &&
		(i.replMasterPort != m.inst.addr.Port || !c.hostIs(i.replMasterHost, m.inst.addr)) {
		wait := m.FailoverTimeout
		if c.masterLooksSane(m, now) && m.failoverState == FailoverNone &&
			noDownFor(i, now, wait) && now.Sub(i.confChangeTime) > wait {
			c.act(c.replicaOf(i, m.inst.addr))
			c.event(EventFixSlaveConfig, LevelNotice, i, "")
		}
	}

	// A replica being reconfigured during a failover moves on.
	if i.kind == KindReplica && role == RoleReplica && i.flags&(FlagReconfSent|FlagReconfInprog) != 0 && m.promoted != nil {
		if i.flags&FlagReconfSent != 0 && i.replMasterHost != "" &&
			c.hostIs(i.replMasterHost, m.promoted.addr) && i.replMasterPort == m.promoted.addr.Port {
			i.flags &^= FlagReconfSent
			i.flags |= FlagReconfInprog
			c.event(EventSlaveReconfInProg, LevelNotice, i, "")
		}
		if i.flags&FlagReconfInprog != 0 && i.masterLinkUp {
			i.flags &^= FlagReconfInprog
			i.flags |= FlagReconfDone
			c.event(EventSlaveReconfDone, LevelNotice, i, "")
		}
	}
}

// mayConvertToReplica says whether a replica that reports role:master may be
// turned back into a replica. Sentinel waits 4 publish periods after the
// role change so that a newer configuration (hello) can arrive first; we
// skip that wait only for the demoted old master, which no other sentinel
// can have promoted (it was not a replica when it went away).
func (c *Core) mayConvertToReplica(i *instance, now time.Time) bool {
	m := i.m
	if i.flags&FlagPromoted != 0 || m.failoverState != FailoverNone || !c.masterLooksSane(m, now) {
		return false
	}
	if i.flags&FlagSDown != 0 {
		return false
	}
	if i.demoted {
		return true
	}
	wait := 4 * c.timers.PublishPeriod
	return noDownFor(i, now, wait) && now.Sub(i.roleReportedTime) > wait
}

// masterLooksSane is sentinelMasterLooksSane: we can only enforce the layout
// while the master is reachable, reports master, and its INFO is fresh.
func (c *Core) masterLooksSane(m *master, now time.Time) bool {
	mi := m.inst
	return mi.roleReported == RoleMaster &&
		mi.flags&(FlagSDown|FlagODown) == 0 &&
		!mi.infoRefresh.IsZero() && now.Sub(mi.infoRefresh) < 2*c.timers.InfoPeriod
}

// noDownFor is sentinelRedisInstanceNoDownFor: not SDOWN/ODOWN since at
// least d (measured from the latest transition to down).
func noDownFor(i *instance, now time.Time, d time.Duration) bool {
	last := i.sdownSince
	if i.odownSince.After(last) {
		last = i.odownSince
	}
	return last.IsZero() || now.Sub(last) > d
}

// replicaOf is sentinelSendSlaveOf's target: the new master as announced
// (by IP unless announce-hostnames is on).
func (c *Core) replicaOf(i *instance, to Addr) ReplicaOf {
	return ReplicaOf{Target: i.addr, Master: i.m.name, NewMaster: c.announced(to)}
}

// promotionObserved is the WAIT_PROMOTION exit of sentinelRefreshInstanceInfo:
// the promoted replica now says role:master.
func (c *Core) promotionObserved(m *master, r *instance, now time.Time) {
	m.configEpoch = m.failoverEpoch
	c.setFailoverState(m, FailoverReconfReplicas, now)
	c.flushConfig()
	c.event(EventPromotedSlave, LevelWarning, r, "")
	c.event(EventFailoverStateReconfSlaves, LevelWarning, m.inst, "")
	c.act(RunClientReconfigScript{Master: m.name, Role: "leader", State: "start", From: c.announced(m.inst.addr), To: c.announced(r.addr)})
	c.forceHello(m, now)
}
