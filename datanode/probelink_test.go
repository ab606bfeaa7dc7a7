package datanode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// splitCommands parses the RESP commands (arrays of bulk strings) in
// chunk; it stops at the first incomplete one.
func splitCommands(chunk []byte) [][]string {
	var out [][]string
	r := bufio.NewReader(bytes.NewReader(chunk))
	for {
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "*") {
			return out
		}
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		var cmd []string
		for range n {
			hdr, err := r.ReadString('\n')
			if err != nil {
				return out
			}
			size, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
			buf := make([]byte, size+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return out
			}
			cmd = append(cmd, string(buf[:size]))
		}
		out = append(out, cmd)
	}
}

// probeNode answers every command it reads on a connection that is not the
// pub/sub one: AUTH and CLIENT +OK, PING +PONG, PUBLISH with publishReply;
// it records the commands of each chunk it answers, in order.
type probeNode struct {
	pipeNode
	publishReply string

	mu     sync.Mutex
	chunks map[int][][]string // chunk number → its commands
}

func newProbeNode(publishReply string) *probeNode {
	n := &probeNode{publishReply: publishReply, chunks: map[int][][]string{}}
	n.reply = func(chunk []byte) []byte {
		cmds := splitCommands(chunk)
		var out []byte
		for _, c := range cmds {
			if strings.EqualFold(c[0], "SUBSCRIBE") {
				return nil // the pub/sub link: silence, not recorded
			}
		}
		for _, c := range cmds {
			switch strings.ToUpper(c[0]) {
			case "HELLO": // go-redis's first command; Redis 5's answer
				out = append(out, "-ERR unknown command 'HELLO'\r\n"...)
			case "AUTH", "CLIENT":
				out = append(out, "+OK\r\n"...)
			case "PING":
				out = append(out, "+PONG\r\n"...)
			case "PUBLISH":
				out = append(out, n.publishReply...)
			case "INFO":
				body := "# Replication\r\nrole:master\r\n"
				out = append(out, "$"+strconv.Itoa(len(body))+"\r\n"+body+"\r\n"...)
			}
		}
		n.mu.Lock()
		n.chunks[len(n.chunks)] = cmds
		n.mu.Unlock()
		return out
	}
	return n
}

// runProbePool runs a Pool with credentials whose links go to node.
func runProbePool(t *testing.T, node *probeNode) (*Pool, chan monitor.Input, func()) {
	return runProbePoolDialling(t, node, node.dial)
}

// runProbePoolDialling is runProbePool with links dialled through dial;
// node is closed when the Pool stops.
func runProbePoolDialling(t *testing.T, node *probeNode, dial func(context.Context, string, string) (net.Conn, error)) (*Pool, chan monitor.Input, func()) {
	inputs := make(chan monitor.Input, 64)
	p := New(Options{
		Registerer:     prometheus.NewRegistry(),
		MyID:           testMyID,
		CommandTimeout: time.Second,
		DialTimeout:    time.Second,
		Credentials:    func(string) (string, string) { return "", "secret" },
		Deliver: func(in monitor.Input) {
			switch in.(type) {
			case monitor.PingResult, monitor.InfoResult:
				inputs <- in
			}
		},
	})
	p.testDial = dial
	node.start = time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	p.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})
	return p, inputs, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		node.close()
	}
}

// pingThenRide sends a first PING (it must get PONG), then a hello marked
// to ride with the next PING and that PING; it returns the second result.
// The hello announces its own address, so it rides at once.
func pingThenRide(t *testing.T, p *Pool, inputs chan monitor.Input) monitor.PingResult {
	t.Helper()
	p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
	if r := (<-inputs).(monitor.PingResult); r.Kind != monitor.ReplyPong {
		t.Fatalf("first PING = %v", r.Kind)
	}
	hello := helloWithPing("r1")
	hello.Hello.SentinelAddr.Host = "10.0.0.9" // announce-ip
	p.Do(hello)
	p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
	return (<-inputs).(monitor.PingResult)
}

