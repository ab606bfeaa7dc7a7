package monitor

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/election"
)

// setFailoverState is the one place failover states change. It refuses
// (panics on) transitions sentinel.c never makes: that is a bug in this
// package, not bad input.
func (c *Core) setFailoverState(m *master, to FailoverState, now time.Time) {
	from := m.failoverState
	legal := false
	switch to {
	case FailoverNone:
		legal = true // abort (checked by abortFailover) or reset
	case FailoverWaitStart:
		legal = from == FailoverNone
	default:
		legal = to == from+1
	}
	if !legal {
		panic(fmt.Sprintf("monitor: illegal failover transition %s -> %s for %s", from, to, m.name))
	}
	m.failoverState = to
	m.failoverStateSince = now
	c.wakeStale = true
}

// desync is the random start delay of sentinel.c (rand() % SENTINEL_MAX_DESYNC).
func (c *Core) desync() time.Duration {
	if c.timers.MaxDesync <= 0 {
		return 0
	}
	return time.Duration(c.rng.Int64N(int64(c.timers.MaxDesync)))
}

// startFailoverIfNeeded is sentinelStartFailoverIfNeeded: ODOWN, no failover
// running, and no attempt of ours (or vote for someone else) in the last
// 2 × failover-timeout. Two additions: our candidacy waits its turn after
// ODOWN (scheduleCandidacy), so simultaneous candidates (and split votes)
// are rare; and after an abort for want of a good replica we try again as
// soon as one qualifies.
func (c *Core) startFailoverIfNeeded(m *master, now time.Time) bool {
	if c.pausedAt(m.name, now) {
		m.candidateAt = time.Time{}
		return false
	}
	if c.raft != nil {
		return c.raftStartFailoverIfNeeded(m, now)
	}
	if m.inst.flags&FlagODown == 0 || m.inst.flags&FlagFailoverInProgress != 0 {
		m.candidateAt = time.Time{}
		return false
	}
	if !m.failoverStart.IsZero() && now.Sub(m.failoverStart) < 2*m.FailoverTimeout &&
		!(m.retryOnGoodReplica && c.selectReplica(m, now) != nil) {
		m.candidateAt = time.Time{}
		return false
	}
	if m.candidateAt.IsZero() {
		c.scheduleCandidacy(m, now, c.candidacyRank(m))
	} else {
		// Masters failing together go ODOWN one after another: the turn
		// set when few were down grows with the later ones.
		m.candidateAt = c.candidacyTime(m)
		c.wakeStale = true
	}
	if now.Before(m.candidateAt) {
		return false
	}
	m.candidateAt = time.Time{}
	m.retryOnGoodReplica = false
	c.startFailover(m, now)
	return true
}

// candidacyRank is how many sentinels should try before us: the connected
// peers whose run id sorts before ours. Every sentinel orders the same set
// the same way, so they take turns instead of asking for votes at the same
// moment. Whether a peer already holds the master down does not count:
// when many masters fail at once, the questions that would tell us are
// queued behind each other, and a sentinel that counted only the peers it
// had heard from took the first turn beside the real first candidate,
// splitting the votes (issue 14). A peer that never sees the master down
// costs us one turn (candidacyTurn), no more.
func (c *Core) candidacyRank(m *master) int {
	rank := 0
	for _, s := range m.sentinels {
		if !s.link.disconnected && compareRunIDs(s.runID, c.myID) < 0 {
			rank++
		}
	}
	return rank
}

// scheduleCandidacy starts the wait for our candidacy: rank turns of
// candidacyTurn plus a random part of one jitter, drawn from the core's
// seeded source once per wait. A turn is much longer than a vote round
// trip (a state write plus a loopback or LAN hop), so the first
// candidate's requests reach the others while they still wait, and they
// vote for it instead of splitting the epoch.
func (c *Core) scheduleCandidacy(m *master, now time.Time, rank int) {
	m.candidateSince, m.candidateRank, m.candidateJitter = now, rank, 0
	if candidacyJitter > 0 {
		m.candidateJitter = time.Duration(c.rng.Int64N(int64(candidacyJitter)))
	}
	m.candidateAt = c.candidacyTime(m)
	c.wakeStale = true
}

