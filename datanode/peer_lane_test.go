package datanode

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// A peer sentinel has one connection (poolSize), as in Redis: PINGs,
// hellos and questions take turns on it. Against a peer that answers its
// first PING and PUBLISH (so both lanes are in use) and then falls silent, every PING
// still hears "no reply" within the command timeout, and the other lane's
// pool timeouts do not drop the connection: it stays the only one until
// the pending limit.
//
// Real time, not synctest: go-redis waits for a pooled connection on a
// timer from a process-wide pool, which a bubble does not own.
func TestPool_SilentPeerKeepsOneConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 3 s of real time")
	}
	peer := monitor.Addr{Host: "10.0.0.2", Port: 26379}
	var ponged, published atomic.Bool
	node := &pipeNode{reply: func(chunk []byte) []byte {
		switch {
		case bytes.Contains(chunk, []byte("SETNAME")):
			return []byte("+OK\r\n")
		case bytes.Contains(chunk, []byte("hello\r\n$1\r\n2")):
			return []byte("-ERR unknown command 'HELLO'\r\n")
		case bytes.Contains(chunk, []byte("PING")) && !ponged.Swap(true):
			return []byte("+PONG\r\n")
		case bytes.Contains(chunk, []byte("PUBLISH")) && !published.Swap(true):
			return []byte(":1\r\n")
		}
		return nil
	}}
	const commandTimeout = 200 * time.Millisecond
	p, inputs, stop := runPipePoolWatching(t, node, commandTimeout, 30*time.Second,
		monitor.Watch{Target: peer, Kind: monitor.KindSentinel, Master: "m"})
	t.Cleanup(stop)

	const window = 3 * time.Second
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for i := 0; time.Since(start) < window; i++ {
		p.Do(monitor.PublishHello{Target: peer, Master: "m", Hello: monitor.Hello{
			SentinelAddr: monitor.Addr{Host: "10.0.0.1", Port: 26379}, RunID: testMyID, MasterName: "m", MasterAddr: masterAddr,
		}})
		p.Do(monitor.AskPeer{Peer: peer, Master: "m", MasterAddr: masterAddr, RunID: "*"})
		sent := time.Now()
		p.Do(monitor.Ping{Target: peer, Master: "m"})
		var r monitor.PingResult
		select {
		case in := <-inputs:
			r = in.(monitor.PingResult)
		case <-time.After(10 * commandTimeout):
			t.Fatalf("PING %d: no result", i)
		}
		// The bound tells "within the command timeout" from "behind the
		// pending limit" (15 s) with room for a loaded machine under -race.
		if wait := r.At.Sub(sent); wait > commandTimeout+2*time.Second {
			t.Fatalf("PING %d: result after %v, command timeout %v", i, wait, commandTimeout)
		}
		if i > 0 && r.Kind != monitor.ReplyTimeout {
			t.Fatalf("PING %d: a silent peer's PING got %v", i, r.Kind)
		}
		<-tick.C
	}
	if got := node.dialled(); len(got) != 1 {
		t.Errorf("connections at %v, want one (the pending limit is %v)", got, DefaultPendingLimit)
	}
}
