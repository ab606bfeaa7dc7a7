package datanode

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// publishPeer is a loopback peer sentinel that holds its reply to the
// first PUBLISH until gate is closed, and its replies to the later ones
// until `hold` of them have arrived: a client that waited for each reply
// before sending the next PUBLISH would never get one.
type publishPeer struct {
	addr monitor.Addr
	gate chan struct{}
	mu   sync.Mutex
	got  []string // hello payloads' master names, in order
	all  chan struct{}
}

func startPublishPeer(t *testing.T, hold int) *publishPeer {
	t.Helper()
	p := &publishPeer{gate: make(chan struct{}), all: make(chan struct{})}
	p.addr = serveLoopback(t, func(c net.Conn) { p.serve(c, hold) })
	return p
}

func (p *publishPeer) serve(c net.Conn, hold int) {
	defer c.Close()
	rd := bufio.NewReader(c)
	published, held := 0, ""
	for {
		args, err := readCommand(rd)
		if err != nil {
			return
		}
		reply := peerHandler("-ERR no\r\n")(args)
		if strings.EqualFold(args[0], "PUBLISH") && len(args) == 3 {
			published++
			h, err := monitor.ParseHello(args[2])
			p.mu.Lock()
			if err != nil {
				p.got = append(p.got, "malformed")
			} else {
				p.got = append(p.got, h.MasterName)
			}
			if len(p.got) == hold+1 {
				close(p.all)
			}
			p.mu.Unlock()
			if published == 1 {
				<-p.gate
			}
		}
		if published > 1 {
			held += reply
			if published-1 < hold {
				continue
			}
			reply, held = held, ""
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

// TestPool_QueuedHellosPipelined: hellos to a peer that queue behind one
// in flight go out together, without waiting for each other's replies, in
// queue order, each with the link's local address when the core left the
// host empty.
func TestPool_QueuedHellosPipelined(t *testing.T) {
	const behind = 40 // more than Options.QueueSize: a peer's queue is larger
	peer := startPublishPeer(t, behind)
	// A command timeout beyond the test's deadlines, as in
	// TestPool_QueuedQuestionsPipelined: a first hello timed out while held
	// would send the rest on a second connection.
	h := startPool(t, Options{QueueSize: 8, CommandTimeout: time.Minute})
	h.pool.Do(monitor.Watch{Target: peer.addr, Kind: monitor.KindSentinel, Master: "m0"})
	hello := func(i int) {
		name := "m" + strings.Repeat("x", i)
		h.pool.Do(monitor.PublishHello{Target: peer.addr, Master: name, Hello: monitor.Hello{
			SentinelAddr: monitor.Addr{Port: 26379}, RunID: strings.Repeat("a", 40), CurrentEpoch: 1,
			MasterName: name, MasterAddr: monitor.Addr{Host: "10.0.0.1", Port: 6379}, MasterConfigEpoch: 1,
		}})
	}
	hello(0)
	// The first hello is in flight (held by the peer) before the others
	// queue behind it, so they all go out in the next pipeline (see
	// TestPool_QueuedQuestionsPipelined).
	datanodetest.Eventually(t, 10*time.Second, time.Millisecond, func() bool {
		peer.mu.Lock()
		defer peer.mu.Unlock()
		return len(peer.got) == 1
	}, "the first hello to reach the peer")
	for i := 1; i <= behind; i++ {
		hello(i)
	}
	close(peer.gate)
	select {
	case <-peer.all:
	case <-time.After(10 * time.Second):
		peer.mu.Lock()
		defer peer.mu.Unlock()
		t.Fatalf("peer got %d of %d hellos within 10s", len(peer.got), behind+1)
	}
	peer.mu.Lock()
	defer peer.mu.Unlock()
	for i, name := range peer.got {
		if want := "m" + strings.Repeat("x", i); name != want {
			t.Fatalf("hello %d was for %q, want %q (in queue order, rendered with the local address)", i, name, want)
		}
	}
}
