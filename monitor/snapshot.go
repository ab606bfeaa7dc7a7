package monitor

import (
	"sort"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// Snapshot is a deep copy of the core's state at one instant, for the
// client-facing server (SENTINEL MASTER(S)/REPLICAS/SENTINELS, INFO), the
// metrics collector and the state file. Readers never touch the live core.
// Times are absolute; formatters turn them into "ms ago" against At.
type Snapshot struct {
	At           time.Time
	MyID         string
	CurrentEpoch uint64
	Tilt         bool
	TiltSince    time.Time    // zero when never in TILT
	TiltCount    uint64       // times TILT was entered since start
	Masters      []MasterView // sorted by name

	// TiltDelta is the gap between two ticks that caused the last TILT
	// (negative: the clock went back); TiltCause says it in words.
	TiltDelta time.Duration

	// Scripts is filled by the driver from notify, not by the core: the
	// queue of notification and client-reconfig scripts.
	Scripts ScriptsView

	// Raft is filled by the driver in raft mode (nil in vote mode): this
	// node's view of the raft group, for INFO (raftseam.go).
	Raft *RaftView
}

// ScriptsView is the script queue, for INFO sentinel and
// SENTINEL PENDING-SCRIPTS.
type ScriptsView struct {
	Running int
	Queued  int // running or waiting, as Redis counts sentinel_scripts_queue_length
	Jobs    []ScriptJob
}

// ScriptJob is one queued or running script.
type ScriptJob struct {
	Args     []string // the script path, then its arguments
	Running  bool
	PID      int
	RunTime  time.Duration // how long a running job has run
	RunDelay time.Duration // how long a scheduled job still waits
	Retries  int
}

// Master returns the view of the named master, or nil. Masters are sorted
// by name, so this is a binary search: it runs for every PING (credentials
// and rename-command of the target's master).
func (s *Snapshot) Master(name string) *MasterView {
	// By index: a comparison function taking MasterView by value would
	// copy the whole view (~600 bytes) onto the stack at every probe.
	i := sort.Search(len(s.Masters), func(i int) bool { return s.Masters[i].Name >= name })
	if i == len(s.Masters) || s.Masters[i].Name != name {
		return nil
	}
	return &s.Masters[i]
}

// Flags are Sentinel's instance flags, rendered comma-joined in the wire
// order of addReplySentinelRedisInstance.
type Flags uint32

// Instance flags (SRI_*). Their rendering order is fixed by FlagNames.
const (
	FlagSDown Flags = 1 << iota
	FlagODown
	FlagMaster
	FlagReplica
	FlagSentinel
	FlagDisconnected
	FlagMasterDown
	FlagFailoverInProgress
	FlagPromoted
	FlagReconfSent
	FlagReconfInprog
	FlagReconfDone
	FlagForceFailover
	FlagScriptKillSent
	FlagMasterReboot
)

// FlagNames lists the wire names of the flags in the order Redis prints them.
var FlagNames = []struct {
	Flag Flags
	Name string
}{
	{FlagSDown, "s_down"},
	{FlagODown, "o_down"},
	{FlagMaster, "master"},
	{FlagReplica, "slave"},
	{FlagSentinel, "sentinel"},
	{FlagDisconnected, "disconnected"},
	{FlagMasterDown, "master_down"},
	{FlagFailoverInProgress, "failover_in_progress"},
	{FlagPromoted, "promoted"},
	{FlagReconfSent, "reconf_sent"},
	{FlagReconfInprog, "reconf_inprog"},
	{FlagReconfDone, "reconf_done"},
	{FlagForceFailover, "force_failover"},
	{FlagScriptKillSent, "script_kill_sent"},
	{FlagMasterReboot, "master_reboot"},
}

// String renders the flags comma-joined, as the "flags" reply field.
func (f Flags) String() string {
	s := ""
	for _, fn := range FlagNames {
		if f&fn.Flag != 0 {
			if s != "" {
				s += ","
			}
			s += fn.Name
		}
	}
	return s
}

// FailoverState mirrors sentinel.c's SENTINEL_FAILOVER_STATE_*.
type FailoverState uint8

// Failover states, in order.
const (
	FailoverNone FailoverState = iota
	FailoverWaitStart
	FailoverSelectReplica
	FailoverSendReplicaOfNoOne
	FailoverWaitPromotion
	FailoverReconfReplicas
	FailoverUpdateConfig
)

// String returns the wire name used in the "failover-state" reply field.
func (s FailoverState) String() string {
	switch s {
	case FailoverWaitStart:
		return "wait_start"
	case FailoverSelectReplica:
		return "select_slave"
	case FailoverSendReplicaOfNoOne:
		return "send_slaveof_noone"
	case FailoverWaitPromotion:
		return "wait_promotion"
	case FailoverReconfReplicas:
		return "reconf_slaves"
	case FailoverUpdateConfig:
		return "update_config"
	default:
		return "none"
	}
}

// InstanceView holds the fields every instance kind shares in replies.
type InstanceView struct {
	Name string // master name; "ip:port" for replicas; run id for sentinels
	Addr Addr   // the instance's identity: as configured or discovered (a name or an IP)
	// ReplyAddr is what replies show as "ip" and "port": Addr, or without
	// announce-hostnames the IP a host name was last reached at.
	ReplyAddr Addr
	RunID     string
	Flags     Flags

	LinkPendingCommands int
	LinkRefcount        int

	PingSent        time.Time     // oldest unanswered PING (zero: none pending) → last-ping-sent
	LastOKPing      time.Time     // last valid reply → last-ok-ping-reply
	LastPingRply    time.Time     // last reply of any kind → last-ping-reply
	SDownSince      time.Time     // zero unless SDOWN → s-down-time
	ODownSince      time.Time     // zero unless ODOWN → o-down-time
	DownAfterPeriod time.Duration // the master's down-after, which all its instances use (down_after_period)

	// Data nodes only.
	InfoRefresh      time.Time // last INFO reply → info-refresh
	RoleReported     Role
	RoleReportedTime time.Time
	InfoCache        string // raw INFO text of the last reply, for SENTINEL INFO-CACHE
}

// MasterView is one master with its replicas and the other sentinels.
type MasterView struct {
	InstanceView
	// MasterSettings are the master's settings (AuthPass is a Secret:
	// never rendered by replies or logs). Its DownAfter equals
	// InstanceView's.
	settings.MasterSettings
	ConfigEpoch uint64
	LeaderEpoch uint64 // epoch of the last vote we cast for this master
	Leader      string // run id we voted for in LeaderEpoch

	FailoverState      FailoverState
	FailoverStateSince time.Time
	FailoverEpoch      uint64
	FailoverStart      time.Time
	PromotedReplica    Addr // zero unless a failover promoted one
	// PausedUntil is the end of a SENTINEL PAUSE in force (zero: none).
	PausedUntil time.Time

	// CurrentAddr is the master's current identity: the promoted replica
	// once the failover reached reconf_slaves, else Addr.
	CurrentAddr Addr
	// CurrentReplyAddr is CurrentAddr as GET-MASTER-ADDR-BY-NAME answers
	// it (announced like ReplyAddr).
	CurrentReplyAddr Addr

	Replicas  []ReplicaView  // sorted by address
	Sentinels []SentinelView // sorted by run id
}

// ReplicaView is one replica of a master.
type ReplicaView struct {
	InstanceView
	MasterLinkDownTime time.Duration // master-link-down-time (ms in replies)
	MasterLinkUp       bool
	MasterHost         string
	MasterPort         int
	Priority           int
	ReplOffset         int64
	Announced          bool
}

// SentinelView is another sentinel that watches the same master.
type SentinelView struct {
	InstanceView
	LastHello        time.Time
	VotedLeader      string // "?" rendered when empty
	VotedLeaderEpoch uint64
}
