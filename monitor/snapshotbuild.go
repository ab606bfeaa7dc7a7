package monitor

import (
	"time"
)

// Snapshot returns a deep copy of the state at time at.
func (c *Core) Snapshot(at time.Time) *Snapshot {
	s := &Snapshot{
		At:           at,
		MyID:         c.myID,
		CurrentEpoch: c.currentEpoch,
		Tilt:         c.tilt,
		TiltSince:    c.tiltSince,
		TiltDelta:    c.tiltDelta,
		TiltCount:    c.tiltCount,
		Masters:      make([]MasterView, len(c.masters)),
	}
	for k, m := range c.masters {
		s.Masters[k] = c.masterView(m)
		s.Masters[k].PausedUntil = c.pausedUntil(m.name, at)
	}
	return s
}

func (c *Core) instanceView(i *instance) InstanceView {
	l := i.link
	v := InstanceView{
		Name:             c.instName(i),
		Addr:             i.addr,
		ReplyAddr:        c.announced(i.addr),
		RunID:            i.runID,
		Flags:            i.flags,
		DownAfterPeriod:  i.m.DownAfter,
		InfoRefresh:      i.infoRefresh,
		RoleReported:     i.roleReported,
		RoleReportedTime: i.roleReportedTime,
		InfoCache:        i.infoRaw,
	}
	if i.flags&FlagSDown != 0 {
		v.SDownSince = i.sdownSince
	}
	if i.flags&FlagODown != 0 {
		v.ODownSince = i.odownSince
	}
	if l != nil {
		// As Redis's link->disconnected: the command link or, for a data
		// node, the hello subscription is not working.
		if l.disconnected || l.pubsubDown {
			v.Flags |= FlagDisconnected
		}
		v.LinkRefcount = len(l.insts)
		if l.pingPending {
			v.LinkPendingCommands++
		}
		if l.infoPending {
			v.LinkPendingCommands++
		}
		for _, x := range l.insts {
			v.LinkPendingCommands += x.askPending + x.askStale
		}
		v.PingSent = l.actPing
		v.LastOKPing = l.lastAvail
		v.LastPingRply = l.lastPong
	}
	if i.kind == KindSentinel {
		v.InfoRefresh, v.RoleReportedTime, v.RoleReported = time.Time{}, time.Time{}, RoleUnknown
	}
	return v
}

func (c *Core) masterView(m *master) MasterView {
	mv := MasterView{
		InstanceView:       c.instanceView(m.inst),
		ConfigEpoch:        m.configEpoch,
		LeaderEpoch:        m.leaderEpoch,
		Leader:             m.leader,
		MasterSettings:     m.MasterSettings.Clone(),
		FailoverState:      m.failoverState,
		FailoverStateSince: m.failoverStateSince,
		FailoverEpoch:      m.failoverEpoch,
		FailoverStart:      m.failoverStart,
		CurrentAddr:        m.currentAddr(),
		CurrentReplyAddr:   c.announced(m.currentAddr()),
		Replicas:           make([]ReplicaView, len(m.replicas)),
		Sentinels:          make([]SentinelView, len(m.sentinels)),
	}
	if m.promoted != nil {
		mv.PromotedReplica = m.promoted.addr
	}
	for k, r := range m.replicas {
		mv.Replicas[k] = c.replicaView(r)
	}
	for k, s := range m.sentinels {
		mv.Sentinels[k] = SentinelView{
			InstanceView:     c.instanceView(s),
			LastHello:        s.lastHello,
			VotedLeader:      s.leader,
			VotedLeaderEpoch: s.leaderEpoch,
		}
	}
	return mv
}

func (c *Core) replicaView(r *instance) ReplicaView {
	return ReplicaView{
		InstanceView:       c.instanceView(r),
		MasterLinkDownTime: r.masterLinkDownTime,
		MasterLinkUp:       r.masterLinkUp,
		MasterHost:         r.replMasterHost,
		MasterPort:         r.replMasterPort,
		Priority:           r.priority,
		ReplOffset:         r.offset,
		Announced:          r.announced,
	}
}
