package supervisor

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// flushMaster is the master the flush tests' peers are discovered under.
var flushMaster = monitor.Addr{Host: "127.0.0.1", Port: 6379}

// runFlushLoop runs a loop writing its state to per, inside a synctest
// bubble, until the test ends (also when a check fails).
func runFlushLoop(t *testing.T, per Persister) (*Loop, context.Context) {
	loop, err := NewLoop(testLoopOptions(nopExec{}, per))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	synctest.Wait()
	return loop, ctx
}

// discoverPeer delivers the hello of peer i, new to the loop.
func discoverPeer(ctx context.Context, loop *Loop, i int) {
	loop.Deliver(ctx, monitor.HelloReceived{At: time.Now(), Via: flushMaster, Hello: monitor.Hello{
		SentinelAddr: monitor.Addr{Host: "127.0.0.1", Port: 27000 + i},
		RunID:        fmt.Sprintf("%040d", i+1),
		MasterName:   "mymaster", MasterAddr: flushMaster,
	}})
}

// TestFlush_DiscoveriesAreCoalesced: learning twenty peers in a burst costs
// a couple of state writes, not twenty, and the last of them is on disk
// within the coalescing window.
func TestFlush_DiscoveriesAreCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		per := &switchablePersister{}
		loop, ctx := runFlushLoop(t, per)
		before, _ := per.count()

		const peers = 20
		for i := 0; i < peers; i++ {
			discoverPeer(ctx, loop, i)
			synctest.Wait() // one loop iteration each, as they would arrive over time
		}
		burst, _ := per.count()
		if burst-before > 2 {
			t.Fatalf("%d state writes for a burst of %d discoveries, want at most 2", burst-before, peers)
		}

		time.Sleep(2 * flushCoalesce)
		synctest.Wait()
		_, last := per.count()
		if m := last.Master("mymaster"); m == nil || len(m.Sentinels) != peers {
			t.Fatalf("after the coalescing window the state on disk knows %v sentinels, want %d", m, peers)
		}
	})
}

// slowPersister takes `took` for every write.
type slowPersister struct {
	switchablePersister
	took time.Duration
}

func (p *slowPersister) Persist(s *monitor.Snapshot) error {
	time.Sleep(p.took)
	return p.switchablePersister.Persist(s)
}

// TestFlush_SlowWritesWidenTheWindow: when a state write takes long (a
// loaded machine, hundreds of masters), discoveries wait ten times as long
// as the last write for the next one, so the owner loop is not spent
// rewriting the state; the last discovery still reaches the disk within
// maxFlushCoalesce of the write before.
func TestFlush_SlowWritesWidenTheWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		per := &slowPersister{took: 60 * time.Millisecond}
		loop, ctx := runFlushLoop(t, per)
		before, _ := per.count()

		const peers = 40 // one every 50 ms: 2 s of discoveries
		for i := 0; i < peers; i++ {
			discoverPeer(ctx, loop, i)
			time.Sleep(50 * time.Millisecond)
		}
		burst, _ := per.count()
		// At the fixed 100 ms window it was 20 writes.
		if n := burst - before; n > 5 {
			t.Fatalf("%d state writes of 60 ms each for 2 s of discoveries, want at most 5 (a 600 ms window)", n)
		}
		time.Sleep(maxFlushCoalesce + 200*time.Millisecond)
		synctest.Wait()
		_, last := per.count()
		if m := last.Master("mymaster"); m == nil || len(m.Sentinels) != peers {
			t.Fatalf("after the widest window the state on disk knows %v sentinels, want %d", m, peers)
		}
	})
}
