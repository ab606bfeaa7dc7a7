package monitor

import (
	"fmt"
	"time"
)

// checkSDown is sentinelCheckSubjectivelyDown. Not called in TILT.
func (c *Core) checkSDown(i *instance, now time.Time) {
	l := i.link
	m := i.m
	var elapsed time.Duration
	switch {
	case l.awaitingFirstReply():
		// The clock starts when the first attempt completes (firstping.go).
	case !l.actPing.IsZero():
		elapsed = now.Sub(l.actPing)
	case l.disconnected:
		elapsed = now.Sub(l.lastAvail)
	}
	down := elapsed > m.DownAfter ||
		// A master that says it is a replica is as good as unreachable.
		(i.kind == KindMaster && i.roleReported == RoleReplica &&
			now.Sub(i.roleReportedTime) > m.DownAfter+2*c.timers.InfoPeriod) ||
		// A rebooted master that keeps answering -LOADING.
		(i.flags&FlagMasterReboot != 0 && now.Sub(i.rebootSince) > m.RebootDownAfter) ||
		// A fenced master back from a restart without its data.
		c.emptyRestartDown(i)
	if down {
		if i.flags&FlagSDown == 0 {
			i.flags |= FlagSDown
			i.sdownSince = now
			c.event(EventSDown, LevelWarning, i, "")
			if i.kind == KindMaster && !c.tilt {
				// Ask the peers now rather than at the next ask period: the
				// sooner we know, the sooner the failover starts.
				c.askPeers(m, now, true)
			}
			if i.kind == KindMaster {
				// Replica INFO taken after the master died is what the
				// leader must rank on; ask for it now, not at the next
				// (up to 10 s away) poll.
				c.pollReplicasNow(m, now)
			}
		}
		return
	}
	if i.flags&FlagSDown != 0 {
		i.flags &^= FlagSDown | FlagScriptKillSent
		c.event(EventSDownCleared, LevelWarning, i, "")
	}
}

// checkODown is sentinelCheckObjectivelyDown: our SDOWN plus the peers whose
// fresh is-master-down-by-addr reply said down, against the quorum.
func (c *Core) checkODown(m *master, now time.Time) {
	votes := 0
	odown := false
	if m.inst.flags&FlagSDown != 0 {
		votes = 1
		for _, s := range m.sentinels {
			if s.flags&FlagMasterDown != 0 {
				votes++
			}
		}
		odown = votes >= m.Quorum
	}
	if odown {
		if m.inst.flags&FlagODown == 0 {
			m.inst.flags |= FlagODown
			m.inst.odownSince = now
			c.event(EventODown, LevelWarning, m.inst, fmt.Sprintf("#quorum %d/%d", votes, m.Quorum))
		}
		return
	}
	if m.inst.flags&FlagODown != 0 {
		m.inst.flags &^= FlagODown
		m.retryOnGoodReplica = false
		c.event(EventODownCleared, LevelWarning, m.inst, "")
	}
}

// pollReplicasNow sends INFO to every reachable replica of m that has none
// in flight, whatever its cadence says.
func (c *Core) pollReplicasNow(m *master, now time.Time) {
	for _, r := range m.replicas {
		l := r.link
		if l.disconnected || l.infoPending || !l.born {
			continue
		}
		l.infoPending = true
		l.infoSentAt = now
		c.act(Info{Target: l.addr, Master: m.name})
	}
}

// peerSaysDown records evidence that peer s holds the master SDOWN.
func peerSaysDown(s *instance, at time.Time) {
	s.flags |= FlagMasterDown
	if at.After(s.downHeardAt) {
		s.downHeardAt = at
	}
}

// askPeers is sentinelAskMasterStateToOtherSentinels. Opinions older than
// 5 ask periods are dropped; while the master is SDOWN every connected peer
// is asked once per ask period (at once when forced), with our run id
// attached when we run a failover, which asks for a vote too.
func (c *Core) askPeers(m *master, now time.Time, forced bool) {
	for _, s := range m.sentinels {
		// Checked first: in the settled state there is nothing to forget,
		// and this runs for every peer of every master on every tick.
		if (s.leader != "" || s.leaderEpoch != 0 || s.flags&FlagMasterDown != 0) && now.Sub(s.lastDownReply) > 5*c.timers.AskPeriod {
			s.leader = ""
			s.leaderEpoch = 0
			if now.Sub(s.downHeardAt) > 5*c.timers.AskPeriod {
				s.flags &^= FlagMasterDown
			}
		}
		if s.askPending+s.askStale > 0 && now.Sub(s.askSentAt) > 5*c.timers.AskPeriod {
			// The driver answers every AskPeer; if it did not, stop waiting.
			s.askPending, s.askStale = 0, 0
		}
		if m.inst.flags&FlagSDown == 0 || s.link.disconnected {
			continue
		}
		if !forced && (now.Sub(s.lastDownReply) < c.timers.AskPeriod || s.askPending > 0) {
			continue
		}
		runID := "*"
		if m.failoverState > FailoverNone && c.raft == nil { // raft mode asks for no vote
			runID = c.myID
		}
		s.askPending++
		s.askSentAt = now
		c.act(AskPeer{
			Peer:       s.addr,
			PeerRunID:  s.runID,
			Master:     m.name,
			MasterAddr: c.announced(m.inst.addr),
			Epoch:      c.currentEpoch,
			RunID:      runID,
		})
	}
}

// onPeerReply is sentinelReceiveIsMasterDownReply. Replies to questions
// about an address we have since switched away from are dropped, so an old
// master's "down" can never count against the new one.
func (c *Core) onPeerReply(in PeerReply) {
	m := c.masterByName(in.Master)
	if m == nil {
		return
	}
	s := m.sentinelByRunID(in.Peer)
	if s == nil {
		return
	}
	switch {
	case s.askStale > 0:
		s.askStale--
		return
	case s.askPending > 0:
		s.askPending--
	default:
		return // nothing asked: unsolicited or duplicated
	}
	if in.Kind != ReplyPong {
		return
	}
	s.lastDownReply = in.At
	switch {
	case in.Down:
		peerSaysDown(s, in.At)
	case s.downHeardAt.After(s.askSentAt):
		// The peer asked us about the master after we asked it: its
		// question (sent only while it holds the master SDOWN) is newer
		// evidence than this answer.
	default:
		s.flags &^= FlagMasterDown
	}
	if in.LeaderRunID != "*" && in.LeaderRunID != "" {
		s.leader = in.LeaderRunID
		s.leaderEpoch = in.LeaderEpoch
	}
	if c.tilt {
		return
	}
	// Act on the answer now instead of at the next tick: the quorum or the
	// election may have just been reached.
	c.checkODown(m, in.At)
	if c.startFailoverIfNeeded(m, in.At) {
		c.askPeers(m, in.At, true)
	}
	c.runFailover(m, in.At)
}
