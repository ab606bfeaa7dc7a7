package raftmode

import (
	"errors"
	"testing"
	"time"
)

// TestRaftObserve: Stats names one leader everywhere, Applied signals a
// follower when a command applies, and Barrier works on the leader only.
func TestRaftObserve(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.leader(t)
	eventually(t, 5*time.Second, "every node knows the leader", func() bool {
		for _, n := range c.nodes {
			st := n.Stats()
			if st.LeaderID != leader.ID() || st.Term == 0 || st.Voters != 3 {
				return false
			}
		}
		return true
	})
	if st := leader.Stats(); st.State != "Leader" || st.LastContact != 0 {
		t.Fatalf("leader stats = %+v", st)
	}
	var follower *Node
	for _, n := range c.nodes {
		if n != leader {
			follower = n
		}
	}
	// Drain a signal left by earlier entries, then apply one more.
	select {
	case <-follower.Applied():
	default:
	}
	addMaster(t, c, "m1")
	select {
	case <-follower.Applied():
	case <-time.After(5 * time.Second):
		t.Fatal("no Applied signal on the follower after AddMaster")
	}
	if _, ok := follower.State().Masters["m1"]; !ok {
		t.Fatal("follower signalled but has not applied m1")
	}
	if st := follower.Stats(); st.State != "Follower" || st.AppliedIndex == 0 || st.CommitIndex < st.AppliedIndex || st.LastContact < 0 {
		t.Fatalf("follower stats = %+v", st)
	}

	ctx := ctxWithTimeout(t, 5*time.Second)
	if err := c.onLeader(t, nil, func(n *Node) error { return n.Barrier(ctx) }); err != nil {
		t.Fatalf("Barrier on the leader: %v", err)
	}
	if err := follower.Barrier(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("Barrier on a follower = %v, want ErrNotLeader", err)
	}
	if err := follower.Close(); err != nil {
		t.Fatal(err)
	}
	if err := follower.Barrier(ctx); !errors.Is(err, ErrNodeClosed) {
		t.Fatalf("Barrier after Close = %v, want ErrNodeClosed", err)
	}
}
