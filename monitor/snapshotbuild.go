package monitor

import (
	"slices"
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
	c.views.begin(len(c.masters))
	for k, m := range c.masters {
		s.Masters[k] = c.masterView(m)
		s.Masters[k].PausedUntil = c.pausedUntil(m.name, at)
	}
	c.views.end()
	return s
}

// viewCache lets consecutive snapshots share the replica and sentinel
// views of a master that did not change (issue 14). The published
// snapshot is refreshed every 100 ms and was the largest allocation of a
// settled sentinel by far (more than half of all bytes at 250 masters):
// most of it copies of views identical to the previous copy. Snapshots
// are never modified once built, so a slice that compares equal
// element by element is handed out again instead of a new copy.
type viewCache struct {
	prev map[*master]sharedViews
	next map[*master]sharedViews
	// Per snapshot: the pending commands of a link shared by many
	// instances (a peer's link, one instance per master), summed once.
	asks map[*link]int

	replicas  []ReplicaView  // scratch (owner only)
	sentinels []SentinelView // scratch (owner only)
}

type sharedViews struct {
	replicas  []ReplicaView
	sentinels []SentinelView
}

func (v *viewCache) begin(masters int) {
	v.next = make(map[*master]sharedViews, masters)
	if v.asks == nil {
		v.asks = make(map[*link]int)
	}
	clear(v.asks)
}

// end keeps this snapshot's views (only the masters still there) for the
// next one.
func (v *viewCache) end() {
	v.prev, v.next = v.next, nil
	clear(v.asks)
}

// linkAsks is the sum of the pending questions of every instance on l.
func (c *Core) linkAsks(l *link) int {
	if n, ok := c.views.asks[l]; ok && c.views.next != nil {
		return n
	}
	n := 0
	for _, x := range l.insts {
		n += x.askPending + x.askStale
	}
	if c.views.next != nil && len(l.insts) > 1 {
		c.views.asks[l] = n
	}
	return n
}

// sharedReplicaViews returns m's replica views, the previous snapshot's
// slice when every view is the same.
func (c *Core) sharedReplicaViews(m *master, prev sharedViews) []ReplicaView {
	scratch := c.views.replicas[:0]
	for _, r := range m.replicas {
		scratch = append(scratch, c.replicaView(r))
	}
	c.views.replicas = scratch
	if prev.replicas != nil && slices.Equal(prev.replicas, scratch) {
		return prev.replicas
	}
	return append(make([]ReplicaView, 0, len(scratch)), scratch...)
}

// sharedSentinelViews is sharedReplicaViews for m's peers.
func (c *Core) sharedSentinelViews(m *master, prev sharedViews) []SentinelView {
	scratch := c.views.sentinels[:0]
	for _, s := range m.sentinels {
		scratch = append(scratch, SentinelView{
			InstanceView:     c.instanceView(s),
			LastHello:        s.lastHello,
			VotedLeader:      s.leader,
			VotedLeaderEpoch: s.leaderEpoch,
		})
	}
	c.views.sentinels = scratch
	if prev.sentinels != nil && slices.Equal(prev.sentinels, scratch) {
		return prev.sentinels
	}
	return append(make([]SentinelView, 0, len(scratch)), scratch...)
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
		v.LinkPendingCommands += c.linkAsks(l)
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
	}
	if m.promoted != nil {
		mv.PromotedReplica = m.promoted.addr
	}
	if c.views.next == nil {
		// Outside Snapshot: fresh copies.
		mv.Replicas = c.sharedReplicaViews(m, sharedViews{})
		mv.Sentinels = c.sharedSentinelViews(m, sharedViews{})
		return mv
	}
	prev := c.views.prev[m]
	sv := sharedViews{replicas: c.sharedReplicaViews(m, prev), sentinels: c.sharedSentinelViews(m, prev)}
	c.views.next[m] = sv
	mv.Replicas, mv.Sentinels = sv.replicas, sv.sentinels
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
