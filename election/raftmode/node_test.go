package raftmode

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// fastTiming mirrors hashicorp/raft's inmemConfig: short timeouts so an
// in-memory group elects and fails over in tens of milliseconds.
var fastTiming = Timing{
	HeartbeatTimeout:   50 * time.Millisecond,
	ElectionTimeout:    50 * time.Millisecond,
	LeaderLeaseTimeout: 50 * time.Millisecond,
	CommitTimeout:      5 * time.Millisecond,
	BarrierTimeout:     time.Second,
	ApplyTimeout:       time.Second,
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s still not: %s", within, what)
		}
		<-tick.C
	}
}

type testCluster struct {
	nodes      []*Node
	transports []*raft.InmemTransport
}

// newTestCluster starts n nodes over in-memory transports, all connected,
// each with a durable store in its own temp directory.
func newTestCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	c := &testCluster{}
	var peers []Peer
	for i := range n {
		addr, tr := raft.NewInmemTransport(raft.ServerAddress(fmt.Sprintf("inmem-%d", i)))
		c.transports = append(c.transports, tr)
		peers = append(peers, Peer{ID: fmt.Sprintf("n%d", i), Addr: string(addr)})
	}
	for i, a := range c.transports {
		for j, b := range c.transports {
			if i != j {
				a.Connect(b.LocalAddr(), b)
			}
		}
	}
	for i := range n {
		node, err := NewNode(t.Context(), Options{
			ID:        peers[i].ID,
			Peers:     peers,
			Dir:       t.TempDir(),
			Logger:    testLogger(t).With("node", peers[i].ID),
			Bootstrap: true,
			Timing:    fastTiming,
			transport: c.transports[i],
		})
		if err != nil {
			t.Fatalf("NewNode %d: %v", i, err)
		}
		c.nodes = append(c.nodes, node)
		t.Cleanup(func() {
			if err := node.Close(); err != nil {
				t.Errorf("close %s: %v", node.id, err)
			}
		})
	}
	return c
}

// leader waits until exactly one node of among says it is leader.
func (c *testCluster) leader(t *testing.T, among ...*Node) *Node {
	t.Helper()
	if len(among) == 0 {
		among = c.nodes
	}
	var found *Node
	eventually(t, 5*time.Second, "one leader", func() bool {
		found = nil
		count := 0
		for _, n := range among {
			if n.IsLeader() {
				found, count = n, count+1
			}
		}
		return count == 1
	})
	return found
}

func nodeByID(c *testCluster, id string) *Node {
	for _, n := range c.nodes {
		if n.id == id {
			return n
		}
	}
	panic("no node " + id)
}

// isolate cuts node i off from every other node, in both directions.
func (c *testCluster) isolate(i int) {
	for j, tr := range c.transports {
		if j != i {
			tr.Disconnect(c.transports[i].LocalAddr())
			c.transports[i].Disconnect(tr.LocalAddr())
		}
	}
}

func (c *testCluster) heal() {
	for i, a := range c.transports {
		for j, b := range c.transports {
			if i != j {
				a.Connect(b.LocalAddr(), b)
			}
		}
	}
}

func (c *testCluster) index(n *Node) int {
	for i, m := range c.nodes {
		if m == n {
			return i
		}
	}
	panic("node not in cluster")
}

