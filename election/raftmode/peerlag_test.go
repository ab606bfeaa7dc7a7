package raftmode

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestRaftPeerTrackerRecord(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := newPeerTracker(func() time.Time { return now })
	tr.record("a", 2, true, 5)
	tr.record("a", 2, true, 3) // an older ack never lowers the match
	if m, c := tr.get("a", 2); m != 5 || !c.Equal(now) {
		t.Fatalf("term 2: match %d contact %v", m, c)
	}
	now = now.Add(time.Second)
	tr.record("a", 2, false, 0) // an error: no contact
	if _, c := tr.get("a", 2); !c.Equal(time.Unix(1000, 0)) {
		t.Fatalf("an unanswered RPC moved the contact to %v", c)
	}
	tr.record("a", 3, false, 0) // a new term starts from nothing
	if m, c := tr.get("a", 3); m != 0 || !c.IsZero() {
		t.Fatalf("term 3: match %d contact %v", m, c)
	}
	tr.record("a", 2, true, 9) // a late answer of term 2 is ignored
	if m, c := tr.get("a", 3); m != 0 || !c.IsZero() {
		t.Fatalf("a late answer changed term 3: match %d contact %v", m, c)
	}
	if m, _ := tr.get("a", 2); m != 0 {
		t.Fatal("term 2 still readable after term 3")
	}
}

// TestRaftPeersProgress: the leader reports each follower's acknowledged
// index and last contact; a follower cut off falls behind (its lag grows
// with every entry, its last contact ages), and catches up after the heal.
// Followers report no peers.
func TestRaftPeersProgress(t *testing.T) {
	c := newTestCluster(t, 3)
	addMaster(t, c, "mymaster")
	// The view of whichever node leads now (leadership may move on a
	// loaded machine with 50 ms timeouts; a new leader starts every peer
	// from nothing).
	peerOf := func(among []*Node, id string) (PeerStats, *Node) {
		leader := c.leader(t, among...)
		for _, p := range leader.Peers() {
			if p.ID == id {
				return p, leader
			}
		}
		return PeerStats{}, leader
	}
	caughtUp := func(id string) bool {
		p, leader := peerOf(nil, id)
		return p.Lag == 0 && p.MatchIndex == leader.Stats().LastLogIndex && p.LastContact >= 0 && p.LastContact < time.Second && p.Suffrage == "Voter"
	}
	leader := c.leader(t)
	for _, n := range c.nodes {
		if n == leader {
			continue
		}
		eventually(t, 5*time.Second, n.id+" caught up in the leader's view", func() bool { return caughtUp(n.id) })
		if ps := n.Peers(); ps != nil && !n.IsLeader() {
			t.Fatalf("follower %s reports peers %+v", n.id, ps)
		}
	}
	if l := c.leader(t); len(l.Peers()) != 2 {
		t.Fatalf("leader peers %+v", l.Peers())
	}

	cut := c.nodes[0]
	if cut == c.leader(t) {
		cut = c.nodes[1]
	}
	var rest []*Node
	for _, n := range c.nodes {
		if n != cut {
			rest = append(rest, n)
		}
	}
	c.isolate(c.index(cut))
	ctx := ctxWithTimeout(t, 10*time.Second)
	for e := uint64(1); e <= 3; e++ {
		if err := c.onLeader(t, rest, func(n *Node) error {
			_, err := n.RequestLease(ctx, "mymaster", e, time.Millisecond)
			return err
		}); err != nil {
			t.Fatalf("lease %d: %v", e, err)
		}
	}
	var behind PeerStats
	eventually(t, 5*time.Second, cut.id+" behind", func() bool {
		behind, _ = peerOf(rest, cut.id)
		return behind.Lag >= 3 && (behind.LastContact < 0 || behind.LastContact > 100*time.Millisecond)
	})
	t.Logf("cut-off peer: %+v", behind)
	c.heal()
	eventually(t, 5*time.Second, cut.id+" caught up after the heal", func() bool { return caughtUp(cut.id) })
}

// TestRaftTrackingTransportPassesThrough: the wrapper keeps the inner
// transport's pre-vote and close.
func TestRaftTrackingTransportPassesThrough(t *testing.T) {
	_, inner := raft.NewInmemTransport("a")
	var tr raft.Transport = &trackingTransport{Transport: inner, t: newPeerTracker(time.Now)}
	if _, ok := tr.(raft.WithPreVote); !ok {
		t.Fatal("no pre-vote")
	}
	if err := tr.(raft.WithClose).Close(); err != nil {
		t.Fatal(err)
	}
}
