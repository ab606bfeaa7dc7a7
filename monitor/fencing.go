package monitor

import (
	"strconv"
	"time"

	"github.com/sentinelgo/sentinel/election"
	"github.com/sentinelgo/sentinel/settings"
)

// Fencing (issue 11, the per-master fencing setting): with it on, the
// sentinels keep min-replicas-to-write 1 and min-replicas-max-lag
// settings.FencingLag(down-after) on every node that says it is a master
// and has had a replica, and min-replicas-to-write 0 on the replicas, so a
// master cut off from its replicas refuses writes about down-after/2 after
// the cut: before the others can agree it is down and promote one. The
// operator's own values are read once (ReadFencing) into FencingSaved and
// put back on every node when fencing is turned off.

// SetFencing asks the driver to CONFIG SET min-replicas-to-write and
// min-replicas-max-lag on a data node (rename-command applies); the
// outcome comes back as FencingResult.
type SetFencing struct {
	Target      Addr
	Master      string
	MinReplicas int
	MaxLag      int
}

// ReadFencing asks the driver to CONFIG GET min-replicas-to-write and
// min-replicas-max-lag on a data node (the operator's values, before
// fencing first changes them); the outcome comes back as FencingResult
// with Read set.
type ReadFencing struct {
	Target Addr
	Master string
}

// DropClients asks the driver to close a master's normal client
// connections (CLIENT KILL TYPE normal; rename-command applies): they are
// stuck on a master cut off with us, which refuses their writes, and
// reconnecting makes their libraries ask the sentinels again.
type DropClients struct {
	Target Addr
	Master string
}

func (SetFencing) isAction()  {}
func (ReadFencing) isAction() {}
func (DropClients) isAction() {}

// FencingResult is the outcome of SetFencing or ReadFencing (Read). OK is
// false when the command failed; a successful read carries the values.
type FencingResult struct {
	At     time.Time
	Target Addr
	Master string
	Read   bool
	OK     bool
	Values settings.FencingValues
}

func (i FencingResult) at() time.Time { return i.At }
func (FencingResult) isInput()        {}

// fenceState is one master's fencing bookkeeping (not persisted: after a
// restart every node is set again, which CONFIG SET makes harmless).
type fenceState struct {
	readSentAt time.Time // a ReadFencing in flight
	nodes      map[Addr]*fenceNode
	// emptyAt: the master at emptyAddr restarted empty then (noteRestart).
	emptyAt   time.Time
	emptyAddr Addr
	// droppedAt: the last DropClients (at most one per PING period).
	droppedAt time.Time
	// listed: the replicas the master's last INFO listed (noteFencedInfo).
	listed []Addr
	// reports: each data node's last INFO as a replica, the evidence that
	// may cut the promotion hold short (replicasDownBound).
	reports map[Addr]replicaReport
}

// replicaReport is what one INFO of a replica says about its link.
type replicaReport struct {
	at     time.Time     // when we received the INFO
	role   Role          // role
	linkUp bool          // master_link_status:up
	down   time.Duration // master_link_down_since_seconds (0 for -1)
	uptime time.Duration // uptime_in_seconds
	// stepped: within this fall of the link, D grew faster than our own
	// clock between two reports (the replica's wall clock stepped
	// forward): D is not evidence until the link is up again.
	stepped bool
}

// fenceNode is what we last set on one data node.
type fenceNode struct {
	runID  string // the node's run id when set: a restart forgets CONFIG SET
	set    bool   // values hold what the node acknowledged
	values settings.FencingValues
	okAt   time.Time // the acknowledgement

	sentAt time.Time // a SetFencing in flight
	sent   settings.FencingValues
	// failedAt: the last SetFencing failed then; retried a PING period
	// later, not at every tick.
	failedAt time.Time
}

// fenceRetry is how long a command in flight blocks another, and how
// often a node's values are set again although it acknowledged them (an
// operator or a restart we missed may have changed them).
func (c *Core) fenceRetry() time.Duration { return c.timers.InfoPeriod }

