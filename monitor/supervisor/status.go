package supervisor

import (
	"fmt"
	"net/http"
	"time"

	"github.com/sentinelgo/sentinel/election"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/monitor/history"
	"github.com/sentinelgo/sentinel/pubsub"
)

// statusSource builds /status (and so the status page) from the published
// snapshot and the failover history; it never calls into the core.
type statusSource struct {
	loop    *Loop
	history *historyKeeper // nil: no history
	timers  monitor.Timers // for the replica selection rules
	version string
	// raft reports raft mode's state (raft.go); nil in vote mode.
	raft func() *RaftStatus
	// raftRoutes adds raft mode's membership endpoints; nil in vote mode.
	raftRoutes func(*http.ServeMux)
}

// statusView is the JSON shape of /status: what an operator needs at a
// glance, with secrets left out. Ages are milliseconds before "at"
// (-1: never).
type statusView struct {
	At           time.Time      `json:"at"`
	Version      string         `json:"version"`
	MyID         string         `json:"myid"`
	CurrentEpoch uint64         `json:"current_epoch"`
	Tilt         bool           `json:"tilt"`
	TiltSince    *time.Time     `json:"tilt_since,omitempty"`
	TiltCount    uint64         `json:"tilt_count"`
	Masters      []statusMaster `json:"masters"`
	Raft         *RaftStatus    `json:"raft,omitempty"`

	// TiltCause is why the last TILT was entered, with the tick gap.
	TiltCause   string `json:"tilt_cause,omitempty"`
	TiltDeltaMs int64  `json:"tilt_delta_ms,omitempty"`
}

type statusMaster struct {
	statusInstance
	Status          string  `json:"status"` // ok, sdown, odown
	CurrentAddress  string  `json:"current_address"`
	ConfigEpoch     uint64  `json:"config_epoch"`
	LeaderEpoch     uint64  `json:"leader_epoch"`
	Leader          string  `json:"leader,omitempty"`
	Quorum          int     `json:"quorum"`
	DownAfterMs     int64   `json:"down_after_ms"`
	FailoverTimeout int64   `json:"failover_timeout_ms"`
	ParallelSyncs   int     `json:"parallel_syncs"`
	FailoverState   string  `json:"failover_state"`
	FailoverSinceMs int64   `json:"failover_state_age_ms"`
	FailoverEpoch   uint64  `json:"failover_epoch"`
	Readiness       readyJS `json:"readiness"`
	// Withheld says why GET-MASTER-ADDR-BY-NAME answers null (fencing on
	// and no majority of the sentinels reached); empty when it answers.
	Withheld string `json:"withheld,omitempty"`
	// PausedUntil is the end of a SENTINEL PAUSE in force.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// Blockers say why a failover could not happen now; empty when it could.
	Blockers  []string         `json:"blockers"`
	Replicas  []statusReplica  `json:"replicas"`
	Sentinels []statusSentinel `json:"sentinels"`
	History   []history.Record `json:"history"`
}

type readyJS struct {
	ReachableSentinels int        `json:"reachable_sentinels"`
	Voters             int        `json:"voters"`
	QuorumReachable    bool       `json:"quorum_reachable"`
	Authorized         bool       `json:"majority_reachable"`
	Promotable         int        `json:"promotable_replicas"`
	NextAttempt        *time.Time `json:"next_attempt,omitempty"`
}

type statusInstance struct {
	Name          string `json:"name"`
	Address       string `json:"address"`
	RunID         string `json:"runid,omitempty"`
	Flags         string `json:"flags"`
	Role          string `json:"role,omitempty"` // as its last INFO said (data nodes)
	LinkUp        bool   `json:"link_up"`
	LastOKPingMs  int64  `json:"last_ok_ping_ms"`
	LastReplyMs   int64  `json:"last_ping_reply_ms"`
	InfoRefreshMs int64  `json:"info_refresh_ms,omitempty"`
	DownMs        int64  `json:"down_ms,omitempty"` // how long SDOWN
}

type statusReplica struct {
	statusInstance
	Priority        int    `json:"priority"`
	ReplOffset      int64  `json:"repl_offset"`
	MasterLinkUp    bool   `json:"master_link_up"`
	MasterLinkDownS int64  `json:"master_link_down_s,omitempty"`
	Promotable      bool   `json:"promotable"`
	Reason          string `json:"reason"` // why not promotable ("eligible" when it is)
}

type statusSentinel struct {
	statusInstance
	LastHelloMs int64  `json:"last_hello_ms"`
	VotedLeader string `json:"voted_leader,omitempty"`
	VotedEpoch  uint64 `json:"voted_leader_epoch,omitempty"`
}

// ageMs is now-t in milliseconds, -1 for a zero t.
func ageMs(now, t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return now.Sub(t).Milliseconds()
}

func instanceJS(v *monitor.InstanceView, at time.Time, dataNode bool) statusInstance {
	si := statusInstance{
		Name: v.Name, Address: v.Addr.String(), RunID: v.RunID, Flags: v.Flags.String(),
		LinkUp:       v.Flags&monitor.FlagDisconnected == 0,
		LastOKPingMs: ageMs(at, v.LastOKPing), LastReplyMs: ageMs(at, v.LastPingRply),
	}
	if dataNode {
		si.Role = v.RoleReported.String()
		si.InfoRefreshMs = ageMs(at, v.InfoRefresh)
	}
	if !v.SDownSince.IsZero() {
		si.DownMs = ageMs(at, v.SDownSince)
	}
	return si
}

