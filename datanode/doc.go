// Package datanode owns every network link from this sentinel to the
// instances it supervises: the data nodes (masters and replicas, reached
// through github.com/redis/go-redis/v9) and the peer sentinels.
//
// It turns monitor.Action values (Watch, Ping, Info, PublishHello, AskPeer,
// ReplicaOf, FailoverTo, ScriptKill, SetFencing, ReadFencing, DropClients,
// Reconnect, Unwatch) into commands on the wire and turns what comes back
// into monitor.Input values (PingResult, InfoResult, HelloReceived,
// PeerReply, LinkBroken, FencingResult, FailoverRefused, Resolved,
// SubscribeResult) handed to an injected Deliver function. The core never
// sees an error value: Classify maps every error to a
// monitor.ReplyKind, and ParseInfo turns INFO text into a monitor.NodeInfo.
//
// What it must never do: decide anything. It does not schedule probes, mark
// instances down, pick replicas or retry on its own; the core decides when to
// act and this package only executes, one PING in flight per target, each
// command answered within its own deadline, with go-redis retries switched
// off so that no failure is hidden from the detector. It never blocks its caller: Do
// queues into bounded per-target queues whose overflow is coalesced or
// dropped and counted. It never logs secrets.
//
// Links, like Sentinel's instanceLink: per data node a probe link of our
// own for its PINGs and the hellos riding with them (probelink.go, one
// write and one read per PING, decisions/0006), one go-redis command
// client on one connection for everything else (so a PING never waits
// behind INFO or a failover transaction), and one pub/sub link subscribed
// to __sentinel__:hello; per peer sentinel only the command client, on one
// connection (its commands take turns, as on Redis's one link). Every
// link uses RESP2, no retries, one dial attempt, explicit timeouts, our own
// AUTH and CLIENT SETNAME (sentinel-<id8>-cmd / -pubsub) so rename-command
// applies to them, and no CLIENT SETINFO. rename-command also applies to
// the SUBSCRIBE and PING of the pub/sub link, which hellolink.go reads
// itself (docs/decisions/0005), and to the probe link's commands.
// A link that fails at the connection level is replaced by a fresh client,
// so a restarted node is reached on the very next command.
//
// Host names are resolved at every dial (Options.LookupHost, or the system
// resolver), never cached: a name that now points elsewhere is followed on
// the next connection, and one that does not resolve is a failed dial. The
// core keeps the name as the instance's identity and learns the IP each new
// command connection reached (monitor.Resolved, sent when it changes). How
// each attempt to subscribe the hello channel ends goes to the core too
// (monitor.SubscribeResult, when it changes): a refused AUTH, -NOAUTH,
// -NOPERM or a dead node makes the instance "disconnected", as in Redis.
//
// Hostile nodes: every byte read from a node passes a RESP2 validator
// (guardedConn, in front of go-redis through its Dialer) that enforces
// ReplyLimits — bytes per reply (8 MiB, which bounds INFO), elements per
// reply, nesting depth, line length — before go-redis sees a length header
// it would allocate for; a violation closes the link like a protocol error
// in Redis. Panics on link goroutines (go-redis asserts the shape of some
// pub/sub replies) are recovered into link errors. Each link is redialled
// with a backoff (immediate after a link that worked, then 250 ms, 500 ms,
// 1 s plus jitter), so no node is redialled faster than redis-sentinel
// would. A command that gets no reply in time is reported as a timeout but
// stays pending on its connection (lane.go), as in Redis's pipelined link:
// a node that accepts and never answers keeps its links until a command has
// been pending for half of down-after (at least 15 s), then they are
// redialled — two connections per 15 s, as redis-sentinel, not one per
// PING. A PING counts as answered only for PONG or a LOADING, MASTERDOWN
// or BUSY error, as in sentinelPingReplyCallback.
//
// Backpressure: Do never blocks. PINGs have a one-slot queue per target
// (one in flight, one waiting, the rest coalesce); the other actions share a
// bounded queue per target (Options.QueueSize) where a second queued Info
// coalesces and anything else that does not fit is dropped. Every drop is
// counted in sentinel_datanode_actions_dropped_total{action,reason}.
//
// Usage sketch:
//
//	p := datanode.New(datanode.Options{
//		Logger:     logger,
//		Registerer: registry,
//		MyID:       myID,
//		Deliver:    func(in monitor.Input) { inbox <- in },
//	})
//	go p.Run(ctx) // returns once ctx ends and every link goroutine has exited
//	p.Do(monitor.Watch{Target: addr, Kind: monitor.KindMaster, Master: "mymaster"})
//	p.Do(monitor.Ping{Target: addr, Master: "mymaster"})
package datanode
