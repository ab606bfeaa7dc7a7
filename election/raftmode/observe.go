package raftmode

import (
	"context"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// Stats is what an operator needs to see of this node's raft (on /metrics
// and /status).
type Stats struct {
	State        string // Follower, Candidate, Leader, Shutdown
	Term         uint64
	LeaderID     string
	LeaderAddr   string
	LastLogIndex uint64
	CommitIndex  uint64
	AppliedIndex uint64
	// LastContact is the time since the leader was last heard from: 0 on
	// the leader itself, -1 when never.
	LastContact time.Duration
	// Voters is the size of the current configuration's voter set.
	Voters int
}

// Stats reads raft's counters. It never blocks on the raft loop for long:
// hashicorp/raft serves Stats from its own state under a lock.
func (n *Node) Stats() Stats {
	raw := n.raft.Stats()
	num := func(key string) uint64 {
		v, _ := strconv.ParseUint(raw[key], 10, 64)
		return v
	}
	st := Stats{
		State:        n.raft.State().String(),
		Term:         num("term"),
		LastLogIndex: num("last_log_index"),
		CommitIndex:  num("commit_index"),
		AppliedIndex: num("applied_index"),
		LastContact:  -1,
		Voters:       int(num("num_peers")) + 1,
	}
	st.LeaderID, st.LeaderAddr = n.Leader()
	switch lc := raw["last_contact"]; {
	case st.State == raft.Leader.String():
		st.LastContact = 0
	case lc == "never" || lc == "":
	default:
		if d, err := time.ParseDuration(lc); err == nil {
			st.LastContact = d
		}
	}
	return st
}

// Applied signals, without blocking raft, that the replicated state may
// have changed (a command applied or a snapshot restored). Several changes
// may share one signal: read State after each.
func (n *Node) Applied() <-chan struct{} { return n.fsm.applied }

// Barrier waits until every entry committed before it is applied on this
// node, the leader; elsewhere it fails with ErrNotLeader.
func (n *Node) Barrier(ctx context.Context) error {
	_, err := await(ctx, n, "barrier", func() raft.Future {
		return n.raft.Barrier(timeoutFor(ctx, n.timing.BarrierTimeout))
	}, notLeader...)
	return err
}
