package monitor

import "time"

// Input is something that happened, stamped with the time it happened. The
// driver (monitor/supervisor) feeds inputs to Core.Step in arrival order.
type Input interface {
	at() time.Time
	isInput()
}

// Tick is the periodic timer input (Sentinel's sentinelTimer, 10–19 Hz).
type Tick struct{ At time.Time }

// PingResult is the outcome of a Ping action.
type PingResult struct {
	At     time.Time
	Target Addr
	Kind   ReplyKind
}

// InfoResult is the outcome of an Info action. Info is set when Kind is
// ReplyPong (meaning: a reply that parsed); Raw is the INFO text kept for
// SENTINEL INFO-CACHE.
type InfoResult struct {
	At     time.Time
	Target Addr
	Kind   ReplyKind
	Info   NodeInfo
	Raw    string
}

// HelloReceived is a hello message seen on a data node's
// __sentinel__:hello channel, or PUBLISHed to us directly by a peer.
type HelloReceived struct {
	At    time.Time
	Via   Addr // the data node (or our own port) it arrived through
	Hello Hello
}

// PeerReply is a peer's answer to SENTINEL IS-MASTER-DOWN-BY-ADDR. Kind is
// not ReplyPong when the request failed (then the other fields are zero).
type PeerReply struct {
	At          time.Time
	Master      string
	Peer        string // run id of the peer we asked
	Kind        ReplyKind
	Down        bool
	LeaderRunID string // "*" when the reply carries no vote
	LeaderEpoch uint64
}

// FailoverRefused says a master answered FailoverTo with an error (FAILOVER
// renamed away, unknown, or refused): nothing changed on the data nodes.
type FailoverRefused struct {
	At     time.Time
	Target Addr
	Master string
	Reason string
}

// PromotionNotSent says a promotion (ReplicaOf with NoOne, or FailoverTo)
// carrying a NotAfter was dropped unsent because that moment had passed
// before the command reached the data node: nothing changed there. Target
// is the node the command was for.
type PromotionNotSent struct {
	At     time.Time
	Target Addr
	Master string
}

// LinkBroken says a data node's pub/sub link broke (EOF or reset, not a
// close of ours) at At: from that instant nothing proves the node alive, so
// SDOWN may count down-after from it, the way it counts from the oldest
// unanswered PING. A valid reply afterwards clears it as usual.
type LinkBroken struct {
	At     time.Time
	Target Addr
}

func (i Tick) at() time.Time             { return i.At }
func (i PingResult) at() time.Time       { return i.At }
func (i InfoResult) at() time.Time       { return i.At }
func (i HelloReceived) at() time.Time    { return i.At }
func (i PeerReply) at() time.Time        { return i.At }
func (i LinkBroken) at() time.Time       { return i.At }
func (i FailoverRefused) at() time.Time  { return i.At }
func (i PromotionNotSent) at() time.Time { return i.At }

func (Tick) isInput()             {}
func (PingResult) isInput()       {}
func (InfoResult) isInput()       {}
func (HelloReceived) isInput()    {}
func (PeerReply) isInput()        {}
func (LinkBroken) isInput()       {}
func (FailoverRefused) isInput()  {}
func (PromotionNotSent) isInput() {}

// Action is something the driver must do. Every action names its target;
// results come back as inputs. The driver never blocks the owner loop to
// perform one.
type Action interface{ isAction() }

// Watch asks the driver to open (or keep) the links of an instance: a
// command link for data nodes and sentinels, plus a pub/sub link subscribed
// to __sentinel__:hello for data nodes. Sent once when an instance becomes
// known; Master names the group it belongs to (for credentials).
type Watch struct {
	Target Addr
	Kind   InstanceKind
	Master string
}

// Unwatch asks the driver to close the links of an instance no longer
// known to any master.
type Unwatch struct {
	Target Addr
}

// Ping sends PING on the command link.
type Ping struct {
	Target Addr
	Master string
}

// Info sends INFO on a data node's command link.
type Info struct {
	Target Addr
	Master string
}

// PublishHello publishes a hello on a data node (PUBLISH __sentinel__:hello)
// or to a peer sentinel (the same command on its port).
//
// WithPing says the Ping that follows it for the same target, in the same
// Ready, may carry it: a driver that can send both in one write (datanode
// pipelines PING and PUBLISH on the PING lane) does; any other driver
// publishes it as usual.
type PublishHello struct {
	Target   Addr
	Master   string
	Hello    Hello
	WithPing bool
}

// AskPeer sends SENTINEL IS-MASTER-DOWN-BY-ADDR to one peer. RunID is "*"
// to ask only for the down state, or our run id to ask for a vote too.
type AskPeer struct {
	Peer       Addr
	PeerRunID  string
	Master     string
	MasterAddr Addr
	Epoch      uint64
	RunID      string
}

// ReplicaOf sends the MULTI; REPLICAOF; CONFIG REWRITE; CLIENT KILL TYPE
// normal; CLIENT KILL TYPE pubsub; EXEC transaction. NoOne promotes.
type ReplicaOf struct {
	Target    Addr
	Master    string
	NoOne     bool
	NewMaster Addr
	// NotAfter, when set, is the last moment the command may be written to
	// the node; later it is dropped and PromotionNotSent reported. The core
	// never sets it: raft mode's driver does, for promotions, because a
	// leader's right to promote is only proven for a short while after it
	// last heard from a quorum (docs/decisions/0003, rule 4).
	NotAfter time.Time
}

// FailoverTo asks a reachable master to hand over to one of its replicas
// itself (the data node's FAILOVER TO <host> <port> TIMEOUT <ms>): it pauses
// writes, waits until the replica has every byte, demotes itself and has
// the replica take over, so no acknowledged write is lost. Sent for
// SENTINEL FAILOVER <name> COORDINATED instead of REPLICAOF NO ONE.
type FailoverTo struct {
	Target  Addr // the master
	Master  string
	To      Addr // the replica that takes over
	Timeout time.Duration
	// NotAfter: as ReplicaOf.NotAfter.
	NotAfter time.Time
}

// ScriptKill sends SCRIPT KILL to a master that answers -BUSY while SDOWN.
type ScriptKill struct {
	Target Addr
	Master string
}

// Reconnect closes and reopens an instance's links (link hygiene).
type Reconnect struct {
	Target Addr
	PubSub bool // only the pub/sub link
}

// FlushConfig persists the state (my id, epochs, votes, known replicas and
// sentinels). The driver does it before acting on anything else in the same
// Ready, so a vote is on disk before it is answered.
type FlushConfig struct{}

// RunClientReconfigScript runs client-reconfig-script with Redis's
// arguments: <master-name> <role> <state> <from-ip> <from-port> <to-ip> <to-port>.
type RunClientReconfigScript struct {
	Master string
	Role   string // "leader" or "observer"
	State  string // "start", "end" or "abort"
	From   Addr
	To     Addr
}

func (Watch) isAction()                   {}
func (Unwatch) isAction()                 {}
func (Ping) isAction()                    {}
func (Info) isAction()                    {}
func (PublishHello) isAction()            {}
func (AskPeer) isAction()                 {}
func (ReplicaOf) isAction()               {}
func (FailoverTo) isAction()              {}
func (ScriptKill) isAction()              {}
func (Reconnect) isAction()               {}
func (FlushConfig) isAction()             {}
func (RunClientReconfigScript) isAction() {}

// Ready is what the core produced since the last call to Ready.
type Ready struct {
	Actions []Action // in deterministic order
	Events  []Event  // in the order they happened
}
