package pubsub

import (
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// Field is one name/value pair of a SENTINEL MASTER / REPLICAS / SENTINELS
// reply. Every value is a bulk string on the wire, numbers included, as in
// addReplySentinelRedisInstance.
type Field struct {
	Name  string
	Value string
}

// msAgo renders the age of t at instant at in milliseconds. A zero t (never
// happened) renders as 0; a t after at (clock skew between the snapshot and
// its sources) is clamped to 0 rather than shown negative.
func msAgo(at, t time.Time) string {
	if t.IsZero() || t.After(at) {
		return "0"
	}
	return strconv.FormatInt(at.Sub(t).Milliseconds(), 10)
}

// replyAddr is the address replies show for v: ReplyAddr, or Addr in a
// view built without one.
func replyAddr(v *monitor.InstanceView) monitor.Addr {
	if v.ReplyAddr.IsZero() {
		return v.Addr
	}
	return v.ReplyAddr
}

func itoa(n int) string         { return strconv.Itoa(n) }
func utoa(n uint64) string      { return strconv.FormatUint(n, 10) }
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// commonFields are the fields every instance kind starts with, in Redis's
// order. failoverState is rendered only when not "none", like Redis's
// SRI_FAILOVER_IN_PROGRESS condition.
func commonFields(dst []Field, v *monitor.InstanceView, role monitor.Flags, failoverState monitor.FailoverState, at time.Time) []Field {
	// "ip" is the announced address: the IP a host name was reached at,
	// or the name with announce-hostnames (monitor.InstanceView.ReplyAddr).
	shown := replyAddr(v)
	name := v.Name
	if name == "" {
		name = shown.String()
	}
	// The role flag is part of what the instance is; clients (redis-py)
	// require "master" in the flags, so it is never left out.
	flags := v.Flags | role
	dst = append(dst,
		Field{"name", name},
		Field{"ip", shown.Host},
		Field{"port", itoa(shown.Port)},
		Field{"runid", v.RunID},
		Field{"flags", flags.String()},
		Field{"link-pending-commands", itoa(v.LinkPendingCommands)},
		Field{"link-refcount", itoa(v.LinkRefcount)},
	)
	if failoverState != monitor.FailoverNone {
		dst = append(dst, Field{"failover-state", failoverState.String()})
	}
	dst = append(dst,
		Field{"last-ping-sent", msAgo(at, v.PingSent)},
		Field{"last-ok-ping-reply", msAgo(at, v.LastOKPing)},
		Field{"last-ping-reply", msAgo(at, v.LastPingRply)},
	)
	if flags&monitor.FlagSDown != 0 {
		dst = append(dst, Field{"s-down-time", msAgo(at, v.SDownSince)})
	}
	if flags&monitor.FlagODown != 0 {
		dst = append(dst, Field{"o-down-time", msAgo(at, v.ODownSince)})
	}
	return append(dst, Field{"down-after-milliseconds", ms(v.DownAfterPeriod)})
}

// dataNodeFields are the fields masters and replicas add.
func dataNodeFields(dst []Field, v *monitor.InstanceView, defaultRole monitor.Role, at time.Time) []Field {
	role := v.RoleReported
	if role == monitor.RoleUnknown {
		// Redis starts role_reported from the instance's own kind.
		role = defaultRole
	}
	return append(dst,
		Field{"info-refresh", msAgo(at, v.InfoRefresh)},
		Field{"role-reported", role.String()},
		Field{"role-reported-time", msAgo(at, v.RoleReportedTime)},
	)
}

// MasterFields renders SENTINEL MASTER for m as of at (normally the
// snapshot's At).
func MasterFields(m *monitor.MasterView, at time.Time) []Field {
	out := make([]Field, 0, 24)
	out = commonFields(out, &m.InstanceView, monitor.FlagMaster, m.FailoverState, at)
	out = dataNodeFields(out, &m.InstanceView, monitor.RoleMaster, at)
	out = append(out,
		Field{"config-epoch", utoa(m.ConfigEpoch)},
		Field{"num-slaves", itoa(len(m.Replicas))},
		Field{"num-other-sentinels", itoa(len(m.Sentinels))},
		Field{"quorum", itoa(m.Quorum)},
		Field{"failover-timeout", ms(m.FailoverTimeout)},
		Field{"parallel-syncs", itoa(m.ParallelSyncs)},
	)
	if m.NotificationScript != "" {
		out = append(out, Field{"notification-script", m.NotificationScript})
	}
	if m.ClientReconfigScript != "" {
		out = append(out, Field{"client-reconfig-script", m.ClientReconfigScript})
	}
	if m.Fencing {
		// Ours, after Redis's fields, and only when on: a master without
		// fencing replies field for field as redis-sentinel does.
		out = append(out, Field{"fencing", "yes"})
		if monitor.Withheld(m, at) {
			// Ours, only while withheld: why SENTINEL MASTERS leaves this
			// master out and GET-MASTER-ADDR-BY-NAME answers null.
			out = append(out, Field{"authority", monitor.AuthorityOf(m, at).Reason()})
		}
	}
	if m.TLS != "" {
		// Ours too, only when set (sentinel tls <master> / SENTINEL SET).
		out = append(out, Field{"tls", m.TLS})
	}
	return out
}

// ReplicaFields renders one element of SENTINEL REPLICAS.
func ReplicaFields(r *monitor.ReplicaView, at time.Time) []Field {
	out := make([]Field, 0, 24)
	out = commonFields(out, &r.InstanceView, monitor.FlagReplica, monitor.FailoverNone, at)
	out = dataNodeFields(out, &r.InstanceView, monitor.RoleReplica, at)
	linkStatus := "err"
	if r.MasterLinkUp {
		linkStatus = "ok"
	}
	masterHost := r.MasterHost
	if masterHost == "" {
		masterHost = "?" // slave_master_host unknown, as Redis prints it
	}
	announced := "0"
	if r.Announced {
		announced = "1"
	}
	return append(out,
		Field{"master-link-down-time", ms(r.MasterLinkDownTime)},
		Field{"master-link-status", linkStatus},
		Field{"master-host", masterHost},
		Field{"master-port", itoa(r.MasterPort)},
		Field{"slave-priority", itoa(r.Priority)},
		Field{"slave-repl-offset", strconv.FormatInt(r.ReplOffset, 10)},
		Field{"replica-announced", announced},
	)
}

// SentinelFields renders one element of SENTINEL SENTINELS.
func SentinelFields(s *monitor.SentinelView, at time.Time) []Field {
	out := make([]Field, 0, 20)
	out = commonFields(out, &s.InstanceView, monitor.FlagSentinel, monitor.FailoverNone, at)
	leader := s.VotedLeader
	if leader == "" {
		leader = "?"
	}
	return append(out,
		Field{"last-hello-message", msAgo(at, s.LastHello)},
		Field{"voted-leader", leader},
		Field{"voted-leader-epoch", utoa(s.VotedLeaderEpoch)},
	)
}

// writeFields writes fields as a map (RESP3) or a flat array (RESP2).
func writeFields(w *resp.Writer, fields []Field) {
	w.MapLen(len(fields))
	for _, f := range fields {
		w.BulkString(f.Name)
		w.BulkString(f.Value)
	}
}

// VisibleReplicas returns the replicas SENTINEL REPLICAS lists: those with
// replica-announced set are shown, the others hidden, as Redis does.
func VisibleReplicas(m *monitor.MasterView) []*monitor.ReplicaView {
	out := make([]*monitor.ReplicaView, 0, len(m.Replicas))
	for i := range m.Replicas {
		if m.Replicas[i].Announced {
			out = append(out, &m.Replicas[i])
		}
	}
	return out
}

// MasterStatus is the status word of an INFO sentinel masterN line.
func MasterStatus(m *monitor.MasterView) string {
	switch {
	case m.Flags&monitor.FlagODown != 0:
		return "odown"
	case m.Flags&monitor.FlagSDown != 0:
		return "sdown"
	default:
		return "ok"
	}
}

// InfoSentinelSection renders INFO's "# Sentinel" section, field for
// field as sentinelInfoCommand does. Script counters are 0 until notify
// exposes them through the snapshot.
func InfoSentinelSection(s *monitor.Snapshot) string {
	var b strings.Builder
	tilt, since := "0", "-1"
	if s.Tilt {
		tilt = "1"
		since = "0"
		if !s.TiltSince.IsZero() && s.At.After(s.TiltSince) {
			since = strconv.FormatInt(int64(s.At.Sub(s.TiltSince)/time.Second), 10)
		}
	}
	b.WriteString("# Sentinel\r\n")
	b.WriteString("sentinel_masters:" + itoa(len(s.Masters)) + "\r\n")
	b.WriteString("sentinel_tilt:" + tilt + "\r\n")
	b.WriteString("sentinel_tilt_since_seconds:" + since + "\r\n")
	b.WriteString("sentinel_total_tilt:" + strconv.FormatUint(s.TiltCount, 10) + "\r\n") // Valkey's
	b.WriteString("sentinel_running_scripts:" + itoa(s.Scripts.Running) + "\r\n")
	b.WriteString("sentinel_scripts_queue_length:" + itoa(s.Scripts.Queued) + "\r\n")
	b.WriteString("sentinel_simulate_failure_flags:0\r\n")
	if s.TiltCount > 0 {
		// Ours, once a TILT happened: its cause (clock_back: the clock
		// went back; stall: no tick for longer than tilt-trigger) and the
		// tick gap in milliseconds.
		cause := "stall"
		if s.TiltDelta < 0 {
			cause = "clock_back"
		}
		b.WriteString("sentinel_tilt_last_cause:" + cause + "\r\n")
		b.WriteString("sentinel_tilt_last_delta_ms:" + strconv.FormatInt(s.TiltDelta.Milliseconds(), 10) + "\r\n")
	}
	if r := s.Raft; r != nil {
		// Ours, raft mode only, before the masters as Redis's own fields.
		b.WriteString("sentinel_election_mode:raft\r\n")
		b.WriteString("sentinel_raft_node_id:" + r.NodeID + "\r\n")
		b.WriteString("sentinel_raft_state:" + strings.ToLower(r.State) + "\r\n")
		b.WriteString("sentinel_raft_term:" + strconv.FormatUint(r.Term, 10) + "\r\n")
		b.WriteString("sentinel_raft_leader:" + r.LeaderID + "\r\n")
		b.WriteString("sentinel_raft_commit_index:" + strconv.FormatUint(r.CommitIndex, 10) + "\r\n")
		b.WriteString("sentinel_raft_applied_index:" + strconv.FormatUint(r.AppliedIndex, 10) + "\r\n")
		b.WriteString("sentinel_raft_voters:" + itoa(r.Voters) + "\r\n")
	}
	for i := range s.Masters {
		m := &s.Masters[i]
		shown := replyAddr(&m.InstanceView)
		b.WriteString("master" + itoa(i) + ":name=" + m.Name + ",status=" + MasterStatus(m) +
			",address=" + shown.Host + ":" + itoa(shown.Port) + ",slaves=" + itoa(len(m.Replicas)) +
			",sentinels=" + itoa(len(m.Sentinels)+1))
		if monitor.Withheld(m, s.At) {
			// Ours, after Redis's fields: why GET-MASTER-ADDR-BY-NAME
			// answers null (fencing, no majority reached).
			b.WriteString(",authority=" + monitor.AuthorityOf(m, s.At).Reason())
		}
		if !m.PausedUntil.IsZero() && m.PausedUntil.After(s.At) {
			// Ours: seconds left of a SENTINEL PAUSE.
			b.WriteString(",paused=" + strconv.FormatInt(int64(m.PausedUntil.Sub(s.At).Round(time.Second)/time.Second), 10))
		}
		b.WriteString("\r\n")
	}
	return b.String()
}
