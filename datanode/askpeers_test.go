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

// holdingPeer is a loopback peer sentinel that answers the first
// is-master-down-by-addr only once gate is closed, and holds every later
// reply until `hold` more questions have arrived: a client that waited
// for each reply before sending the next question would never get one.
type holdingPeer struct {
	addr monitor.Addr
	gate chan struct{}
	mu   sync.Mutex
	got  []string // masters' ports asked about, in order
}

func startHoldingPeer(t *testing.T, hold int) *holdingPeer {
	t.Helper()
	p := &holdingPeer{gate: make(chan struct{})}
	p.addr = serveLoopback(t, func(c net.Conn) { p.serve(c, hold) })
	return p
}

func (p *holdingPeer) serve(c net.Conn, hold int) {
	defer c.Close()
	rd := bufio.NewReader(c)
	asked, held := 0, ""
	for {
		args, err := readCommand(rd)
		if err != nil {
			return
		}
		reply := peerHandler("*3\r\n:1\r\n$1\r\n*\r\n:0\r\n")(args)
		if strings.EqualFold(args[0], "SENTINEL") {
			asked++
			p.mu.Lock()
			p.got = append(p.got, args[3])
			p.mu.Unlock()
			if asked == 1 {
				<-p.gate
			}
		}
		if asked > 1 {
			held += reply
			if asked-1 < hold {
				continue
			}
			reply, held = held, ""
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

// TestPool_QueuedQuestionsPipelined: questions to a peer that queue
// behind one in flight go out together, without waiting for each other's
// replies, and every one is answered to the core in order.
func TestPool_QueuedQuestionsPipelined(t *testing.T) {
	peer := startHoldingPeer(t, 3)
	// A command timeout far beyond the test's own deadlines: if the first
	// question timed out while the peer held it (a starved -race run), the
	// next ones would go out on a second connection, whose peer holds its
	// replies for good; that path is the lanes' tests', not this one's.
	h := startPool(t, Options{CommandTimeout: time.Minute})
	h.pool.Do(monitor.Watch{Target: peer.addr, Kind: monitor.KindSentinel, Master: "m"})
	ask := func(port int) {
		h.pool.Do(monitor.AskPeer{Peer: peer.addr, PeerRunID: "peer", Master: "m", MasterAddr: monitor.Addr{Host: "10.0.0.1", Port: port}, Epoch: 1, RunID: "*"})
	}
	ask(7000)
	// The first question is in flight (held by the peer) before the next
	// three queue behind it, so they go out as one pipeline. Queued while
	// the first still waited in the queue, some would ride with it and the
	// rest follow in a pipeline of their own, which this peer (holding
	// replies until three later questions have arrived) never answers.
	datanodetest.Eventually(t, 10*time.Second, time.Millisecond, func() bool {
		peer.mu.Lock()
		defer peer.mu.Unlock()
		return len(peer.got) == 1
	}, "the first question to reach the peer")
	ask(7001)
	ask(7002)
	ask(7003)
	close(peer.gate)
	for i := range 4 {
		got := next(t, h, func(monitor.PeerReply) bool { return true })
		if got.Kind != monitor.ReplyPong || !got.Down {
			t.Fatalf("reply %d: %+v, want a down answer", i, got)
		}
	}
	peer.mu.Lock()
	defer peer.mu.Unlock()
	if strings.Join(peer.got, ",") != "7000,7001,7002,7003" {
		t.Fatalf("peer was asked about %v, want every master once, in order", peer.got)
	}
}