// startDurableSolo starts a bootstrapping single node over TCP that keeps
// its log in dir, closed when the test ends.
func startDurableSolo(t *testing.T, dir string) *Node {
	t.Helper()
	n, err := NewNode(t.Context(), Options{
		ID: "solo", BindAddr: "127.0.0.1:0", Dir: dir,
		Logger: testLogger(t), Bootstrap: true, Timing: fastTiming,
	})
	if err != nil {
		t.Fatalf("NewNode: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func ctxWithTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestRaftClusterLeadershipAndFollowers(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.leader(t)

	select {
	case v := <-leader.Leadership():
		if !v {
			t.Fatal("leader's first leadership report is false")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("leader never reported leadership")
	}
	if id, addr := leader.Leader(); id != leader.ID() || addr == "" {
		t.Fatalf("Leader() = %q %q, want a known leader", id, addr)
	}

	ctx := ctxWithTimeout(t, 10*time.Second)
	addMaster(t, c, "mymaster")
	err := c.onLeader(t, nil, func(n *Node) error { return n.AddMaster(ctx, "mymaster", "127.0.0.1:6379", 0) })
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("duplicate AddMaster: %v, want ErrRejected", err)
	}
	for _, n := range c.nodes {
		if n.IsLeader() {
			continue
		}
		if _, err := n.RequestLease(ctx, "mymaster", 1, time.Second); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("lease on follower: %v, want ErrNotLeader", err)
		}
		if err := n.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 1); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("switch on follower: %v, want ErrNotLeader", err)
		}
	}
	for _, bad := range []func(n *Node) error{
		func(n *Node) error { _, err := n.RequestLease(ctx, "mymaster", 0, time.Second); return err },
		func(n *Node) error { _, err := n.RequestLease(ctx, "mymaster", 1, 0); return err },
		func(n *Node) error { _, err := n.RequestLease(ctx, "", 1, time.Second); return err },
		func(n *Node) error { return n.CommitSwitch(ctx, "mymaster", "no-port", 1) },
		func(n *Node) error { return n.CommitSwitch(ctx, "mymaster", "h:1", 0) },
	} {
		var rejected *RejectedError
		err := bad(c.nodes[0])
		if !errors.As(err, &rejected) || rejected.Reason != RejectInvalid || !errors.Is(err, ErrRejected) {
			t.Errorf("bad arguments: %v, want an invalid-command rejection", err)
		} else if !strings.Contains(err.Error(), "rejected: invalid command: need") {
			t.Errorf("rejection text %q does not explain itself", err)
		}
	}
	err = c.onLeader(t, nil, func(n *Node) error { return n.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 1) })
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("switch without lease: %v, want ErrRejected", err)
	}
	err = c.onLeader(t, nil, func(n *Node) error {
		_, err := n.RequestLease(ctx, "nosuch", 1, time.Second)
		return err
	})
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("lease of unknown master: %v, want ErrRejected", err)
	}

	// Hand leadership over: the old leader must report losing it, after
	// whatever earlier changes are still queued for the reader.
	// A transfer times out after one election timeout on a busy machine;
	// try again from whoever leads then.
	// Only a leader whose latest report was true owes a false: a term in
	// which the barrier never completed is never reported at all.
	seen := map[*Node]bool{leader: true}
	latest := func(n *Node) bool {
		for {
			select {
			case v := <-n.Leadership():
				seen[n] = v
			default:
				return seen[n]
			}
		}
	}
	var old *Node
	eventually(t, 5*time.Second, "a leadership transfer from a reported leader", func() bool {
		old = c.leader(t)
		return latest(old) && old.raft.LeadershipTransfer().Error() == nil
	})
	timeout := time.After(5 * time.Second)
	for lost := false; !lost; {
		select {
		case v := <-old.Leadership():
			lost = !v
		case <-timeout:
			t.Fatal("old leader never reported losing leadership")
		}
	}
	err = c.onLeader(t, nil, func(n *Node) error { return n.RemoveMaster(ctx, "mymaster") })
	var rejected *RejectedError
	// A retry after an unknown outcome finds the master already gone.
	if err != nil && !(errors.As(err, &rejected) && rejected.Reason == RejectUnknownMaster) {
		t.Fatal(err)
	}
	if _, ok := c.leader(t).State().Masters["mymaster"]; ok {
		t.Fatal("master still present after RemoveMaster")
	}
}

// isLeadershipChurn reports errors that only mean the leader moved; with
// 50 ms timeouts that can happen on a loaded machine at any time.
func isLeadershipChurn(err error) bool {
	return errors.Is(err, ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost)
}

// onLeader runs op on the current leader among the given nodes (all when
// nil), again on the next leader while leadership moves under it.
func (c *testCluster) onLeader(t *testing.T, among []*Node, op func(n *Node) error) error {
	t.Helper()
	var err error
	eventually(t, 5*time.Second, "an operation on a stable leader", func() bool {
		err = op(c.leader(t, among...))
		return !isLeadershipChurn(err)
	})
	return err
}