// candidacyTime is when the wait scheduleCandidacy started ends.
//
// The first candidate's requests for every master it runs an election
// for go out together, and each batch of votes costs its voter a state
// write before the replies: with many masters down at once the round trip
// grows with their number, so the turn does too (one more turn per 4
// masters ODOWN). It is recomputed on every check, so a turn set when the
// first of them went ODOWN grows with the ones that follow (issue 14).
func (c *Core) candidacyTime(m *master) time.Time {
	odown := 0
	for _, x := range c.masters {
		if x.inst.flags&FlagODown != 0 {
			odown++
		}
	}
	d := time.Duration(m.candidateRank)*candidacyTurn*time.Duration(1+odown/4) + m.candidateJitter
	return m.candidateSince.Add(min(d, m.FailoverTimeout))
}

// compareRunIDs orders run ids case-insensitively (they are hex).
func compareRunIDs(a, b string) int {
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// startFailover is sentinelStartFailover: a new epoch is ours to try.
func (c *Core) startFailover(m *master, now time.Time) {
	c.setFailoverState(m, FailoverWaitStart, now)
	m.inst.flags |= FlagFailoverInProgress
	c.currentEpoch++
	m.failoverEpoch = c.currentEpoch
	c.flushConfig()
	c.newEpochEvent(m)
	c.event(EventTryFailover, LevelWarning, m.inst, "")
	m.failoverStart = now.Add(c.desync())
}

// voteLeader is sentinelVoteLeader, through election.Vote.
func (c *Core) voteLeader(m *master, reqEpoch uint64, runID string, now time.Time) {
	if c.voteLocked(m, runID, now) {
		runID = "" // adopt the epoch, cast no vote (election.Vote)
	}
	res := election.Vote(election.VoteState{
		CurrentEpoch: c.currentEpoch, LeaderEpoch: m.leaderEpoch, Leader: m.leader, ConfigEpoch: m.configEpoch,
	}, reqEpoch, runID)
	if res.EpochAdopted {
		c.currentEpoch = res.State.CurrentEpoch
		c.flushConfig()
		c.newEpochEvent(m)
	}
	if res.Voted {
		m.leader = res.State.Leader
		m.leaderEpoch = res.State.LeaderEpoch
		m.votedAt = now
		c.flushConfig()
		c.masterEvent(EventVoteForLeader, LevelWarning, m, m.leader+" "+strconv.FormatUint(m.leaderEpoch, 10))
		// Voting for someone else holds back our own attempt.
		if !strings.EqualFold(m.leader, c.myID) {
			m.failoverStart = now.Add(c.desync())
		}
	}
}

// voteLocked says we must not vote for candidate in a new epoch now, two
// rules Redis does not have (it relies on its slow timers instead):
//
//   - we lead a failover of m past the election: a second leader in a
//     higher epoch would promote a second replica beside ours;
//   - our last vote for m went to another sentinel less than
//     undecidedEpochWait ago: that sentinel may have won and be promoting
//     right now, out of sight (its hello or its vote request can overtake
//     each other, so a later candidate may not know of it yet).
//
// Refusing a vote is always safe; liveness comes back when our failover
// ends or aborts, or when the lockout passes (by then a live winner's
// promotion shows, and the loser's own retry rules hold it back).
func (c *Core) voteLocked(m *master, candidate string, now time.Time) bool {
	if candidate == "" || strings.EqualFold(candidate, m.leader) || strings.EqualFold(candidate, c.myID) {
		return false
	}
	if m.inst.flags&FlagFailoverInProgress != 0 && m.failoverState > FailoverWaitStart {
		return true
	}
	return m.leader != "" && !strings.EqualFold(m.leader, c.myID) && now.Sub(m.votedAt) < undecidedEpochWait
}

// leaderFor is sentinelGetLeader: the peers' votes in epoch, plus ours
// (for the most voted, else ourselves); a winner needs a majority of all
// known sentinels and the quorum. Redis counts the votes in its current
// epoch instead, which another master's concurrent election may have
// raised past ours: then none of ours count and the election runs again
// (issue 14). Votes are per (master, epoch), so counting those of our
// failover epoch is the same tally without that loss.
func (c *Core) leaderFor(m *master, epoch uint64, now time.Time) (string, bool) {
	votes := make(map[string]string, len(m.sentinels)+1)
	for _, s := range m.sentinels {
		if s.leader != "" && s.leaderEpoch == epoch {
			votes[s.runID] = s.leader
		}
	}
	want := election.MostVoted(votes)
	if want == "" {
		want = c.myID
	}
	c.voteLeader(m, epoch, want, now)
	if m.leader != "" && m.leaderEpoch == epoch {
		votes[c.myID] = m.leader
	}
	return election.Tally(votes, len(m.sentinels)+1, m.Quorum)
}

// epochVotes is what we know of the votes of our failover epoch: each
// voter's run id (ours included) to the run id it voted for.
func (c *Core) epochVotes(m *master) map[string]string {
	votes := make(map[string]string, len(m.sentinels)+1)
	for _, s := range m.sentinels {
		if s.leader != "" && s.leaderEpoch == m.failoverEpoch {
			votes[s.runID] = s.leader
		}
	}
	if m.leader != "" && m.leaderEpoch == m.failoverEpoch {
		votes[c.myID] = m.leader
	}
	return votes
}

// retryableEpoch says whether our failover epoch, which we did not win,
// may be given up for a new one now, and returns its known candidates,
// sorted. Only our own epoch counts: a higher election of this master (a
// vote of ours or of a peer in a later epoch) is that candidate's, and
// not ours to give up; a higher current epoch is not (it may be another
// master's). Two cases:
//
//   - lost: every vote is known and nobody can reach majority and quorum
//     (election.Lost), so nobody holds, or can collect, the votes to act;
//   - undecided for undecidedEpochWait: some vote is unknown (a peer down
//     or unreachable), no known candidate has the votes, and no replica
//     reports role:master. A winner promotes within milliseconds (Redis's
//     own leader within a few hundred) and replicas are polled every
//     250 ms while the master is down, so a promotion by an unseen winner
//     would show by then. This rests on that timing; raft mode does not.
func (c *Core) retryableEpoch(m *master, now time.Time) ([]string, bool) {
	if m.leaderEpoch > m.failoverEpoch {
		return nil, false
	}
	for _, s := range m.sentinels {
		if s.leaderEpoch > m.failoverEpoch {
			return nil, false
		}
	}
	votes := c.epochVotes(m)
	voters := len(m.sentinels) + 1
	if !election.Lost(votes, voters, m.Quorum) {
		if now.Sub(m.failoverStart) < undecidedEpochWait {
			return nil, false
		}
		if _, won := election.Tally(votes, voters, m.Quorum); won {
			return nil, false
		}
		for _, r := range m.replicas {
			if r.roleReported == RoleMaster {
				return nil, false
			}
		}
	}
	var cands []string
	for _, cand := range votes {
		if cand != "" && !slices.Contains(cands, cand) {
			cands = append(cands, cand)
		}
	}
	slices.SortFunc(cands, compareRunIDs)
	return cands, true
}

// runFailover is sentinelFailoverStateMachine, repeated while the state
// advances so one input can carry the failover as far as it can go (Redis
// moves one state per timer tick).
func (c *Core) runFailover(m *master, now time.Time) {
	for range maxStateMachineSteps {
		if m.inst.flags&FlagFailoverInProgress == 0 || c.masterByName(m.name) != m {
			return
		}
		before := m.failoverState
		switch m.failoverState {
		case FailoverWaitStart:
			c.failoverWaitStart(m, now)
		case FailoverSelectReplica:
			c.failoverSelectReplica(m, now)
		case FailoverSendReplicaOfNoOne:
			c.failoverSendReplicaOfNoOne(m, now)
		case FailoverWaitPromotion:
			c.failoverWaitPromotion(m, now)
		case FailoverReconfReplicas:
			if c.raft != nil {
				c.raftProposeSwitch(m, now)
			}
			c.failoverReconfNextReplica(m, now)
		case FailoverUpdateConfig:
			if c.raft != nil {
				c.raftUpdateConfig(m, now)
				return
			}
			c.switchToPromoted(m, now)
			return
		}
		if m.failoverState == before {
			return
		}
	}
}

func (c *Core) failoverWaitStart(m *master, now time.Time) {
	if c.raft != nil {
		c.raftWaitStart(m, now)
		return
	}
	leader, ok := c.leaderFor(m, m.failoverEpoch, now)
	isLeader := ok && strings.EqualFold(leader, c.myID)
	if !isLeader && m.inst.flags&FlagForceFailover == 0 {
		if cands, retry := c.retryableEpoch(m, now); retry {
			// Nobody acts in this epoch: try again in a new one at once,
			// in run-id turns among its candidates, rather than after
			// 2 × failover-timeout.
			c.event(EventFailoverAbortNotElected, LevelWarning, m.inst, "")
			c.abortFailover(m, now)
			m.failoverStart = time.Time{}
			rank := 0
			for _, id := range cands {
				if compareRunIDs(id, c.myID) < 0 {
					rank++
				}
			}
			c.scheduleCandidacy(m, now, rank)
			return
		}
		timeout := min(c.timers.ElectionTimeout, m.FailoverTimeout)
		if now.Sub(m.failoverStart) > timeout {
			c.event(EventFailoverAbortNotElected, LevelWarning, m.inst, "")
			c.abortFailover(m, now)
		}
		return
	}
	c.event(EventElectedLeader, LevelWarning, m.inst, "")
	c.setFailoverState(m, FailoverSelectReplica, now)
	c.event(EventFailoverStateSelectSlave, LevelWarning, m.inst, "")
}

func (c *Core) failoverSelectReplica(m *master, now time.Time) {
	if c.awaitFreshInfo(m, now) {
		return
	}
	r := c.selectReplica(m, now)
	if r == nil {
		c.event(EventFailoverAbortNoGoodSlave, LevelWarning, m.inst, "")
		c.abortFailover(m, now)
		// Nobody else acts in this epoch (we won it): when a replica
		// qualifies again, try at once in a new one.
		m.retryOnGoodReplica = true
		return
	}
	c.event(EventSelectedSlave, LevelWarning, r, "")
	r.flags |= FlagPromoted
	m.promoted = r
	c.setFailoverState(m, FailoverSendReplicaOfNoOne, now)
	c.event(EventFailoverStateSendSlaveOfNoOne, LevelNotice, r, "")
}

func (c *Core) failoverSendReplicaOfNoOne(m *master, now time.Time) {
	r := m.promoted
	// The command cannot go to a disconnected replica; retry until the
	// failover timeout, then give up.
	if r.link.disconnected {
		if now.Sub(m.failoverStateSince) > m.FailoverTimeout {
			c.event(EventFailoverAbortSlaveTimeout, LevelWarning, m.inst, "")
			c.abortFailover(m, now)
		}
		return
	}
	if c.fenceHoldsPromotion(m, now) {
		return // the old master may still take writes (monitor/fencing.go)
	}
	if m.coordinated {
		// The master pauses writes, waits until r has all of them, demotes
		// itself and has r take over; r's INFO (polled every 100 ms while
		// we wait) shows it.
		c.act(FailoverTo{Target: m.inst.addr, Master: m.name, To: r.addr, Timeout: m.FailoverTimeout})
		c.event(EventFailoverStateWaitPromotion, LevelNotice, r, "")
		c.setFailoverState(m, FailoverWaitPromotion, now)
		return
	}
	c.act(ReplicaOf{Target: r.addr, Master: m.name, NoOne: true})
	// INFO right behind the transaction on the same link: the node answers
	// it after EXEC, so the promotion is usually seen one round trip later
	// instead of at the next poll.
	r.link.infoPending = true
	r.link.infoSentAt = now
	c.act(Info{Target: r.addr, Master: m.name})
	c.event(EventFailoverStateWaitPromotion, LevelNotice, r, "")
	c.setFailoverState(m, FailoverWaitPromotion, now)
}

func (c *Core) failoverWaitPromotion(m *master, now time.Time) {
	if now.Sub(m.failoverStateSince) > m.FailoverTimeout {
		c.event(EventFailoverAbortSlaveTimeout, LevelWarning, m.inst, "")
		c.abortFailover(m, now)
		return
	}
	if m.promotionUnsent && m.promoted != nil {
		// Dropped unsent past its NotAfter: nothing changed on the node, and
		// we still hold the failover (a deposed raft leader has aborted it
		// by now, rule 2), so send it again; the driver stamps a new
		// NotAfter. Paced by the tick, bounded by failover-timeout.
		m.promotionUnsent = false
		if m.coordinated {
			c.act(FailoverTo{Target: m.inst.addr, Master: m.name, To: m.promoted.addr, Timeout: m.FailoverTimeout})
			return
		}
		c.act(ReplicaOf{Target: m.promoted.addr, Master: m.name, NoOne: true})
	}
}

// onPromotionNotSent: our promotion was dropped before it reached the node
// because its NotAfter had passed (raft mode: too long after this leader
// last heard from a quorum). Mark it for the next tick rather than resending
// from here, so a driver that keeps dropping cannot spin the owner loop.
func (c *Core) onPromotionNotSent(in PromotionNotSent) {
	m := c.masterByName(in.Master)
	if m == nil || m.failoverState != FailoverWaitPromotion || m.promoted == nil {
		return
	}
	want := m.promoted.addr
	if m.coordinated {
		want = m.inst.addr
	}
	if want != in.Target {
		return
	}
	m.promotionUnsent = true
}

// onFailoverRefused: the master refused to hand over (COORDINATED). Nothing
// changed on the data nodes, so the failover is aborted at once rather than
// after failover-timeout.
func (c *Core) onFailoverRefused(in FailoverRefused) {
	m := c.masterByName(in.Master)
	if m == nil || !m.coordinated || m.failoverState != FailoverWaitPromotion || m.inst.addr != in.Target {
		return
	}
	reason, _, _ := strings.Cut(in.Reason, "\n")
	if len(reason) > 120 {
		reason = reason[:120]
	}
	c.event(EventFailoverAbortMasterRefused, LevelWarning, m.inst, strings.TrimSpace(reason))
	c.abortFailover(m, in.At)
}

// abortFailover is sentinelAbortFailover; legal only up to WAIT_PROMOTION.
func (c *Core) abortFailover(m *master, now time.Time) {
	if m.failoverState > FailoverWaitPromotion {
		panic("monitor: abort after promotion for " + m.name)
	}
	m.inst.flags &^= FlagFailoverInProgress | FlagForceFailover
	m.coordinated = false
	m.promotionUnsent = false
	c.setFailoverState(m, FailoverNone, now)
	if m.promoted != nil {
		m.promoted.flags &^= FlagPromoted
		m.promoted = nil
	}
}

// failoverReconfNextReplica is sentinelFailoverReconfNextSlave: repoint the
// other replicas, parallel-syncs at a time, then detect the end.
func (c *Core) failoverReconfNextReplica(m *master, now time.Time) {
	inProgress := 0
	for _, r := range m.replicas {
		if r.flags&(FlagReconfSent|FlagReconfInprog) != 0 {
			inProgress++
		}
	}
	for _, r := range m.replicas {
		if inProgress >= m.ParallelSyncs {
			break
		}
		if r.flags&(FlagPromoted|FlagReconfDone) != 0 {
			continue
		}
		// A replica stuck in "sent" is counted as done; the layout
		// enforcement fixes it later if needed.
		if r.flags&FlagReconfSent != 0 && now.Sub(r.reconfSentTime) > c.timers.SlaveReconfTimeout {
			c.event(EventSlaveReconfSentTimeout, LevelNotice, r, "")
			r.flags &^= FlagReconfSent
			r.flags |= FlagReconfDone
		}
		if r.flags&(FlagReconfSent|FlagReconfInprog|FlagReconfDone) != 0 || r.link.disconnected {
			continue
		}
		c.act(c.replicaOf(r, m.promoted.addr))
		r.flags |= FlagReconfSent
		r.reconfSentTime = now
		c.event(EventSlaveReconfSent, LevelNotice, r, "")
		inProgress++
	}
	c.failoverDetectEnd(m, now)
}

// failoverDetectEnd is sentinelFailoverDetectEnd.
func (c *Core) failoverDetectEnd(m *master, now time.Time) {
	if m.promoted == nil || m.promoted.flags&FlagSDown != 0 {
		return
	}
	notReconfigured := 0
	for _, r := range m.replicas {
		if r.flags&(FlagPromoted|FlagReconfDone) != 0 || r.flags&FlagSDown != 0 {
			continue
		}
		notReconfigured++
	}
	timeout := false
	if now.Sub(m.failoverStateSince) > m.FailoverTimeout {
		notReconfigured = 0
		timeout = true
		c.event(EventFailoverEndForTimeout, LevelWarning, m.inst, "")
	}
	if notReconfigured == 0 {
		c.event(EventFailoverEnd, LevelWarning, m.inst, "")
		c.setFailoverState(m, FailoverUpdateConfig, now)
	}
	if timeout {
		// Best effort for the replicas that never got the command.
		for _, r := range m.replicas {
			if r.flags&(FlagPromoted|FlagReconfDone|FlagReconfSent) != 0 || r.link.disconnected {
				continue
			}
			c.act(c.replicaOf(r, m.promoted.addr))
			r.flags |= FlagReconfSent
			c.event(EventSlaveReconfSentBestEffort, LevelNotice, r, "")
		}
	}
}

// selectionRules are sentinelSelectSlave's thresholds at time now.
func (c *Core) selectionRules(m *master, now time.Time) election.SelectionRules {
	var sdownSince time.Time
	if m.inst.flags&FlagSDown != 0 {
		sdownSince = m.inst.sdownSince
	}
	return selectionRulesAt(c.timers, m.DownAfter, sdownSince, now)
}

// selectionRulesAt are sentinelSelectSlave's thresholds at time now for a
// master with the given down-after, SDOWN since sdownSince (zero: not
// SDOWN). The failover and ReadinessOf both use them.
func selectionRulesAt(t Timers, downAfter time.Duration, sdownSince, now time.Time) election.SelectionRules {
	r := election.SelectionRules{
		MaxPingAge:        5 * t.PingPeriod,
		MaxInfoAge:        3 * t.InfoPeriod,
		MaxMasterLinkDown: 10 * downAfter,
	}
	if !sdownSince.IsZero() {
		r.MaxInfoAge = 5 * t.PingPeriod
		r.MaxMasterLinkDown += now.Sub(sdownSince)
	}
	return r
}

// infoAge is how old INFO taken at refresh is at now; never taken is as
// old as can be.
func infoAge(refresh, now time.Time) time.Duration {
	if refresh.IsZero() {
		return 1<<63 - 1
	}
	return now.Sub(refresh)
}

// candidate is replica r as the selection rules see it at now: as
// ReadinessOf sees its snapshot view, except that only the command link
// counts for Disconnected (a broken hello subscription alone does not
// stop a promotion).
func (c *Core) candidate(r *instance, now time.Time) election.Candidate {
	v := c.replicaView(r)
	cand := replicaCandidate(&v, now)
	cand.Disconnected = r.link.disconnected
	return cand
}

// awaitFreshInfo holds SELECT_SLAVE, for at most freshInfoWait, while a
// replica that is up and could be promoted has INFO too old to rank on:
// older than the selection rule allows, or (master down) taken before the
// master was seen down, so its offset may be behind. It asks such replicas
// for INFO now; each answer re-runs the state machine. Replicas that are
// down, disconnected or priority 0 are not waited for: the rules exclude
// them anyway.
func (c *Core) awaitFreshInfo(m *master, now time.Time) bool {
	if now.Sub(m.failoverStateSince) >= c.freshInfoWait(m) {
		return false
	}
	rules := c.selectionRules(m, now)
	waiting := false
	for _, r := range m.replicas {
		l := r.link
		if r.flags&(FlagSDown|FlagODown) != 0 || l.disconnected || r.priority == 0 ||
			now.Sub(l.lastAvail) > rules.MaxPingAge || r.roleReported == RoleMaster {
			continue
		}
		stale := r.infoRefresh.IsZero() || now.Sub(r.infoRefresh) > rules.MaxInfoAge ||
			(m.inst.flags&FlagSDown != 0 && r.infoRefresh.Before(m.inst.sdownSince))
		if !stale {
			continue
		}
		waiting = true
		if !l.infoPending {
			l.infoPending = true
			l.infoSentAt = now
			c.act(Info{Target: l.addr, Master: m.name})
		}
	}
	return waiting
}

// freshInfoWait bounds awaitFreshInfo: down-after or 1 s, whichever is
// smaller.
func (c *Core) freshInfoWait(m *master) time.Duration {
	return min(m.DownAfter, maxFreshInfoWait)
}

// selectReplica is sentinelSelectSlave.
func (c *Core) selectReplica(m *master, now time.Time) *instance {
	if r := c.raftPromotedReplica(m); r != nil {
		return r
	}
	cands := make([]election.Candidate, len(m.replicas))
	for k, r := range m.replicas {
		cands[k] = c.candidate(r, now)
	}
	best, ok := election.Select(cands, c.selectionRules(m, now))
	if !ok {
		return nil
	}
	for _, r := range m.replicas {
		if r.addr.String() == best.ID {
			return r
		}
	}
	return nil
}

// switchToPromoted is sentinelFailoverSwitchToPromotedSlave.
func (c *Core) switchToPromoted(m *master, now time.Time) {
	to := m.inst.addr
	if m.promoted != nil {
		to = m.promoted.addr
	}
	c.switchMaster(m, to, now)
}

// switchMaster announces +switch-master and resets the master to its new
// address (sentinelResetMasterAndChangeAddress).
func (c *Core) switchMaster(m *master, to Addr, now time.Time) {
	to = c.knownAs(m, to)
	from := m.inst.addr
	c.masterEvent(EventSwitchMaster, LevelWarning, m, m.name+" "+formatAddrPort(c.announced(from))+" "+formatAddrPort(c.announced(to)))
	c.resetMasterAndChangeAddress(m, to, now)
}

// resetMasterAndChangeAddress keeps the peers, re-creates the replicas (the
// old master among them, the new master not) and points the master entry at
// the new address. Unlike Redis it also forgets every peer's opinion about
// the old address, so stale "down" replies can never start a second
// failover against the new master.
func (c *Core) resetMasterAndChangeAddress(m *master, to Addr, now time.Time) {
	from := m.inst.addr
	var keep []Addr
	for _, r := range m.replicas {
		if r.addr != to {
			keep = append(keep, r.addr)
		}
	}
	old := m.replicas
	m.replicas = nil
	m.promoted = nil

	// Every address that stays in use keeps its link: acquire the new ones
	// before releasing the old ones, so there is no Unwatch/Watch churn.
	oldMasterLink := m.inst.link
	if from != to {
		m.inst.addr = to
		c.acquireLink(m.inst, now)
	}
	c.resetMaster(m, now, false)
	m.inst.odownSince = time.Time{}
	m.inst.sdownSince = time.Time{}

	for _, a := range keep {
		if r := c.addReplica(m, a, now); r != nil {
			c.event(EventSlave, LevelNotice, r, "")
		}
	}
	if from != to {
		if r := c.addReplica(m, from, now); r != nil {
			r.demoted = true
			// A fresh replica entry gets down-after before it can be SDOWN,
			// as createInstanceLink gives it in Redis.
			if !r.link.actPing.IsZero() {
				r.link.actPing = now
				c.wakeStale = true
			}
			r.link.lastAvail = now
			c.event(EventSlave, LevelNotice, r, "")
		}
	}
	if from != to {
		c.detach(oldMasterLink, m.inst)
	}
	for _, r := range old {
		c.releaseLink(r)
	}
	for _, s := range m.sentinels {
		s.flags &^= FlagMasterDown
		s.leader = ""
		s.leaderEpoch = 0
		s.lastDownReply = time.Time{}
		s.downHeardAt = time.Time{}
		s.askStale += s.askPending
		s.askPending = 0
	}
	c.flushConfig()
	c.forceHello(m, now)
}

// resetMaster is sentinelResetMaster: forget the replicas (and, when
// dropPeers, the peers), the failover, the flags and the run id, and start
// the master's timers afresh.
func (c *Core) resetMaster(m *master, now time.Time, dropPeers bool) {
	c.removeAllReplicas(m)
	if dropPeers {
		c.removeAllSentinels(m)
	}
	m.limitsWarned = nil
	mi := m.inst
	mi.flags &= FlagMaster
	m.leader = ""
	c.setFailoverState(m, FailoverNone, time.Time{})
	m.failoverStart = time.Time{}
	m.promoted = nil
	m.candidateAt = time.Time{}
	m.retryOnGoodReplica = false
	m.deferredHello = nil
	m.coordinated = false
	mi.runID = ""
	mi.replMasterHost = ""
	mi.infoRefresh = time.Time{}
	mi.roleReported = RoleMaster
	mi.roleReportedTime = now
	if l := mi.link; l != nil {
		// An unanswered PING gets a fresh down-after, as Redis gives a
		// reset master. A link with no PING in flight keeps a clear clock:
		// starting one here would mark a healthy new master SDOWN if its
		// next PING is due later than down-after.
		if !l.actPing.IsZero() {
			l.actPing = now
			c.wakeStale = true
		}
		l.lastAvail = now
	}
}