// handleFencing runs at every tick for one master, after the failover
// state machine, outside TILT.
func (c *Core) handleFencing(m *master, now time.Time) {
	if !m.fence.emptyAt.IsZero() && (m.fence.emptyAddr != m.inst.addr || !m.Fencing) {
		m.fence.emptyAt = time.Time{} // replaced by a failover, or fencing turned off
	}
	if !m.Fencing {
		if m.FencingSaved != "" {
			c.unfence(m, now)
		}
		return
	}
	saved, err := settings.ParseFencingValues(m.FencingSaved)
	if err != nil {
		// Nothing saved yet: read the operator's values from the master
		// before changing anything.
		if c.fenceReachable(m.inst) && m.inst.roleReported == RoleMaster && now.Sub(m.fence.readSentAt) >= c.fenceRetry() {
			m.fence.readSentAt = now
			c.act(ReadFencing{Target: m.inst.addr, Master: m.name})
		}
		return
	}
	c.pollFencedMaster(m, now)
	c.dropStuckClients(m, now)
	fenced := settings.FencingValues{MinReplicas: 1, MaxLag: settings.FencingLag(m.DownAfter)}
	cleared := settings.FencingValues{MinReplicas: 0, MaxLag: saved.MaxLag}
	for _, i := range append([]*instance{m.inst}, m.replicas...) {
		if !c.fenceReachable(i) {
			continue
		}
		n := m.fence.node(i)
		switch {
		case c.emptyRestartDown(i):
			// Back empty: no write it takes would survive the failover.
			c.fenceNode(m, i, n, settings.FencingValues{MinReplicas: refuseAll, MaxLag: fenced.MaxLag}, now)
		case i.roleReported == RoleReplica:
			c.fenceNode(m, i, n, cleared, now)
		case n.set && n.values == fenced:
			c.fenceNode(m, i, n, fenced, now) // a master stays fenced
		case i != m.inst && i != m.promoted:
			// A node that says it is a master but is not ours (the old
			// master back from a partition): fence it at once.
			c.fenceNode(m, i, n, fenced, now)
		case c.goodReplicas(m, i) > 0:
			// Our master, or the one being promoted, once it has a replica
			// to count: fencing a master without one would stop its writes.
			c.fenceNode(m, i, n, fenced, now)
		}
	}
}

// fenceReachable: the node answers and its role is known.
func (c *Core) fenceReachable(i *instance) bool {
	return i.link != nil && !i.link.disconnected && (i.flags&FlagSDown == 0 || c.emptyRestartDown(i)) && !i.infoRefresh.IsZero() &&
		(i.roleReported == RoleMaster || i.roleReported == RoleReplica)
}

// goodReplicas counts the replicas whose last INFO says they replicate
// from i with the link up.
func (c *Core) goodReplicas(m *master, i *instance) int {
	n := 0
	for _, r := range m.replicas {
		if r != i && r.roleReported == RoleReplica && r.masterLinkUp && r.replMasterPort == i.addr.Port &&
			c.hostIs(r.replMasterHost, i.addr) && c.fenceReachable(r) {
			n++
		}
	}
	return n
}

func (f *fenceState) node(i *instance) *fenceNode {
	if f.nodes == nil {
		f.nodes = make(map[Addr]*fenceNode)
	}
	n := f.nodes[i.addr]
	if n == nil {
		n = &fenceNode{runID: i.runID}
		f.nodes[i.addr] = n
	}
	if n.runID != i.runID {
		// Restarted: whatever we set is gone.
		*n = fenceNode{runID: i.runID}
	}
	return n
}

// fenceNode sends want to a node unless it holds it (acknowledged within
// fenceRetry) or a command is in flight.
func (c *Core) fenceNode(m *master, i *instance, n *fenceNode, want settings.FencingValues, now time.Time) {
	if n.set && n.values == want && now.Sub(n.okAt) < c.fenceRetry() {
		return
	}
	if !n.sentAt.IsZero() && now.Sub(n.sentAt) < c.fenceRetry() && n.sent == want {
		return
	}
	if !n.failedAt.IsZero() && now.Sub(n.failedAt) < c.timers.PingPeriod && n.sent == want {
		return
	}
	n.sentAt, n.sent = now, want
	c.act(SetFencing{Target: i.addr, Master: m.name, MinReplicas: want.MinReplicas, MaxLag: want.MaxLag})
}

// unfence puts the operator's values back on every reachable data node
// after fencing was turned off, then forgets them.
func (c *Core) unfence(m *master, now time.Time) {
	saved, err := settings.ParseFencingValues(m.FencingSaved)
	if err != nil {
		m.FencingSaved = ""
		c.flushConfig()
		return
	}
	done := c.fenceReachable(m.inst) // never forget them unseen by the master
	for _, i := range append([]*instance{m.inst}, m.replicas...) {
		if !c.fenceReachable(i) {
			continue
		}
		n := m.fence.node(i)
		if n.set && n.values == saved {
			continue
		}
		done = false
		c.fenceNode(m, i, n, saved, now)
	}
	if done {
		m.FencingSaved = ""
		m.fence = fenceState{}
		c.flushConfig()
	}
}