// addMaster adds a master through the leader and waits until every node
// has applied it.
func addMaster(t *testing.T, c *testCluster, name string) {
	t.Helper()
	err := c.onLeader(t, nil, func(n *Node) error { return n.AddMaster(t.Context(), name, "127.0.0.1:6379", 0) })
	// A retry after an unknown outcome finds the first attempt applied.
	if err != nil && !errors.Is(err, ErrRejected) {
		t.Fatal(err)
	}
	for _, n := range c.nodes {
		eventually(t, 5*time.Second, n.id+" applies AddMaster", func() bool {
			_, ok := n.State().Masters[name]
			return ok
		})
	}
}

// TestClusterOneLeasePerEpoch runs lease requests from every node at once,
// moving leadership around while they run, and checks that no epoch was
// ever granted to two holders.
func TestRaftClusterOneLeasePerEpoch(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := ctxWithTimeout(t, 10*time.Second)
	addMaster(t, c, "mymaster")

	type grant struct {
		epoch  uint64
		holder string
	}
	var (
		mu       sync.Mutex
		grants   []grant
		holders  = map[string]bool{}
		stop     atomic.Bool
		workers  sync.WaitGroup
		requests atomic.Int64
	)
	for w, node := range append(append([]*Node{}, c.nodes...), c.nodes...) {
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		workers.Go(func() {
			backoff := time.NewTicker(2 * time.Millisecond)
			defer backoff.Stop()
			for !stop.Load() && ctx.Err() == nil {
				// Ask for the next epoch or the one after, as a sentinel
				// that has seen the current state would.
				epoch := node.State().Masters["mymaster"].Lease.Epoch + 1 + rng.Uint64N(2)
				reqCtx, cancel := context.WithTimeout(ctx, time.Second)
				granted, err := node.RequestLease(reqCtx, "mymaster", epoch, time.Millisecond)
				cancel()
				requests.Add(1)
				if granted {
					mu.Lock()
					grants = append(grants, grant{epoch, node.id})
					holders[node.id] = true
					mu.Unlock()
				}
				if err != nil {
					<-backoff.C
				}
			}
		})
	}

	transfers := 0
	eventually(t, 8*time.Second, "grants to three distinct holders", func() bool {
		mu.Lock()
		distinct, n := len(holders), len(grants)
		mu.Unlock()
		if distinct >= 3 {
			return true
		}
		// Move leadership once the current leader has won a few epochs.
		if n > 5*(transfers+1) {
			// Rotate through the nodes so every one of them leads once.
			for i, node := range c.nodes {
				if node.IsLeader() {
					next := (i + 1) % len(c.nodes)
					_ = node.raft.LeadershipTransferToServer(
						raft.ServerID(c.nodes[next].id), c.transports[next].LocalAddr()).Error()
					transfers++
					break
				}
			}
		}
		return false
	})
	stop.Store(true)
	workers.Wait()

	byEpoch := map[uint64]string{}
	for _, g := range grants {
		if prev, ok := byEpoch[g.epoch]; ok && prev != g.holder {
			t.Fatalf("epoch %d granted to both %s and %s", g.epoch, prev, g.holder)
		}
		byEpoch[g.epoch] = g.holder
	}
	t.Logf("%d requests, %d grants over %d epochs, %d transfers", requests.Load(), len(grants), len(byEpoch), transfers)

	// Every replica ends with the same lease, and it is one that was granted.
	leader := c.leader(t)
	// hashicorp/raft tells followers that an entry committed only with the
	// next entry it sends, so append one (a barrier) before comparing.
	if err := leader.raft.Barrier(time.Second).Error(); err != nil {
		t.Fatalf("barrier: %v", err)
	}
	want := leader.State().Masters["mymaster"].Lease
	// A request whose outcome was unknown to its caller (timeout, lost
	// leadership) may still have committed, so the final lease need not
	// have been reported; it must not contradict a report, though.
	if h, ok := byEpoch[want.Epoch]; ok && h != want.Holder {
		t.Fatalf("final lease %+v, but epoch %d was reported granted to %s", want, want.Epoch, h)
	}
	for _, n := range c.nodes {
		eventually(t, 5*time.Second, n.id+" converges on the final lease", func() bool {
			return n.State().Masters["mymaster"].Lease.Epoch == want.Epoch &&
				n.State().Masters["mymaster"].Lease.Holder == want.Holder
		})
	}
}

