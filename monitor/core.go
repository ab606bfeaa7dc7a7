package monitor

import (
	"math/rand/v2"
	"time"
)

// Core is the deterministic Sentinel state machine. Not safe for concurrent
// use: one goroutine (monitor/supervisor) owns it.
//
// STUB: the method set below is the contract with the supervisor; the
// bodies are being written.
type Core struct {
	cfg Config
	rng *rand.Rand
}

// New builds a core from its configuration. rng supplies all randomness
// (the failover start desync); the caller seeds it.
func New(cfg Config, rng *rand.Rand) (*Core, error) { return &Core{cfg: cfg, rng: rng}, nil }

// Step feeds one input. The error is only for malformed input.
func (c *Core) Step(in Input) error { return nil }

// Ready drains the actions and events produced since the last call.
func (c *Core) Ready() Ready { return Ready{} }

// Snapshot returns a deep copy of the state at time at.
func (c *Core) Snapshot(at time.Time) *Snapshot { return &Snapshot{At: at, MyID: c.cfg.MyID} }

// Monitor starts watching a new master (SENTINEL MONITOR); emits +monitor.
func (c *Core) Monitor(at time.Time, m MasterConfig) error { return nil }

// Remove stops watching a master (SENTINEL REMOVE); emits -monitor.
func (c *Core) Remove(at time.Time, name string) error { return nil }

// Set changes a master's settings (SENTINEL SET); emits +set per option.
func (c *Core) Set(at time.Time, name string, settings []Setting) error { return nil }

// Reset forgets replicas, sentinels and failover state of the masters whose
// name matches the glob pattern (SENTINEL RESET); returns how many.
func (c *Core) Reset(at time.Time, pattern string) int { return 0 }

// Failover forces a failover without agreement (SENTINEL FAILOVER).
func (c *Core) Failover(at time.Time, name string) error { return nil }

// CKQuorum reports the usable sentinels (SENTINEL CKQUORUM), or a
// CommandError with code NOQUORUM.
func (c *Core) CKQuorum(at time.Time, name string) (usable int, err error) { return 0, nil }

// IsMasterDownByAddr answers a peer's SENTINEL IS-MASTER-DOWN-BY-ADDR,
// casting a vote when asked. Any vote or epoch change is followed by a
// FlushConfig action in Ready, which the driver performs before replying.
func (c *Core) IsMasterDownByAddr(at time.Time, req IsMasterDownRequest) IsMasterDownReply {
	return IsMasterDownReply{Leader: "*"}
}

// Debug overrides timers by their SENTINEL DEBUG names.
func (c *Core) Debug(settings []Setting) error { return nil }

// DebugValues lists the timers as SENTINEL DEBUG prints them, in its order.
func (c *Core) DebugValues() []Setting { return nil }
