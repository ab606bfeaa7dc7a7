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
	f, err := await(ctx, n, "members", n.raft.GetConfiguration, notLeader...)
	if err != nil {
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
	_, err := await(ctx, n, "add voter", func() raft.IndexFuture {
		return n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, timeoutFor(ctx, n.timing.ApplyTimeout))
	}, notLeader...)
	return err
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
	_, err := await(ctx, n, "remove server", func() raft.IndexFuture {
		return n.raft.RemoveServer(raft.ServerID(id), 0, timeoutFor(ctx, n.timing.ApplyTimeout))
	}, notLeader...)
	return err
}

// notLeader are the raft errors that mean this node is not (or no longer)
// the leader, for operations whose outcome that settles: membership
// changes, reads, snapshots, barriers. propose counts raft.ErrNotLeader
// alone: a command whose leader was deposed while committing it may still
// commit.
var notLeader = []error{raft.ErrNotLeader, raft.ErrLeadershipLost}

// timeoutFor is how long raft may take over an operation: what is left of
// ctx, or def when ctx has no deadline.
func timeoutFor(ctx context.Context, def time.Duration) time.Duration {
	if deadline, ok := ctx.Deadline(); ok {
		return max(time.Until(deadline), time.Millisecond)
	}
	return def
}

// await starts a raft operation and waits for its future. The waiter is
// registered with Close before start runs, so Close lets it finish before
// raft shuts down; when ctx ends first the outcome is unknown (the
// operation may still happen). Every error names op; a future error that
// is one of notLeaderErrs also wraps ErrNotLeader.
func await[F raft.Future](ctx context.Context, n *Node, op string, start func() F, notLeaderErrs ...error) (F, error) {
	var none F
	if err := ctx.Err(); err != nil {
		return none, fmt.Errorf("raftmode: %s: %w", op, err)
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return none, fmt.Errorf("raftmode: %s: %w", op, ErrNodeClosed)
	}
	n.wg.Add(1)
	n.mu.Unlock()
	f := start() // outside the lock: raft may block in it up to its timeout
	done := make(chan error, 1)
	// raft completes every future, at the latest on shutdown, so this
	// waiter always ends; Close waits for it.
	go func() {
		defer n.wg.Done()
		done <- f.Error()
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return none, fmt.Errorf("raftmode: %s: outcome unknown: %w", op, ctx.Err())
	}
	if err == nil {
		return f, nil
	}
	for _, nl := range notLeaderErrs {
		if errors.Is(err, nl) {
			return none, fmt.Errorf("raftmode: %s: %w: %w", op, ErrNotLeader, err)
		}
	}
	return none, fmt.Errorf("raftmode: %s: %w", op, err)
}

// Snapshot makes raft take a snapshot now (raft also takes them by itself,
// every SnapshotThreshold entries); the log before it is compacted down to
// TrailingLogs entries. A restarted node restores the latest snapshot
// before it replays the rest of its log.
func (n *Node) Snapshot(ctx context.Context) error {
	_, err := await(ctx, n, "snapshot", n.raft.Snapshot, notLeader...)
	return err
}