// TestProbeLink_OneWritePerPing: a data node's first PING goes out with
// AUTH and CLIENT SETNAME in one write on the probe link, a hello riding
// with a later PING in the same write as it; INFO then opens the one
// go-redis connection. A refused PUBLISH is counted and does not fail the
// PING.
func TestProbeLink_OneWritePerPing(t *testing.T) {
	for _, tc := range []struct {
		name, publishReply string
		wantRefused        float64
	}{
		{"published", ":1\r\n", 0},
		{"publish refused", "-NOPERM no permissions\r\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				node := newProbeNode(tc.publishReply)
				p, inputs, stop := runProbePool(t, node)
				defer stop()
				if r := pingThenRide(t, p, inputs); r.Kind != monitor.ReplyPong {
					t.Fatalf("PING with a hello = %v", r.Kind)
				}
				p.Do(monitor.Info{Target: masterAddr, Master: "m"})
				if r := (<-inputs).(monitor.InfoResult); r.Kind != monitor.ReplyPong || r.Info.Role != monitor.RoleMaster {
					node.mu.Lock()
					t.Fatalf("INFO = %v %v (chunks %v, dials %v)", r.Kind, r.Info.Role, node.chunks, node.dialled())
				}
				synctest.Wait()

				names := func(cmds [][]string) string {
					var s []string
					for _, c := range cmds {
						s = append(s, strings.Join(c[:min(len(c), 2)], " "))
					}
					return strings.Join(s, ", ")
				}
				node.mu.Lock()
				first, second := names(node.chunks[0]), names(node.chunks[1])
				node.mu.Unlock()
				if first != "AUTH secret, CLIENT SETNAME, PING" {
					t.Errorf("first write %q, want AUTH, CLIENT SETNAME and PING together", first)
				}
				if second != "PING, PUBLISH __sentinel__:hello" {
					t.Errorf("second write %q, want the PING with its hello", second)
				}
				// The probe link, the pub/sub link (it may still be waiting
				// its start-up turn) and go-redis's connection for INFO.
				if n := len(node.dialled()); n < 2 || n > 3 {
					t.Errorf("%d connections, want the probe link, go-redis's one and maybe the pub/sub link", n)
				}
				refused := metricValue(t, p.metrics.commandErrors.WithLabelValues(cmdPublish, monitor.ReplyOther.String()))
				if refused != tc.wantRefused {
					t.Errorf("refused PUBLISH counted %v times, want %v", refused, tc.wantRefused)
				}
			})
		})
	}
}

// TestProbeLink_ClosedConnectionCostsNoFailedPing: a probe connection the
// node closed while it sat idle between PINGs (fencing's CLIENT KILL TYPE
// normal, an operator's, Redis's idle timeout) is noticed when the next
// PING uses it and that PING is sent again on a fresh connection: PONG, not
// a failure the core would count against the node.
func TestProbeLink_ClosedConnectionCostsNoFailedPing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server; skipped with -short")
	}
	r := startRedis(t, "")
	h := startPool(t, Options{CommandTimeout: 500 * time.Millisecond, DialTimeout: 500 * time.Millisecond})
	h.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})
	admin := r.client("")
	defer admin.Close()
	for round := range 2 {
		// A link that worked for reconnectStable is redialled at once
		// (a shorter-lived one waits out its backoff, as a hostile node's).
		start := time.Now()
		datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
			if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
				t.Fatalf("round %d: PING to a healthy server: %v", round, k)
			}
			return time.Since(start) > reconnectStable+100*time.Millisecond
		}, "the link to answer for longer than reconnectStable")
		dials := metricValue(t, h.pool.metrics.dials.WithLabelValues(linkCommand))
		killed, err := admin.Do(context.Background(), "CLIENT", "KILL", "TYPE", "normal").Int()
		if err != nil || killed < 1 {
			t.Fatalf("CLIENT KILL TYPE normal: %d killed, %v", killed, err)
		}
		if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
			t.Fatalf("round %d: PING after CLIENT KILL: %v, want pong", round, k)
		}
		if n := metricValue(t, h.pool.metrics.dials.WithLabelValues(linkCommand)); n != dials+1 {
			t.Errorf("round %d: command dials %v, want one more than %v (the PING's retry)", round, n, dials)
		}
	}
}