// TestClusterPartitionedMinorityCannotAct isolates the leader: it must
// never obtain a lease or commit a switch, while the majority can.
func TestRaftClusterPartitionedMinorityCannotAct(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := ctxWithTimeout(t, 10*time.Second)
	addMaster(t, c, "mymaster")
	old := c.leader(t)

	c.isolate(c.index(old))
	// Until it notices, the isolated leader still accepts proposals; none
	// may succeed. Keep trying until it has stepped down.
	attempts := 0
	eventually(t, 5*time.Second, "isolated leader steps down", func() bool {
		reqCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		attempts++
		granted, err := old.RequestLease(reqCtx, "mymaster", 1, time.Minute)
		if granted || err == nil {
			t.Fatalf("isolated node obtained a lease (granted=%v err=%v)", granted, err)
		}
		if err := old.CommitSwitch(reqCtx, "mymaster", "127.0.0.1:7000", 1); err == nil {
			t.Fatal("isolated node committed a switch")
		}
		return errors.Is(err, ErrNotLeader)
	})

	var majority []*Node
	for _, n := range c.nodes {
		if n != old {
			majority = append(majority, n)
		}
	}
	// The majority's leader wins epoch 1: had any minority attempt
	// committed, epoch 1 would be taken. Leadership may move inside the
	// majority, so the holder is whoever's request was granted.
	var holder *Node
	err := c.onLeader(t, majority, func(n *Node) error {
		granted, err := n.RequestLease(ctx, "mymaster", 1, time.Minute)
		if err == nil && !granted {
			if m := n.State().Masters["mymaster"]; m.Lease.Epoch == 1 && m.Lease.Holder != old.id {
				holder = nodeByID(c, m.Lease.Holder) // a retry after an unknown outcome
				return nil
			}
			return fmt.Errorf("majority leader %s refused epoch 1: %+v", n.id, n.State().Masters["mymaster"].Lease)
		}
		holder = n
		return err
	})
	if err != nil {
		t.Fatalf("majority lease for epoch 1: %v", err)
	}
	if err := holder.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 1); err != nil {
		t.Fatalf("majority switch by %s: %v", holder.id, err)
	}
	newLeader := holder
	if _, err := old.RequestLease(ctx, "mymaster", 2, time.Minute); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("isolated follower lease: %v, want ErrNotLeader", err)
	}

	// After healing, the old leader learns the majority's decision.
	c.heal()
	eventually(t, 5*time.Second, "old leader converges", func() bool {
		m := old.State().Masters["mymaster"]
		return m.Addr == "127.0.0.1:6380" && m.ConfigEpoch == 1 && m.Lease.Holder == newLeader.id
	})
	t.Logf("isolated leader made %d attempts before stepping down", attempts)
}