func (src *statusSource) view() statusView {
	s := src.loop.ReaderSnapshot()
	v := statusView{At: s.At, Version: src.version, MyID: s.MyID, CurrentEpoch: s.CurrentEpoch,
		Tilt: s.Tilt, TiltCount: s.TiltCount, Masters: []statusMaster{}}
	if s.TiltCount > 0 {
		v.TiltCause = monitor.TiltCause(s.TiltDelta, src.timers.TiltTrigger)
		v.TiltDeltaMs = s.TiltDelta.Milliseconds()
	}
	if !s.TiltSince.IsZero() {
		t := s.TiltSince
		v.TiltSince = &t
	}
	for i := range s.Masters {
		v.Masters = append(v.Masters, src.master(s, &s.Masters[i]))
	}
	if src.raft != nil {
		v.Raft = src.raft()
	}
	return v
}

func (src *statusSource) master(s *monitor.Snapshot, m *monitor.MasterView) statusMaster {
	at := s.At
	r := monitor.ReadinessOf(m, at, src.timers)
	sm := statusMaster{
		statusInstance: instanceJS(&m.InstanceView, at, true),
		Status:         pubsub.MasterStatus(m), CurrentAddress: m.CurrentAddr.String(),
		ConfigEpoch: m.ConfigEpoch, LeaderEpoch: m.LeaderEpoch, Leader: m.Leader,
		Quorum: m.Quorum, DownAfterMs: m.DownAfter.Milliseconds(), FailoverTimeout: m.FailoverTimeout.Milliseconds(),
		ParallelSyncs: m.ParallelSyncs, FailoverState: m.FailoverState.String(), FailoverEpoch: m.FailoverEpoch,
		Readiness: readyJS{ReachableSentinels: r.Usable, Voters: r.Voters, QuorumReachable: r.QuorumReachable,
			Authorized: r.Authorized, Promotable: r.Promotable},
		Replicas: []statusReplica{}, Sentinels: []statusSentinel{}, History: []history.Record{},
	}
	if m.FailoverState != monitor.FailoverNone {
		sm.FailoverSinceMs = ageMs(at, m.FailoverStateSince)
	}
	if monitor.Withheld(m, at) {
		a := monitor.AuthorityOf(m, at)
		sm.Withheld = fmt.Sprintf("fencing: this sentinel reaches %d of %d sentinels, no majority; clients are sent to the others", a.Reached, a.Known)
	}
	if !r.NextAttempt.IsZero() && r.NextAttempt.After(at) {
		t := r.NextAttempt
		sm.Readiness.NextAttempt = &t
	}
	for k := range m.Replicas {
		rv := &m.Replicas[k]
		sm.Replicas = append(sm.Replicas, statusReplica{
			statusInstance: instanceJS(&rv.InstanceView, at, true),
			Priority:       rv.Priority, ReplOffset: rv.ReplOffset, MasterLinkUp: rv.MasterLinkUp,
			MasterLinkDownS: int64(rv.MasterLinkDownTime.Seconds()),
			Promotable:      r.Replicas[k] == election.ExcludeNone, Reason: r.Replicas[k].String(),
		})
	}
	for k := range m.Sentinels {
		p := &m.Sentinels[k]
		sm.Sentinels = append(sm.Sentinels, statusSentinel{
			statusInstance: instanceJS(&p.InstanceView, at, false),
			LastHelloMs:    ageMs(at, p.LastHello), VotedLeader: p.VotedLeader, VotedEpoch: p.VotedLeaderEpoch,
		})
	}
	if !m.PausedUntil.IsZero() {
		t := m.PausedUntil
		sm.PausedUntil = &t
	}
	sm.Blockers = blockers(s, m, r, src.timers.TiltTrigger)
	if src.history != nil {
		sm.History = src.history.Records(m.Name)
	}
	return sm
}

// blockers explains, in an operator's words, what would stop a failover
// of m if it started now.
func blockers(s *monitor.Snapshot, m *monitor.MasterView, r monitor.Readiness, tiltTrigger time.Duration) []string {
	out := []string{}
	if !m.PausedUntil.IsZero() {
		out = append(out, fmt.Sprintf("paused by SENTINEL PAUSE until %s: no failover started or voted for by this sentinel",
			m.PausedUntil.UTC().Format(time.RFC3339)))
	}
	if s.Tilt {
		out = append(out, fmt.Sprintf("TILT since %s (%s): this sentinel acts on nothing until the clock has been steady for the tilt period",
			s.TiltSince.UTC().Format(time.RFC3339), monitor.TiltCause(s.TiltDelta, tiltTrigger)))
	}
	if !r.QuorumReachable {
		out = append(out, fmt.Sprintf("no quorum: %d sentinel(s) reachable, quorum is %d", r.Usable, m.Quorum))
	}
	if !r.Authorized {
		out = append(out, fmt.Sprintf("no majority: %d of %d sentinels reachable, %d needed to elect a leader", r.Usable, r.Voters, r.Voters/2+1))
	}
	if r.Promotable == 0 {
		if len(m.Replicas) == 0 {
			out = append(out, "no replica known")
		} else {
			out = append(out, "no replica can be promoted (see each replica's reason)")
		}
	}
	if !r.NextAttempt.IsZero() && r.NextAttempt.After(s.At) && m.FailoverState == monitor.FailoverNone {
		out = append(out, fmt.Sprintf("last attempt too recent: the next may start at %s (2 × failover-timeout after it)",
			r.NextAttempt.UTC().Format(time.RFC3339)))
	}
	return out
}

// dropEvents empties the event lists of the history records, keeping
// their phases and results (/status?events=0, what the page polls).
func (v *statusView) dropEvents() {
	for i := range v.Masters {
		h := v.Masters[i].History
		for k := range h {
			h[k].Events = nil
		}
	}
}