// onFencingResult records what a node acknowledged, or the operator's
// values read from the master.
func (c *Core) onFencingResult(in FencingResult) {
	m := c.masterByName(in.Master)
	if m == nil {
		return
	}
	if in.Read {
		m.fence.readSentAt = time.Time{}
		if in.OK && m.Fencing && m.FencingSaved == "" {
			m.FencingSaved = in.Values.String()
			c.flushConfig()
			c.handleFencing(m, in.At)
		}
		return
	}
	n := m.fence.nodes[in.Target]
	if n == nil || n.sentAt.IsZero() {
		return
	}
	if in.OK {
		n.set, n.values, n.okAt, n.failedAt = true, n.sent, in.At, time.Time{}
	} else {
		n.failedAt = in.At
	}
	n.sentAt = time.Time{}
}

// fenceMargin covers Redis's cron jitter and the cached clock it stamps
// acknowledgements with.
const fenceMargin = 250 * time.Millisecond

// fenceHoldsPromotion reports whether the promotion of a replica must wait
// because the master we fenced may still take writes. Redis stamps a
// replica's acknowledgement in whole seconds and recounts the good
// replicas once a second, so a master whose replicas' last
// acknowledgement came at T refuses writes by T + lag + 2 s. The cut
// cannot be later than the oldest PING the master left unanswered, so
// from that PING's send time (or the last valid reply, if later) + lag +
// 2 s no write can be taken there, and promoting then never leaves two
// masters that take writes. With down-after 30 s the bound (17 s) has long
// passed at SDOWN; with 2 s it adds up to 1 s. The replicas may prove an
// earlier bound (replicasDownBound). Forced and coordinated failovers (the
// master is healthy and hands over, or the operator decided) are not held.
func (c *Core) fenceHoldsPromotion(m *master, now time.Time) bool {
	if !m.Fencing || m.coordinated || m.inst.flags&FlagForceFailover != 0 || m.inst.link == nil || c.emptyRestartDown(m.inst) {
		return false
	}
	n := m.fence.nodes[m.inst.addr]
	if n == nil || !n.set || n.values.MinReplicas == 0 {
		return false // never fenced: waiting would not help
	}
	l := m.inst.link
	base := l.lastAvail
	if l.actPing.After(base) {
		base = l.actPing
	}
	lag := time.Duration(n.values.MaxLag) * time.Second
	bound := base.Add(lag + 2*time.Second + fenceMargin)
	if !now.Before(bound) {
		return false
	}
	early, ok := m.fence.replicasDownBound(m, base, lag)
	return !ok || now.Before(early)
}

// replicasDownBound is the evidence bound: a time by which the old master
// refuses writes, proven by its replicas, or ok false when they prove
// nothing. A replica sends REPLCONF ACK only while its link to the master
// is up, so one reporting master_link_down_since_seconds D in an INFO we
// received at t sent its last acknowledgement before t - D + 1 s (Redis
// stamps the link's fall and the INFO in whole seconds of its cached
// clock; fenceMargin covers that clock's staleness and the last
// acknowledgement's transit). The master counted it good at most lag + 2 s
// (+ fenceMargin) after that, as above. When every replica the master's
// last INFO listed and every replica we know reports so, the latest of
// their bounds is the master's. Required of each: an INFO received after
// base (the oldest PING the master left unanswered), role slave, link
// down. A replica we cannot ask, one whose link is up (a cut of the
// sentinels alone), or one that reports another role proves nothing, and
// the full hold applies. D is capped by the replica's uptime: before Redis
// 7 a replica that never connected reports its clock's seconds since 1970.
// D is read off the replica's wall clock: a report whose D grew faster than
// our clock since the previous one (a forward step) is no evidence.
func (f *fenceState) replicasDownBound(m *master, base time.Time, lag time.Duration) (time.Time, bool) {
	addrs := append([]Addr(nil), f.listed...)
	for _, r := range m.replicas {
		addrs = append(addrs, r.addr)
	}
	var bound time.Time
	for _, a := range addrs {
		rep, ok := f.reports[a]
		if !ok || rep.at.Before(base) || rep.role != RoleReplica || rep.linkUp || rep.stepped {
			return time.Time{}, false
		}
		lastAck := rep.at.Add(-min(rep.down, rep.uptime) + time.Second + fenceMargin)
		if b := lastAck.Add(lag + 2*time.Second + fenceMargin); b.After(bound) {
			bound = b
		}
	}
	return bound, len(addrs) > 0
}

// noteFencedInfo keeps, for a master with fencing on, the replicas its
// master's INFO lists and what each replica's INFO says about its link
// (replicasDownBound).
func (c *Core) noteFencedInfo(i *instance, info NodeInfo, now time.Time) {
	m := i.m
	if !m.Fencing || i.kind == KindSentinel {
		return
	}
	if i == m.inst && info.Role == RoleMaster {
		m.fence.listed = m.fence.listed[:0]
		for _, r := range info.Replicas {
			m.fence.listed = append(m.fence.listed, r.Addr)
		}
	}
	if m.fence.reports == nil {
		m.fence.reports = make(map[Addr]replicaReport)
	}
	rep := replicaReport{at: now, role: info.Role, linkUp: info.MasterLinkUp,
		down: max(info.MasterLinkDownSince, 0), uptime: info.Uptime}
	if prev, ok := m.fence.reports[i.addr]; ok && !rep.linkUp && !prev.linkUp && rep.role == RoleReplica && prev.role == RoleReplica {
		// Whole seconds on both reports: D may grow by 1 s more than the
		// time between them, never by 2 s more.
		rep.stepped = prev.stepped || rep.down-prev.down > now.Sub(prev.at)+time.Second
	}
	m.fence.reports[i.addr] = rep
}

