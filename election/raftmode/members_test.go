package raftmode

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestRaftMembershipAddRemove adds a fourth voter to a running group (it
// receives the agreed state), removes one of the originals, and checks
// that the group still grants leases with the new membership.
func TestRaftMembershipAddRemove(t *testing.T) {
	c := newTestCluster(t, 3)
	addMaster(t, c, "m1")

	addr, tr := raft.NewInmemTransport("inmem-3")
	for _, other := range c.transports {
		other.Connect(addr, tr)
		tr.Connect(other.LocalAddr(), other)
	}
	c.transports = append(c.transports, tr)
	n4, err := NewNode(t.Context(), Options{
		ID: "n3", Dir: t.TempDir(), Logger: testLogger(t).With("node", "n3"),
		Timing: fastTiming, transport: tr,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n4.Close() })
	c.nodes = append(c.nodes, n4)

	ctx := ctxWithTimeout(t, 10*time.Second)
	if err := c.onLeader(t, c.nodes[:3], func(n *Node) error { return n.AddVoter(ctx, "n3", string(addr)) }); err != nil {
		t.Fatalf("AddVoter: %v", err)
	}
	eventually(t, 5*time.Second, "the new voter applies the agreed state", func() bool {
		_, ok := n4.State().Masters["m1"]
		return ok
	})
	members, err := n4.Members(ctx)
	if err != nil || len(members) != 4 {
		t.Fatalf("members after add = %v, %v", members, err)
	}

	// Remove a follower among the originals.
	leader := c.leader(t)
	var victim *Node
	for _, n := range c.nodes[:3] {
		if n != leader {
			victim = n
			break
		}
	}
	if err := c.onLeader(t, nil, func(n *Node) error { return n.RemoveServer(ctx, victim.ID()) }); err != nil {
		t.Fatalf("RemoveServer: %v", err)
	}
	eventually(t, 5*time.Second, "three voters left", func() bool {
		m, err := n4.Members(ctx)
		return err == nil && len(m) == 3 && !slices.ContainsFunc(m, func(p Peer) bool { return p.ID == victim.ID() })
	})
	if err := victim.Close(); err != nil {
		t.Fatal(err)
	}
	remaining := slices.DeleteFunc(slices.Clone(c.nodes), func(n *Node) bool { return n == victim })
	err = c.onLeader(t, remaining, func(n *Node) error {
		granted, err := n.RequestLease(ctx, "m1", 1, time.Minute)
		if err == nil && !granted {
			return errors.New("lease refused")
		}
		return err
	})
	if err != nil {
		t.Fatalf("lease after the membership changes: %v", err)
	}

	// Followers refuse membership changes.
	for _, n := range remaining {
		if n.IsLeader() {
			continue
		}
		if err := n.AddVoter(ctx, "x", "inmem-9"); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("AddVoter on a follower = %v", err)
		}
		if err := n.RemoveServer(ctx, "x"); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("RemoveServer on a follower = %v", err)
		}
	}
	if err := n4.AddVoter(ctx, "", "a"); !errors.Is(err, ErrRejected) {
		t.Fatalf("AddVoter without an id = %v", err)
	}
}

// TestRaftSnapshotRestore: a snapshot taken on a durable node restores the
// agreed state at the next start, before any leader confirms a commit.
func TestRaftSnapshotRestore(t *testing.T) {
	dir := t.TempDir()
	start := func() *Node { return startDurableSolo(t, dir) }
	ctx := ctxWithTimeout(t, 10*time.Second)
	n := start()
	eventually(t, 5*time.Second, "single node leads", n.IsLeader)
	if err := n.AddMaster(ctx, "mymaster", "127.0.0.1:6379", 0); err != nil {
		t.Fatal(err)
	}
	if granted, err := n.RequestLease(ctx, "mymaster", 2, time.Minute); err != nil || !granted {
		t.Fatalf("lease: %v %v", granted, err)
	}
	if err := n.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 2); err != nil {
		t.Fatal(err)
	}
	if err := n.Snapshot(ctx); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Snapshot(ctx); !errors.Is(err, ErrNodeClosed) {
		t.Fatalf("Snapshot after Close = %v", err)
	}
	again := start()
	// Restored from the snapshot at start, not replayed after an election.
	m := again.State().Masters["mymaster"]
	if m.Addr != "127.0.0.1:6380" || m.ConfigEpoch != 2 || m.Lease.Epoch != 2 || again.State().HighestEpoch != 2 {
		t.Fatalf("state after restart from the snapshot: %+v", again.State())
	}
}
