package raftmode

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Membership changes at run time. Raft applies them one at a time as
// configuration entries; a change needs the current majority, so adding a
// fourth voter to three, or removing one of four, never loses the quorum
// of a healthy group. Only the leader may change the membership.

// Members returns the current voter set (the latest configuration,
// committed or not).
func (n *Node) Members(ctx context.Context) ([]Peer, error) {
	f := n.raft.GetConfiguration()
	if err := n.await(ctx, "members", f); err != nil {
		return nil, err
	}
	var out []Peer
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			out = append(out, Peer{ID: string(s.ID), Addr: string(s.Address)})
		}
	}
	return out, nil
}

// AddVoter adds (or re-addresses) a voter. The new node must be running
// with an empty data directory and bootstrap off; it receives the log (or
// a snapshot) from the leader.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	if id == "" || addr == "" {
		return &RejectedError{Op: "add voter", Reason: RejectInvalid, Detail: fmt.Sprintf("need an id and an address (id %q, addr %q)", id, addr)}
	}
	if n.raft.State() != raft.Leader {
		return fmt.Errorf("raftmode: add voter: %w", ErrNotLeader)
	}
	f := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, n.opTimeout(ctx))
	return n.await(ctx, "add voter", f)
}

// RemoveServer removes a member. Removing the leader itself is allowed: it
// steps down once the change commits, and the others elect a new one.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	if id == "" {
		return &RejectedError{Op: "remove server", Reason: RejectInvalid, Detail: "empty id"}
	}
	if n.raft.State() != raft.Leader {
		return fmt.Errorf("raftmode: remove server: %w", ErrNotLeader)
	}
	f := n.raft.RemoveServer(raft.ServerID(id), 0, n.opTimeout(ctx))
	return n.await(ctx, "remove server", f)
}

// opTimeout is how long raft may take to enqueue an operation.
func (n *Node) opTimeout(ctx context.Context) time.Duration {
	if deadline, ok := ctx.Deadline(); ok {
		return max(time.Until(deadline), time.Millisecond)
	}
	return n.timing.ApplyTimeout
}

// await waits for a raft future as propose does: registered with Close,
// and given up (outcome unknown) when ctx ends first.
func (n *Node) await(ctx context.Context, op string, f raft.Future) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("raftmode: %s: %w", op, err)
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return fmt.Errorf("raftmode: %s: %w", op, ErrNodeClosed)
	}
	n.wg.Add(1)
	n.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		defer n.wg.Done()
		done <- f.Error()
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return fmt.Errorf("raftmode: %s: outcome unknown: %w", op, ctx.Err())
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("raftmode: %s: %w: %w", op, ErrNotLeader, err)
	default:
		return fmt.Errorf("raftmode: %s: %w", op, err)
	}
}

// Snapshot makes raft take a snapshot now (raft also takes them by itself,
// every SnapshotThreshold entries); the log before it is compacted down to
// TrailingLogs entries. A restarted node restores the latest snapshot
// before it replays the rest of its log.
func (n *Node) Snapshot(ctx context.Context) error {
	return n.await(ctx, "snapshot", n.raft.Snapshot())
}
