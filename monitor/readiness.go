package monitor

import (
	"time"

	"github.com/sentinelgo/sentinel/election"
)

// Readiness is whether a failover of a master could happen now, as this
// sentinel's snapshot shows it: what an operator asks when a master is
// down and nothing moves. It is computed from a MasterView alone (for
// /metrics and the status page), never from the live core.
type Readiness struct {
	// Usable counts the sentinels (this one included) not SDOWN or ODOWN,
	// as SENTINEL CKQUORUM counts them; Voters all of them.
	Usable, Voters int
	// QuorumReachable: Usable reaches the quorum. Authorized: Usable is a
	// majority of Voters, so a leader can be elected.
	QuorumReachable, Authorized bool
	// NextAttempt is the earliest time this sentinel starts (or votes
	// for) another attempt: the last attempt's start + 2 × failover-timeout,
	// as sentinelStartFailoverIfNeeded waits. Zero when none was made.
	NextAttempt time.Time
	// Replicas holds, in the order of MasterView.Replicas, the first rule
	// of the replica selection that rules each out at the snapshot's time
	// (election.ExcludeNone: it could be promoted).
	Replicas []election.Exclusion
	// Promotable counts the replicas with ExcludeNone.
	Promotable int
}

// replicaCandidate is the replica of view v as the selection rules see
// it at time at; the failover's candidate starts from it too.
func replicaCandidate(v *ReplicaView, at time.Time) election.Candidate {
	return election.Candidate{
		ID:                 v.Addr.String(),
		RunID:              v.RunID,
		Priority:           v.Priority,
		ReplOffset:         v.ReplOffset,
		SDown:              v.Flags&FlagSDown != 0,
		ODown:              v.Flags&FlagODown != 0,
		Disconnected:       v.Flags&FlagDisconnected != 0,
		LastOKPingAge:      at.Sub(v.LastOKPing),
		InfoAge:            infoAge(v.InfoRefresh, at),
		MasterLinkDownTime: v.MasterLinkDownTime,
		ReportsMaster:      v.RoleReported == RoleMaster,
	}
}

// ReadinessOf computes a master's readiness at time at (the snapshot's)
// with the core's timers t. The replica rules are those of the failover's
// selection (selectionRules, candidate); the one difference is that a
// replica whose hello subscription alone is broken counts as disconnected
// here.
func ReadinessOf(m *MasterView, at time.Time, t Timers) Readiness {
	r := Readiness{Usable: 1, Voters: len(m.Sentinels) + 1}
	for k := range m.Sentinels {
		if m.Sentinels[k].Flags&(FlagSDown|FlagODown) == 0 {
			r.Usable++
		}
	}
	r.QuorumReachable = r.Usable >= m.Quorum
	r.Authorized = r.Usable >= election.Majority(r.Voters)
	if !m.FailoverStart.IsZero() {
		r.NextAttempt = m.FailoverStart.Add(2 * m.FailoverTimeout)
	}
	var sdownSince time.Time
	if m.Flags&FlagSDown != 0 {
		sdownSince = m.SDownSince
	}
	rules := selectionRulesAt(t, m.DownAfter, sdownSince, at)
	r.Replicas = make([]election.Exclusion, len(m.Replicas))
	for k := range m.Replicas {
		r.Replicas[k] = election.Exclude(replicaCandidate(&m.Replicas[k], at), rules)
		if r.Replicas[k] == election.ExcludeNone {
			r.Promotable++
		}
	}
	return r
}