// TestRaftClusterNewLeaderTakesOverLease: the leader holds a one-minute
// lease and is cut off; the majority's new leader gets the next epoch at
// once (its term is later) and learns whose lease it replaced, and the
// deposed holder can no longer commit a switch for its epoch.
func TestRaftClusterNewLeaderTakesOverLease(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := ctxWithTimeout(t, 10*time.Second)
	addMaster(t, c, "mymaster")
	var old *Node
	if err := c.onLeader(t, nil, func(n *Node) error {
		old = n
		_, err := n.RequestLease(ctx, "mymaster", 1, time.Minute)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	held := old.State().Masters["mymaster"].Lease
	if held.Holder != old.id || held.Epoch != 1 || held.Term == 0 {
		t.Fatalf("lease after the grant: %+v", held)
	}

	c.isolate(c.index(old))
	var majority []*Node
	for _, n := range c.nodes {
		if n != old {
			majority = append(majority, n)
		}
	}
	var ans LeaseAnswer
	var holder *Node
	start := time.Now()
	if err := c.onLeader(t, majority, func(n *Node) error {
		holder = n
		// What the driver waits for (Leadership, after the barrier): the
		// new leader has applied the old lease.
		if n.State().Masters["mymaster"].Lease.Holder != old.id {
			return ErrNotLeader
		}
		var err error
		ans, err = n.ProposeLease(ctx, "mymaster", 2, time.Minute)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !ans.Granted || ans.Replaced.Holder != old.id || ans.Replaced.Epoch != 1 || ans.Master.Lease.Term <= held.Term {
		t.Fatalf("new leader %s's lease: %+v (old lease %+v)", holder.id, ans, held)
	}
	t.Logf("lease taken over %v after the cut, the old one had %v left", time.Since(start).Round(time.Millisecond), time.Until(held.Expires).Round(time.Second))
	if err := old.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 1); err == nil {
		t.Fatal("the deposed holder committed a switch")
	}
	c.heal()
	if err := c.onLeader(t, nil, func(n *Node) error {
		return n.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 1)
	}); !errors.Is(err, ErrRejected) {
		t.Fatalf("switch for the replaced epoch 1: %v, want rejected", err)
	}
	eventually(t, 5*time.Second, "the old leader applies the takeover", func() bool {
		return old.State().Masters["mymaster"].Lease.Holder == holder.id
	})
}

func TestRaftNodeDurableRestartOverTCP(t *testing.T) {
	dir := t.TempDir()
	start := func() *Node { return startDurableSolo(t, dir) }
	ctx := ctxWithTimeout(t, 10*time.Second)

	n := start()
	eventually(t, 5*time.Second, "single node leads", n.IsLeader)
	if err := n.AddMaster(ctx, "mymaster", "127.0.0.1:6379", 3); err != nil {
		t.Fatal(err)
	}
	if granted, err := n.RequestLease(ctx, "mymaster", 4, time.Minute); err != nil || !granted {
		t.Fatalf("lease: %v %v", granted, err)
	}
	if err := n.CommitSwitch(ctx, "mymaster", "127.0.0.1:6380", 4); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := n.RequestLease(cancelled, "mymaster", 5, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("lease with a cancelled context: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, ok := <-n.Leadership(); ok {
		// Drain a queued report; the channel must then be closed.
		if _, ok := <-n.Leadership(); ok {
			t.Fatal("Leadership channel still open after Close")
		}
	}
	if _, err := n.RequestLease(ctx, "mymaster", 5, time.Minute); err == nil {
		t.Fatal("RequestLease after Close succeeded")
	}

	again := start()
	eventually(t, 5*time.Second, "restarted node replays its log", func() bool {
		m, ok := again.State().Masters["mymaster"]
		return ok && m.Addr == "127.0.0.1:6380" && m.ConfigEpoch == 4 && m.Lease.Epoch == 4
	})
	if again.State().HighestEpoch != 4 {
		t.Fatalf("highest epoch after restart = %d", again.State().HighestEpoch)
	}
}

func TestRaftNewNodeRejectsBadOptions(t *testing.T) {
	logger := testLogger(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no id", Options{BindAddr: "127.0.0.1:0", Dir: dir, Logger: logger}, "ID is empty"},
		{"no logger", Options{ID: "a", BindAddr: "127.0.0.1:0", Dir: dir}, "Logger is nil"},
		{"no bind", Options{ID: "a", Dir: dir, Logger: logger}, "BindAddr is empty"},
		{"no dir", Options{ID: "a", BindAddr: "127.0.0.1:0", Logger: logger}, "Dir is empty"},
		{"peer without addr", Options{ID: "a", BindAddr: "127.0.0.1:0", Dir: dir, Logger: logger, Peers: []Peer{{ID: "b"}}}, "needs both ID and Addr"},
		{"duplicate peer", Options{ID: "a", BindAddr: "127.0.0.1:0", Dir: dir, Logger: logger, Peers: []Peer{{"b", "h:1"}, {"b", "h:2"}}}, "duplicate ID"},
		{"negative timing", Options{ID: "a", BindAddr: "127.0.0.1:0", Dir: dir, Logger: logger, Timing: Timing{CommitTimeout: -1}}, "negative"},
		{"bad advertise", Options{ID: "a", BindAddr: "127.0.0.1:0", Advertise: "nohost:notaport", Dir: dir, Logger: logger}, "advertise"},
		{"wildcard bind without advertise", Options{ID: "a", BindAddr: "0.0.0.0:0", Dir: dir, Logger: logger}, "transport"},
		{"bad timing combination", Options{ID: "a", BindAddr: "127.0.0.1:0", Dir: dir, Logger: logger, Timing: Timing{HeartbeatTimeout: time.Millisecond, LeaderLeaseTimeout: time.Second}}, "raft config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := NewNode(t.Context(), tc.opts)
			if err == nil {
				_ = n.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := NewNode(cancelled, Options{ID: "a", BindAddr: "127.0.0.1:0", Dir: dir, Logger: logger}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}
