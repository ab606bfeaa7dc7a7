package settings

import (
	"maps"
	"time"
)

// MasterSettings are one master's operator-set settings. The YAML names
// are the tags; sentinel.conf's directives and SENTINEL SET's options are
// the tables in configs/conf.go and monitor/operator.go. A zero timer or
// count means the default, which the loaders and the core fill in.
type MasterSettings struct {
	// Quorum is the number of sentinels that must agree the master is
	// down (CheckQuorum).
	Quorum int `yaml:"quorum"`
	// DownAfter is down-after-milliseconds (default 30s). YAML takes a Go
	// duration string ("5s", "1500ms"), never a bare number.
	DownAfter time.Duration `yaml:"down_after"`
	// FailoverTimeout is failover-timeout (default 3m).
	FailoverTimeout time.Duration `yaml:"failover_timeout"`
	// ParallelSyncs is parallel-syncs (default 1).
	ParallelSyncs int `yaml:"parallel_syncs"`
	// AuthUser and AuthPass authenticate us to the master and its replicas
	// (sentinel auth-user / auth-pass).
	AuthUser string `yaml:"auth_user,omitempty"`
	AuthPass Secret `yaml:"auth_pass,omitempty"`
	// NotificationScript runs on warning events (sentinel
	// notification-script).
	NotificationScript string `yaml:"notification_script,omitempty"`
	// ClientReconfigScript runs on a failover (sentinel
	// client-reconfig-script).
	ClientReconfigScript string `yaml:"client_reconfig_script,omitempty"`
	// RebootDownAfter is master-reboot-down-after-period (0: off).
	RebootDownAfter time.Duration `yaml:"master_reboot_down_after,omitempty"`
	// ForgetAfter forgets a replica or a sentinel of the master that has
	// been down (SDOWN, no valid PING reply) this long, under the rule in
	// docs/operations.md ("Forgetting"): never during a failover or TILT,
	// and a sentinel only while this one reaches a majority of all it
	// knows and the group stays at least the quorum (sentinel
	// forget-after, our own directive; 0, the default, never forgets, as
	// Redis).
	ForgetAfter time.Duration `yaml:"forget_after,omitempty"`
	// RenameCommands maps a command name to its renamed form on the data
	// nodes (sentinel rename-command).
	RenameCommands map[string]string `yaml:"rename_commands,omitempty"`
	// Fencing has the sentinels keep min-replicas-to-write and
	// min-replicas-max-lag set on the master (and cleared on its
	// replicas), so a master cut off from its replicas refuses writes
	// before the majority can promote one; and a sentinel without a
	// majority of its group stops naming the master to clients (sentinel
	// fencing, our own directive; off by default). docs/operations.md
	// has the trade-off.
	Fencing bool `yaml:"fencing,omitempty"`
	// TLS chooses how we reach this master and its replicas: "yes" with
	// TLS, "no" in plain TCP, "" as tls-replication says for every link
	// (sentinel tls <master> yes|no, our own directive: one sentinel can
	// watch TLS and plain masters, which Redis cannot).
	TLS string `yaml:"tls,omitempty"`
	// FencingSaved is state the sentinel keeps, not a setting to write by
	// hand: the operator's own min-replicas-to-write and
	// min-replicas-max-lag as the master had them before fencing first
	// changed them ("<n> <lag>", FencingValues), put back on every data
	// node when fencing is turned off; "" when nothing is saved (sentinel
	// fencing-saved).
	FencingSaved string `yaml:"fencing_saved,omitempty"`
}

// Clone returns a deep copy; an empty RenameCommands becomes nil.
func (s MasterSettings) Clone() MasterSettings {
	out := s
	out.RenameCommands = nil
	if len(s.RenameCommands) > 0 {
		out.RenameCommands = maps.Clone(s.RenameCommands)
	}
	return out
}
