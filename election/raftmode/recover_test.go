package raftmode

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// startInmem starts node id of a group over an in-memory transport at
// "inmem-<id>", its log in dir.
func startInmem(t *testing.T, id, dir string, peers []Peer, bootstrap bool) (*Node, *raft.InmemTransport) {
	t.Helper()
	_, tr := raft.NewInmemTransport(raft.ServerAddress("inmem-" + id))
	n, err := NewNode(t.Context(), Options{
		ID: id, Peers: peers, Dir: dir, Logger: testLogger(t).With("node", id),
		Bootstrap: bootstrap, Timing: fastTiming, transport: tr,
	})
	if err != nil {
		t.Fatalf("NewNode %s: %v", id, err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n, tr
}

// TestRaftRecoverFromLostMajority: a three-node group agrees on a master
// and a switch, two nodes are lost for good, and the survivor, recovered
// as a group of one, leads again with the agreed state and can commit;
// a fresh node then joins it.
func TestRaftRecoverFromLostMajority(t *testing.T) {
	ids := []string{"n0", "n1", "n2"}
	var peers []Peer
	dirs := map[string]string{}
	for _, id := range ids {
		peers = append(peers, Peer{ID: id, Addr: "inmem-" + id})
		dirs[id] = t.TempDir()
	}
	var nodes []*Node
	var trs []*raft.InmemTransport
	for _, id := range ids {
		n, tr := startInmem(t, id, dirs[id], peers, true)
		nodes, trs = append(nodes, n), append(trs, tr)
	}
	for _, a := range trs {
		for _, b := range trs {
			if a != b {
				a.Connect(b.LocalAddr(), b)
			}
		}
	}
	c := &testCluster{nodes: nodes, transports: trs}
	ctx := ctxWithTimeout(t, 20*time.Second)
	addMaster(t, c, "mymaster")
	// With 50 ms timeouts leadership may move on a loaded machine: each
	// step runs on whichever node leads (a retry finds its own lease).
	if err := c.onLeader(t, nil, func(n *Node) error {
		granted, err := n.RequestLease(ctx, "mymaster", 3, 200*time.Millisecond)
		if err == nil && !granted && n.State().Masters["mymaster"].Lease.Epoch != 3 {
			return errors.New("lease for epoch 3 refused")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.onLeader(t, nil, func(n *Node) error { return n.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 3) }); err != nil {
		t.Fatal(err)
	}
	survivor := nodes[0]
	eventually(t, 5*time.Second, "the survivor applies the switch", func() bool {
		return survivor.State().Masters["mymaster"].ConfigEpoch == 3
	})
	for _, n := range nodes {
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// Refusals first: the new set must name this node, the directory must
	// hold state and must not be in use.
	self := Peer{ID: survivor.id, Addr: "inmem-" + survivor.id}
	if _, err := Recover(RecoverOptions{ID: survivor.id, Dir: dirs[survivor.id], Logger: testLogger(t), Peers: []Peer{{ID: "other", Addr: "x:1"}}}); err == nil || !strings.Contains(err.Error(), "include this node") {
		t.Fatalf("recover without this node: %v", err)
	}
	if _, err := Recover(RecoverOptions{ID: "n9", Dir: t.TempDir(), Logger: testLogger(t), Peers: []Peer{{ID: "n9", Addr: "inmem-n9"}}}); !errors.Is(err, ErrNoState) {
		t.Fatalf("recover of an empty directory: %v, want ErrNoState", err)
	}
	held, err := openStores(dirs[survivor.id], newHCLogger(testLogger(t), "raft"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Recover(RecoverOptions{ID: survivor.id, Dir: dirs[survivor.id], Logger: testLogger(t), Peers: []Peer{self}}); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("recover of a directory in use: %v, want ErrStoreLocked", err)
	}
	_ = held.Close()

	res, err := Recover(RecoverOptions{ID: survivor.id, Dir: dirs[survivor.id], Logger: testLogger(t), Peers: []Peer{self}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Previous) != 3 || res.LastIndex == 0 || res.State.Masters["mymaster"].Addr != "127.0.0.1:6380" || res.State.HighestEpoch != 3 {
		t.Fatalf("recover result %+v", res)
	}

	// Restarted alone (bootstrap on: it must be ignored), it leads a group
	// of one with the agreed state, and commits.
	again, atr := startInmem(t, survivor.id, dirs[survivor.id], peers, true)
	eventually(t, 5*time.Second, "the recovered node leads", again.IsLeader)
	if m := again.State().Masters["mymaster"]; m.Addr != "127.0.0.1:6380" || m.ConfigEpoch != 3 {
		t.Fatalf("agreed state after recovery: %+v", m)
	}
	if st := again.Stats(); st.Voters != 1 {
		t.Fatalf("voters after recovery: %d", st.Voters)
	}
	// Epoch 3's lease (held by a lost node) has expired: the next failover
	// gets a lease and commits its switch.
	eventually(t, 5*time.Second, "a lease for epoch 4", func() bool {
		granted, err := again.RequestLease(ctx, "mymaster", 4, time.Minute)
		return err == nil && granted
	})
	if err := again.CommitSwitch(ctx, "mymaster", "127.0.0.1:6381", 4); err != nil {
		t.Fatal(err)
	}

	// A fresh node (empty directory, no bootstrap) joins the recovered
	// group and receives the state.
	fresh, ftr := startInmem(t, "n3", t.TempDir(), nil, false)
	atr.Connect(ftr.LocalAddr(), ftr)
	ftr.Connect(atr.LocalAddr(), atr)
	if err := again.AddVoter(ctx, "n3", string(ftr.LocalAddr())); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the fresh node applies the agreed state", func() bool {
		m := fresh.State().Masters["mymaster"]
		return m.Addr == "127.0.0.1:6381" && m.ConfigEpoch == 4 && fresh.Stats().Voters == 2
	})
}

// TestRaftRecoverTwoSurvivorsOfFive: three of five voters are lost; the
// two survivors, recovered with the same new voter set, form a group of
// two that elects a leader, keeps the agreed state and commits.
func TestRaftRecoverTwoSurvivorsOfFive(t *testing.T) {
	var peers []Peer
	dirs := map[string]string{}
	for i := range 5 {
		id := fmt.Sprintf("n%d", i)
		peers = append(peers, Peer{ID: id, Addr: "inmem-" + id})
		dirs[id] = t.TempDir()
	}
	c := &testCluster{}
	for _, p := range peers {
		n, tr := startInmem(t, p.ID, dirs[p.ID], peers, true)
		c.nodes, c.transports = append(c.nodes, n), append(c.transports, tr)
	}
	c.heal() // connects every pair
	addMaster(t, c, "mymaster")
	for _, n := range c.nodes {
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}

	survivors := peers[3:]
	for _, p := range survivors {
		res, err := Recover(RecoverOptions{ID: p.ID, Dir: dirs[p.ID], Logger: testLogger(t), Peers: survivors})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Previous) != 5 || res.State.Masters["mymaster"].Addr != "127.0.0.1:6379" {
			t.Fatalf("%s: recover result %+v", p.ID, res)
		}
	}
	again := &testCluster{}
	for _, p := range survivors {
		n, tr := startInmem(t, p.ID, dirs[p.ID], peers, true)
		again.nodes, again.transports = append(again.nodes, n), append(again.transports, tr)
	}
	again.heal()
	ctx := ctxWithTimeout(t, 10*time.Second)
	if err := again.onLeader(t, nil, func(n *Node) error {
		granted, err := n.RequestLease(ctx, "mymaster", 1, 100*time.Millisecond)
		if err != nil {
			return err
		}
		if !granted && n.State().Masters["mymaster"].Lease.Holder != n.id {
			// A deposed leader's lease: try again once it expires.
			return fmt.Errorf("lease held by another node: %w", ErrNotLeader)
		}
		return n.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 1)
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range again.nodes {
		eventually(t, 5*time.Second, n.id+" applies the switch in the group of two", func() bool {
			return n.State().Masters["mymaster"].Addr == "127.0.0.1:6380" && n.Stats().Voters == 2
		})
	}
}