// refuseAll is the min-replicas-to-write that makes a master refuse every
// write (more replicas than any master has).
const refuseAll = 1_000_000

// EventEmptyRestart says a fenced master came back from a restart empty
// (ours): a new run id, less data than its replicas had and a small
// uptime. It is then SDOWN until a failover replaces it.
const EventEmptyRestart = "+empty-restart"

// emptyRestartUptime bounds the uptime of a master that restarted empty:
// a restart older than this was seen long ago, or not by us.
const emptyRestartUptime = time.Minute

// noteRestart runs when a data node's INFO shows a new run id, before the
// replicas' offsets are refreshed. A master without persistence that
// restarted before anyone noticed is empty; its replicas would resync from
// it and be wiped (after repl-diskless-sync-delay, 5 s by default). With
// fencing on that is a failure: the master is held SDOWN, so the
// sentinels agree and promote the best replica, which still has the data
// if it has not loaded the empty copy yet.
func (c *Core) noteRestart(i *instance, info NodeInfo, now time.Time) {
	m := i.m
	if !m.Fencing || i != m.inst || info.Role != RoleMaster || info.Uptime > emptyRestartUptime {
		return
	}
	best := int64(0)
	for _, r := range m.replicas {
		best = max(best, r.offset)
	}
	if best == 0 || info.MasterReplOffset >= best {
		return // its replicas had nothing more than it has now
	}
	m.fence.emptyAt, m.fence.emptyAddr = now, i.addr
	c.event(EventEmptyRestart, LevelWarning, i, "offset "+strconv.FormatInt(info.MasterReplOffset, 10)+" replicas had "+strconv.FormatInt(best, 10))
}

// emptyRestartDown holds a master that restarted empty SDOWN until a
// failover replaced it (or fencing is turned off).
func (c *Core) emptyRestartDown(i *instance) bool {
	m := i.m
	return i.kind == KindMaster && m.Fencing && !m.fence.emptyAt.IsZero() && m.fence.emptyAddr == i.addr
}

// pollFencedMaster asks a fenced master for INFO every PING period rather
// than every info period (10 s): a restart without its data must be seen
// before its replicas load the empty copy (noteRestart).
func (c *Core) pollFencedMaster(m *master, now time.Time) {
	l := m.inst.link
	if l == nil || l.disconnected || l.infoPending || now.Sub(m.inst.infoRefresh) < c.timers.PingPeriod {
		return
	}
	l.infoPending, l.infoSentAt = true, now
	c.act(Info{Target: m.inst.addr, Master: m.name})
}

// dropStuckClients closes the client connections of a fenced master that
// is cut off with us: we reach it but no majority of the sentinels and
// none of its replicas. It refuses their writes (NOREPLICAS), and a client
// library only asks the sentinels again when it reconnects; then this
// sentinel answers null and the majority names the new master once it
// switched. At most once per PING period.
func (c *Core) dropStuckClients(m *master, now time.Time) {
	n := m.fence.nodes[m.inst.addr]
	if n == nil || !n.set || n.values.MinReplicas == 0 || !c.fenceReachable(m.inst) || m.inst.roleReported != RoleMaster ||
		c.reachesMajority(m, now) || now.Sub(m.fence.droppedAt) < c.timers.PingPeriod {
		return
	}
	for _, r := range m.replicas {
		if r.link != nil && now.Sub(r.link.lastAvail) <= authorityWindow(m.DownAfter) {
			return // we still reach a replica: not cut off with the master
		}
	}
	m.fence.droppedAt = now
	c.act(DropClients{Target: m.inst.addr, Master: m.name})
}

// reachesMajority is AuthorityOf's rule on the live core.
func (c *Core) reachesMajority(m *master, now time.Time) bool {
	window := authorityWindow(m.DownAfter)
	reached := 1
	for _, s := range m.sentinels {
		var lastOK, lastPong time.Time
		if s.link != nil {
			lastOK, lastPong = s.link.lastAvail, s.link.lastPong
		}
		if peerReached(s.flags, lastOK, lastPong, s.lastHello, now, window) {
			reached++
		}
	}
	return reached >= election.Majority(len(m.sentinels)+1)
}