// TestProbeLink_SlowPublishReplyKeepsStep: the PONG comes at once but the
// PUBLISH riding with it is answered only after the command timeout. The
// PING counts as answered, the late PUBLISH reply is read as such (not as
// the next PING's), and every later PING, answered at once, gets PONG.
func TestProbeLink_SlowPublishReplyKeepsStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var conns []net.Conn
		dial := func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			mu.Lock()
			conns = append(conns, server)
			mu.Unlock()
			wg.Go(func() {
				var wmu sync.Mutex // replies and late replies in one stream
				buf := make([]byte, 4096)
				for {
					k, err := server.Read(buf)
					if err != nil {
						return
					}
					var out []byte
					delayed := 0
					for _, c := range splitCommands(buf[:k]) {
						switch strings.ToUpper(c[0]) {
						case "HELLO":
							out = append(out, "-ERR unknown command 'HELLO'\r\n"...)
						case "AUTH", "CLIENT":
							out = append(out, "+OK\r\n"...)
						case "PING":
							out = append(out, "+PONG\r\n"...)
						case "PUBLISH":
							delayed++
						}
					}
					wmu.Lock()
					_, err = server.Write(out)
					wmu.Unlock()
					if err != nil {
						return
					}
					if delayed > 0 {
						wg.Go(func() {
							time.Sleep(1500 * time.Millisecond)
							wmu.Lock()
							defer wmu.Unlock()
							_, _ = server.Write([]byte(":1\r\n"))
						})
					}
				}
			})
			return client, nil
		}
		p, inputs, stop := runProbePoolDialling(t, &probeNode{}, dial)
		defer func() {
			stop()
			mu.Lock()
			for _, c := range conns {
				_ = c.Close()
			}
			mu.Unlock()
			wg.Wait()
		}()
		hello := helloWithPing("r1")
		hello.Hello.SentinelAddr.Host = "10.0.0.9"
		for i := range 8 {
			if i == 1 {
				p.Do(hello) // rides with the second PING
			}
			p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
			if r := (<-inputs).(monitor.PingResult); r.Kind != monitor.ReplyPong {
				t.Fatalf("PING %d = %v, want PONG: the node answers every PING at once", i+1, r.Kind)
			}
			time.Sleep(time.Second)
		}
	})
}

// FuzzLinkReplies feeds any reply stream that passes the reply limits (as
// guardedConn lets through) to the parser of our own links (readStatus on
// the probe link, read on the pub/sub link): it never panics, and every
// reply it accepts consumes input, so reading a stream always ends.
func FuzzLinkReplies(f *testing.F) {
	for _, s := range []string{
		"+PONG\r\n", "+OK\r\n+OK\r\n+PONG\r\n:1\r\n", "-LOADING x\r\n", ":1\r\n", "$4\r\nPONG\r\n", "$-1\r\n",
		"*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhello\r\n", "*2\r\n$4\r\npong\r\n$0\r\n\r\n",
		"*1\r\n*1\r\n:1\r\n", "+O", "$3\r\nab", "\r\n", "*-1\r\n", "%1\r\n+a\r\n+b\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := newRespValidator(smallLimits).feed(data); err != nil {
			return // guardedConn closes the link before any parser sees it
		}
		for _, parse := range []func(*helloConn) error{
			func(h *helloConn) error { _, err := h.readStatus(); return err },
			func(h *helloConn) error { _, err := h.read(); return err },
		} {
			h := &helloConn{r: bufio.NewReaderSize(bytes.NewReader(data), linkReadBufferSize)}
			for n := 0; ; n++ {
				if n > len(data) {
					t.Fatalf("%d replies parsed from %d bytes %q", n, len(data), data)
				}
				if err := parse(h); err != nil {
					var refused respError
					if !errors.As(err, &refused) {
						break
					}
				}
			}
		}
	})
}

// firstWriteConn records the first write on a connection, which tells
// the links apart (the probe link's starts with its PING).
type firstWriteConn struct {
	net.Conn
	mu    sync.Mutex
	first []byte
}

func (c *firstWriteConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.first == nil {
		c.first = append([]byte(nil), b...)
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// TestProbeLink_CommandsOutliveTheProbeConnection: the probe connection is
// killed (CLIENT KILL TYPE normal) and cannot be redialled (refused,
// maxclients) while go-redis's command connection, which has had replies,
// is alive: INFO still goes out on it.
func TestProbeLink_CommandsOutliveTheProbeConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		node := newProbeNode(":1\r\n")
		var mu sync.Mutex
		var conns []*firstWriteConn
		fail := false
		dial := func(ctx context.Context, n, a string) (net.Conn, error) {
			// One lock over the node's accept and our record, so conns[i]
			// is the client end of node.conns[i] whatever order the links
			// dial in (they dial concurrently).
			mu.Lock()
			defer mu.Unlock()
			if fail {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
			}
			c, err := node.dial(ctx, n, a)
			if err != nil {
				return nil, err
			}
			w := &firstWriteConn{Conn: c}
			conns = append(conns, w)
			return w, nil
		}
		p, inputs, stop := runProbePoolDialling(t, node, dial)
		defer stop()
		p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
		if r := (<-inputs).(monitor.PingResult); r.Kind != monitor.ReplyPong {
			t.Fatalf("PING = %v", r.Kind)
		}
		p.Do(monitor.Info{Target: masterAddr, Master: "m"})
		if r := (<-inputs).(monitor.InfoResult); r.Kind != monitor.ReplyPong {
			t.Fatalf("INFO = %v", r.Kind)
		}
		synctest.Wait()
		mu.Lock()
		fail = true
		probe := -1
		for i, c := range conns {
			c.mu.Lock()
			if bytes.Contains(c.first, []byte("PING")) && !bytes.Contains(c.first, []byte("HELLO")) {
				probe = i
			}
			c.mu.Unlock()
		}
		mu.Unlock()
		if probe < 0 {
			t.Fatal("no probe conn")
		}
		node.mu.Lock()
		_ = node.conns[probe].Close() // the node kills the probe client
		node.mu.Unlock()
		synctest.Wait()
		p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
		if r := (<-inputs).(monitor.PingResult); r.Kind != monitor.ReplyConnErr {
			t.Fatalf("PING with the probe connection killed and redials refused = %v", r.Kind)
		}
		p.Do(monitor.Info{Target: masterAddr, Master: "m"})
		r := (<-inputs).(monitor.InfoResult)
		if r.Kind != monitor.ReplyPong {
			t.Errorf("INFO failed (%v) though its connection is alive", r.Kind)
		}
	})
}

