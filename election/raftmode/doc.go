// Package raftmode owns Sentinel's opt-in raft election mode (DESIGN.md D2):
// the sentinels form one hashicorp/raft group with a static peer list, and the
// decisions that must be agreed on — who holds the failover lease for a
// (master, epoch), and which address and config epoch a master has — are
// entries in the raft log.
//
// The package has three layers:
//
//   - state.go: the replicated state and its apply function. apply is pure:
//     it never reads the clock (times are stamped into commands by the
//     proposer), does no I/O and never calls raft, so every replica applies
//     the same bytes to the same result. Unknown non-ignorable commands panic
//     (crash rather than diverge, as Consul's FSM does).
//   - fsm.go and store.go: the raft.FSM wrapper and the durable stores:
//     raft-boltdb's BoltStore as LogStore and StableStore, raft's
//     FileSnapshotStore for snapshots (docs/decisions/0002-raft-storage-boltdb.md).
//   - node.go: the wiring (transport, stores, bootstrap, NotifyCh) and the
//     small API meant for the owner loop: Leadership, RequestLease,
//     CommitSwitch, State; members.go and observe.go for membership,
//     snapshots and counters, recover.go for rewriting a stopped node's
//     state after the group lost a majority for good.
//
// monitor/supervisor/raft.go drives a Node in a running sentinel
// (election: {mode: raft}); cmd/sentinel's raft-recover calls Recover.
//
// What it must never do: act on a data node (failover actions belong to the
// core and datanode), put per-ping opinions in the log (those travel through
// is-master-down-by-addr), or let a non-leader propose. Raft makes decisions
// and configuration linearizable; it cannot stop asynchronous Redis
// replication from losing writes — only fencing does that.
package raftmode
