package monitor

import "time"

// RaftPeerView is another sentinel of the raft group as this node sees it,
// for SENTINEL SENTINELS in raft mode (pubsub/format_raft.go).
type RaftPeerView struct {
	NodeID   string // its raft server ID
	Suffrage string // Voter, Nonvoter, Staging; empty: not in the configuration
	// MatchIndex is the highest log index it acknowledged to this node,
	// known only while this node leads (0 otherwise).
	MatchIndex uint64
	// LastContact is the time since this node last heard from it over
	// raft: its answer to the leader, or on a follower the leader's last
	// message; -1 when unknown.
	LastContact time.Duration
}