// TestProbeLink_ReplyCutShort: a reply that begins (at once, or just
// before the command timeout) and never ends breaks the link, reported at
// most restOfReply after the command timeout, not a whole timeout later;
// the next PING redials.
func TestProbeLink_ReplyCutShort(t *testing.T) {
	for _, begins := range []time.Duration{0, 900 * time.Millisecond} {
		t.Run(begins.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				cut := false
				node := newProbeNode(":1\r\n")
				answer := node.reply
				node.reply = func(chunk []byte) []byte {
					mu.Lock()
					first := !cut && bytes.Contains(chunk, []byte("PING"))
					cut = cut || first
					mu.Unlock()
					if first {
						time.Sleep(begins)
						return []byte("+O") // AUTH's reply begins, and nothing more
					}
					return answer(chunk)
				}
				p, inputs, stop := runProbePool(t, node)
				defer stop()
				start := time.Now()
				p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
				if r := (<-inputs).(monitor.PingResult); r.Kind != monitor.ReplyConnErr {
					t.Fatalf("PING cut short = %v, want a broken link", r.Kind)
				}
				if d := time.Since(start); d > p.opts.CommandTimeout+restOfReply {
					t.Errorf("PING cut short reported after %v, command timeout %v", d, p.opts.CommandTimeout)
				}
				p.Do(monitor.Ping{Target: masterAddr, Master: "m"})
				if r := (<-inputs).(monitor.PingResult); r.Kind != monitor.ReplyPong {
					t.Fatalf("next PING = %v, want PONG on a new connection", r.Kind)
				}
				if n := len(node.dialled()); n < 2 {
					t.Errorf("%d connections, want the broken one and a new one", n)
				}
			})
		})
	}
}

// TestProbeLink_PongStandsWhenPublishReplyBreaks: the PONG arrives, then
// the riding PUBLISH's reply begins and stalls; the link is dropped, but
// the PING counts as answered (the node did answer it).
func TestProbeLink_PongStandsWhenPublishReplyBreaks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		n := 0
		node := newProbeNode(":1\r\n")
		answer := node.reply
		node.reply = func(chunk []byte) []byte {
			if bytes.Contains(chunk, []byte("PUBLISH")) && bytes.Contains(chunk, []byte("PING")) {
				mu.Lock()
				n++
				mu.Unlock()
				return []byte("+PONG\r\n:")
			}
			return answer(chunk)
		}
		p, inputs, stop := runProbePool(t, node)
		defer stop()
		r := pingThenRide(t, p, inputs)
		if n == 0 {
			t.Fatal("the hello did not ride with the PING")
		}
		if r.Kind != monitor.ReplyPong {
			t.Errorf("node answered PONG but PING reported %v", r.Kind)
		}
	})
}

// TestProbeLink_TurnWaitEndsAtDeadline: a PING that finds the link's turn
// taken (waitProven's PING in flight) waits for it no longer than its
// deadline, and no longer than its context; a free turn is taken at once.
func TestProbeLink_TurnWaitEndsAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &probeLink{turn: make(chan struct{}, 1)}
		if err := l.takeTurn(t.Context(), time.Now()); err != nil {
			t.Fatalf("free turn: %v", err)
		}
		start := time.Now()
		if err := l.takeTurn(t.Context(), start.Add(time.Second)); !errors.Is(err, errCommandTimeout) {
			t.Fatalf("taken turn, deadline passes: %v", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("waited %v for the turn, want the 1s to the deadline", waited)
		}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		if err := l.takeTurn(ctx, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
			t.Fatalf("taken turn, context cancelled: %v", err)
		}
		<-l.turn
		if err := l.takeTurn(t.Context(), time.Now().Add(time.Second)); err != nil {
			t.Fatalf("turn given back: %v", err)
		}
	})
}
