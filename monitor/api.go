package monitor

import (
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// Config is everything the core needs to start: identity, persisted epochs,
// timers and the masters with their persisted knowledge.
type Config struct {
	MyID         string // 40 hex characters (sentinel myid)
	CurrentEpoch uint64 // sentinel current-epoch
	// Announce is what our hellos carry: Host empty means "the local address
	// of the link the hello goes out on" (the driver fills it in); Port is
	// announce-port or else our listening port.
	Announce Addr
	// AnnounceHostnames shows instances named by a host name by that name
	// in replies, events and outgoing addresses; off (the default), by the
	// IP the name was last reached at (see Core.SetAnnounceHostnames).
	AnnounceHostnames bool
	Timers            Timers
	Limits            Limits
	Masters           []MasterConfig
}

// Limits bound what discovery may add to one master, so a hostile INFO (a
// replica list of thousands) or a hello flood cannot grow the state, the
// links and the state file without bound. Zero fields take DefaultLimits.
// What is over a limit is ignored, with one +discovery-limit warning.
type Limits struct {
	MaxReplicas  int // replicas per master
	MaxSentinels int // other sentinels per master
}

// DefaultLimits are far above any real deployment (Redis has no limit).
func DefaultLimits() Limits { return Limits{MaxReplicas: 1000, MaxSentinels: 100} }

// MasterConfig is one monitored master, with what earlier runs learned.
// Zero timers and counts in its settings take the defaults (the timers'
// DefaultDownAfter and DefaultFailoverTimeout, parallel-syncs 1).
type MasterConfig struct {
	Name string
	Addr Addr
	settings.MasterSettings

	// Persisted state.
	ConfigEpoch    uint64
	LeaderEpoch    uint64
	Leader         string
	KnownReplicas  []Addr
	KnownSentinels []KnownSentinel
}

// KnownSentinel is a peer remembered across restarts (known-sentinel).
type KnownSentinel struct {
	Addr  Addr
	RunID string
}

// Timers are Sentinel's internal timing constants; SENTINEL DEBUG changes
// them at run time. Zero fields take the Redis defaults (DefaultTimers).
type Timers struct {
	PingPeriod             time.Duration // ping-period, 1 s
	InfoPeriod             time.Duration // info-period, 10 s
	AskPeriod              time.Duration // ask-period, 1 s
	PublishPeriod          time.Duration // publish-period, 2 s
	DefaultDownAfter       time.Duration // default-down-after, 30 s
	DefaultFailoverTimeout time.Duration // default-failover-timeout, 180 s
	TiltTrigger            time.Duration // tilt-trigger, 2 s
	TiltPeriod             time.Duration // tilt-period, 30 s
	SlaveReconfTimeout     time.Duration // slave-reconf-timeout, 10 s
	MinLinkReconnectPeriod time.Duration // min-link-reconnect-period, 15 s
	ElectionTimeout        time.Duration // election-timeout, 10 s
	ScriptMaxRuntime       time.Duration // script-max-runtime, 60 s
	ScriptRetryDelay       time.Duration // script-retry-delay, 30 s
	// MaxDesync is the random delay (0..MaxDesync) added to a failover
	// start, SENTINEL_MAX_DESYNC (1 s). Not exposed by SENTINEL DEBUG.
	MaxDesync time.Duration
}

// DefaultTimers returns Redis 7.0's values.
func DefaultTimers() Timers {
	return Timers{
		PingPeriod:             time.Second,
		InfoPeriod:             10 * time.Second,
		AskPeriod:              time.Second,
		PublishPeriod:          2 * time.Second,
		DefaultDownAfter:       30 * time.Second,
		DefaultFailoverTimeout: 180 * time.Second,
		TiltTrigger:            2 * time.Second,
		TiltPeriod:             30 * time.Second,
		SlaveReconfTimeout:     10 * time.Second,
		MinLinkReconnectPeriod: 15 * time.Second,
		ElectionTimeout:        10 * time.Second,
		ScriptMaxRuntime:       60 * time.Second,
		ScriptRetryDelay:       30 * time.Second,
		MaxDesync:              time.Second,
	}
}

// Setting is one name/value pair of SENTINEL SET, SENTINEL DEBUG or
// SENTINEL CONFIG SET, as the client sent it.
type Setting struct {
	Name  string
	Value string
}

// CommandError is an operator command refused by the core. Error() is the
// RESP error text without the leading '-', e.g. "ERR No such master with
// that name", "INPROG Failover already in progress", "NOGOODSLAVE No
// suitable replica to promote".
type CommandError struct {
	Code string
	Msg  string
}

func (e *CommandError) Error() string { return e.Code + " " + e.Msg }

// IsMasterDownRequest is SENTINEL IS-MASTER-DOWN-BY-ADDR's arguments.
type IsMasterDownRequest struct {
	Addr         Addr
	CurrentEpoch uint64
	RunID        string // "*" or the requesting sentinel's run id
	// ClientName is the asking connection's CLIENT SETNAME, if any.
	// Sentinels name their links "sentinel-<first 8 of run id>-cmd", which
	// tells us who asks when RunID is "*".
	ClientName string
}

// IsMasterDownReply is the 3-element reply: [down, leader-runid|"*", leader-epoch].
type IsMasterDownReply struct {
	Down        bool
	Leader      string
	LeaderEpoch uint64
	// Master names the master asked about (not on the wire; empty when
	// the address is no master of ours): a driver that records votes
	// durably records them by name.
	Master string
}
