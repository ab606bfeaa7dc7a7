package monitor

import (
	"net"
	"strconv"
	"time"
)

// Addr is a network endpoint of a data node or a sentinel, as Sentinel
// names it on the wire (an IP address or, with resolve-hostnames, a name).
type Addr struct {
	Host string
	Port int
}

// String renders the address as "host:port" (IPv6 hosts in brackets).
func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// formatAddrPort renders "host port", as event payloads spell addresses.
func formatAddrPort(a Addr) string { return a.Host + " " + strconv.Itoa(a.Port) }

// IsZero reports whether the address is unset.
func (a Addr) IsZero() bool { return a.Host == "" && a.Port == 0 }

// Role is what a data node says it is in INFO replication.
type Role uint8

// Roles reported by data nodes.
const (
	RoleUnknown Role = iota
	RoleMaster
	RoleReplica
)

// String returns the wire word used in INFO and in SENTINEL replies.
func (r Role) String() string {
	switch r {
	case RoleMaster:
		return "master"
	case RoleReplica:
		return "slave"
	default:
		return "unknown"
	}
}

// ReplyKind classifies the reply a data node or peer gave to a probe. The core
// never sees an error value, only this enum.
type ReplyKind uint8

// Reply classes, in the terms of sentinelPingReplyCallback.
const (
	ReplyPong       ReplyKind = iota // +PONG (or any other simple-string reply to PING)
	ReplyLoading                     // -LOADING: valid, the node is alive
	ReplyMasterDown                  // -MASTERDOWN: valid, the node is alive
	ReplyBusy                        // -BUSY: a script is running; alive but not valid
	ReplyTimeout                     // no reply within the deadline
	ReplyConnErr                     // could not connect, or the connection broke
	ReplyOther                       // any other error reply
)

// String names the reply kind for logs and test scripts.
func (k ReplyKind) String() string {
	switch k {
	case ReplyPong:
		return "pong"
	case ReplyLoading:
		return "loading"
	case ReplyMasterDown:
		return "masterdown"
	case ReplyBusy:
		return "busy"
	case ReplyTimeout:
		return "timeout"
	case ReplyConnErr:
		return "connerr"
	default:
		return "other"
	}
}

// Valid reports whether Sentinel counts the reply as the instance being
// available (PONG, LOADING and MASTERDOWN do; everything else does not).
func (k ReplyKind) Valid() bool {
	return k == ReplyPong || k == ReplyLoading || k == ReplyMasterDown
}

// Connected reports whether the reply proves the link is up (any answer,
// even an error, does; a timeout or connection error does not).
func (k ReplyKind) Connected() bool { return k != ReplyTimeout && k != ReplyConnErr }

// NodeInfo is the part of a data node's INFO that Sentinel acts on. datanode
// parses it; the core consumes it. Missing fields keep their zero value.
type NodeInfo struct {
	RunID  string        // run_id
	Role   Role          // role
	Uptime time.Duration // uptime_in_seconds

	// Master side: the replicas listed as slaveN lines.
	Replicas []ReplicaLine

	// Replica side.
	MasterHost          string        // master_host
	MasterPort          int           // master_port
	MasterLinkUp        bool          // master_link_status:up
	MasterLinkDownSince time.Duration // master_link_down_since_seconds (0 when the link is up)
	ReplicaPriority     int           // slave_priority (Redis default 100)
	ReplicaReplOffset   int64         // slave_repl_offset
	ReplicaAnnounced    bool          // replica_announced (default true when absent)
	MasterReplOffset    int64         // master_repl_offset
}

// ReplicaLine is one slaveN line of a master's INFO replication section.
type ReplicaLine struct {
	Addr   Addr
	State  string // online, wait_bgsave, send_bulk
	Offset int64
	Lag    int64
}

// Hello is the 8-field message sentinels publish on __sentinel__:hello:
// sentinel_ip,sentinel_port,sentinel_runid,current_epoch,master_name,master_ip,master_port,master_config_epoch.
type Hello struct {
	SentinelAddr      Addr
	RunID             string
	CurrentEpoch      uint64
	MasterName        string
	MasterAddr        Addr
	MasterConfigEpoch uint64
}

// Level is the verbosity of a Sentinel event, as in sentinelEvent.
type Level uint8

// Event levels. Everything but Debug is published; Warning events with an
// instance also run the notification script.
const (
	LevelDebug Level = iota
	LevelVerbose
	LevelNotice
	LevelWarning
)

// InstanceKind is the kind of instance an event is about.
type InstanceKind uint8

// Instance kinds.
const (
	KindMaster InstanceKind = iota
	KindReplica
	KindSentinel
)

// String returns the wire word of the kind (master, slave, sentinel).
func (k InstanceKind) String() string {
	switch k {
	case KindMaster:
		return "master"
	case KindReplica:
		return "slave"
	default:
		return "sentinel"
	}
}

// InstanceRef names the instance an event is about, enough to render
// Sentinel's "%@" instance details.
type InstanceRef struct {
	Kind       InstanceKind
	Name       string // master name, or "ip:port" for replicas, or the run id... as Sentinel names them
	Addr       Addr
	MasterName string // for replicas and sentinels: the master they belong to
	MasterAddr Addr
}

// Event is one Sentinel event: logged, published on the channel named Type,
// and handed to notify when its level is Warning.
type Event struct {
	Type     string       // channel name, e.g. "+sdown", "+switch-master"
	Level    Level        //
	Instance *InstanceRef // nil for events with a custom payload (e.g. +switch-master, +new-epoch)
	Extra    string       // text after the instance details, or the whole payload when Instance is nil
	// Master names the master a custom-payload event concerns (+new-epoch,
	// +vote-for-leader, +switch-master), so its notification-script runs
	// as in Redis; empty for events about no master (+tilt).
	Master string
	// Detail explains the event in the log only; it is never published
	// (the payload stays Redis's). +tilt carries its cause here.
	Detail string
}

// MasterName returns the master the event concerns, or "".
func (e Event) MasterName() string {
	if in := e.Instance; in != nil {
		if in.Kind == KindMaster {
			return in.Name
		}
		return in.MasterName
	}
	return e.Master
}

// Payload renders the message exactly as sentinelEvent does: for an
// instance, "<kind> <name> <ip> <port>" plus " @ <master> <ip> <port>" for
// non-masters, then " <extra>" when set.
func (e Event) Payload() string {
	if e.Instance == nil {
		return e.Extra
	}
	in := e.Instance
	s := in.Kind.String() + " " + in.Name + " " + formatAddrPort(in.Addr)
	if in.Kind != KindMaster {
		s += " @ " + in.MasterName + " " + formatAddrPort(in.MasterAddr)
	}
	if e.Extra != "" {
		s += " " + e.Extra
	}
	return s
}
