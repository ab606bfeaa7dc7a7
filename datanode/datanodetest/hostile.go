package datanodetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// HostileCase is one way a broken or hostile data node can misbehave.
type HostileCase struct {
	Name string
	// Reply overrides the answer to a command (upper-cased name, then its
	// arguments): ok false keeps the well-behaved answer; out nil with ok
	// sends nothing and keeps the connection open (a hang).
	Reply func(args []string) (out []byte, ok bool)
	// OnAccept is called right after accepting and may take over the
	// connection: it returns false to close it at once without reading.
	OnAccept func(ctx context.Context, conn net.Conn) bool
	// Stream, when set, is written after the reply to the first matching
	// command, up to StreamBytes (an endless body after a huge header).
	Stream      []byte
	StreamAfter string // the command after which Stream is written
	StreamBytes int64
}

// CheckCounters fails t when the case must make the links refuse a reply
// and they did not, or when a pub/sub reply shape made them panic; rejected
// and panics are the sums of sentinel_datanode_replies_rejected_total and
// sentinel_datanode_panics_recovered_total over the case.
func (hc HostileCase) CheckCounters(t testing.TB, rejected, panics float64) {
	t.Helper()
	switch hc.Name {
	case "nested-array-pong", "short-subscribe-reply":
		// go-redis's PubSub panicked on these (recovered); the hello
		// link's own reader (datanode/hellolink.go) drops or ignores them.
		if panics > 0 {
			t.Errorf("%v panics recovered: the pub/sub reader should refuse this reply shape without one", panics)
		}
	case "huge-array", "huge-bulk-then-silence", "huge-array-everywhere", "huge-info", "garbage", "deep-nesting", "endless-status-line":
		if rejected < 1 {
			t.Errorf("no reply rejected")
		}
	}
}

// PingAnswered reports whether the case answers PING itself properly, so
// that the node is not judged down.
func (hc HostileCase) PingAnswered() bool {
	return hc.Name == "huge-info" || hc.Name == "short-subscribe-reply"
}

// HostileCases are the misbehaviours every link must survive (issue 7):
// each row is a reply a real redis-sentinel 7.0.15 survives with bounded
// memory and a bounded reconnect rate.
func HostileCases() []HostileCase {
	always := func(b string) func([]string) ([]byte, bool) {
		return func([]string) ([]byte, bool) { return []byte(b), true }
	}
	on := func(cmd, b string) func([]string) ([]byte, bool) {
		return func(args []string) ([]byte, bool) {
			if args[0] != cmd {
				return nil, false
			}
			return []byte(b), true
		}
	}
	return []HostileCase{
		{
			// PING answered by a nested array; the subscription gets one
			// too, which go-redis's PubSub cannot take apart.
			Name: "nested-array-pong",
			Reply: func(args []string) ([]byte, bool) {
				switch args[0] {
				case "PING":
					return []byte("*1\r\n*1\r\n+PONG\r\n"), true
				case "SUBSCRIBE":
					return append(subscribed(args), "*1\r\n*1\r\n+PONG\r\n"...), true
				}
				return nil, false
			},
		},
		{
			// The subscription confirmation is one element short.
			Name:  "short-subscribe-reply",
			Reply: on("SUBSCRIBE", "*1\r\n$9\r\nsubscribe\r\n"),
		},
		// PING answered by a 2^31-element array header (go-redis would
		// allocate 32 GiB for it) or a 2^31-byte bulk header and silence.
		{Name: "huge-array", Reply: on("PING", "*2147483647\r\n")},
		{Name: "huge-bulk-then-silence", Reply: on("PING", "$2147483647\r\n")},
		// The same header as the answer to every command, the handshake
		// (HELLO, AUTH, CLIENT SETNAME) included.
		{Name: "huge-array-everywhere", Reply: always("*2147483647\r\n")},
		{
			// INFO announced as 1 GiB; 64 MiB of it is sent.
			Name:        "huge-info",
			Reply:       on("INFO", "$1073741824\r\n"),
			Stream:      bytes.Repeat([]byte("x"), 64<<10),
			StreamAfter: "INFO",
			StreamBytes: 64 << 20,
		},
		{
			Name:     "close-at-once",
			OnAccept: func(context.Context, net.Conn) bool { return false },
		},
		{
			Name: "garbage",
			OnAccept: func(ctx context.Context, conn net.Conn) bool {
				junk := make([]byte, 4<<10)
				for i := range junk {
					junk[i] = byte(rand.IntN(256))
				}
				for range 64 {
					if ctx.Err() != nil {
						break
					}
					_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
					if _, err := conn.Write(junk); err != nil {
						break
					}
				}
				return false
			},
		},
		{Name: "hang", Reply: func([]string) ([]byte, bool) { return nil, true }},
		{Name: "deep-nesting", Reply: always(strings.Repeat("*1\r\n", 100000))},
		{
			Name:        "endless-status-line",
			Reply:       on("PING", "+"),
			Stream:      bytes.Repeat([]byte("a"), 64<<10),
			StreamAfter: "PING",
			StreamBytes: 64 << 20,
		},
	}
}

// subscribed is a well-formed SUBSCRIBE confirmation for the first channel.
func subscribed(args []string) []byte {
	ch := ""
	if len(args) > 1 {
		ch = args[1]
	}
	return fmt.Appendf(nil, "*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n", len(ch), ch)
}

// HostileNode is a TCP server on loopback that answers like a minimal
// Redis master except where its HostileCase says otherwise. It counts
// connections and commands so tests can see what the sentinel did.
type HostileNode struct {
	c      HostileCase
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	accepts atomic.Int64
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	counts  map[string]int
}

// StartHostileNode starts c on a free loopback port; it stops (every
// connection closed, every goroutine returned) when the test ends.
func StartHostileNode(t testing.TB, c HostileCase) *HostileNode {
	t.Helper()
	h, err := ListenHostile(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// ListenHostile starts c on a free loopback port; Close stops it.
func ListenHostile(c HostileCase) (*HostileNode, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(Loopback, "0"))
	if err != nil {
		return nil, fmt.Errorf("datanodetest: hostile node: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &HostileNode{c: c, ln: ln, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}, counts: map[string]int{}}
	h.wg.Go(h.acceptLoop)
	return h, nil
}

// Addr is host:port; Port the port.
func (h *HostileNode) Addr() string { return h.ln.Addr().String() }

// Port is the listening port.
func (h *HostileNode) Port() int { return h.ln.Addr().(*net.TCPAddr).Port }

// Accepts is the number of connections accepted so far.
func (h *HostileNode) Accepts() int64 { return h.accepts.Load() }

// Commands is how many times the named (upper-case) command arrived.
func (h *HostileNode) Commands(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[name]
}

// Close stops the node and waits for its goroutines; safe to call twice.
func (h *HostileNode) Close() {
	h.cancel()
	_ = h.ln.Close()
	h.mu.Lock()
	for c := range h.conns {
		_ = c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *HostileNode) acceptLoop() {
	for {
		conn, err := h.ln.Accept()
		if err != nil {
			return // closed
		}
		h.accepts.Add(1)
		h.mu.Lock()
		if h.ctx.Err() != nil {
			h.mu.Unlock()
			_ = conn.Close()
			return
		}
		h.conns[conn] = struct{}{}
		h.mu.Unlock()
		h.wg.Go(func() {
			defer func() {
				h.mu.Lock()
				delete(h.conns, conn)
				h.mu.Unlock()
				_ = conn.Close()
			}()
			if h.c.OnAccept != nil && !h.c.OnAccept(h.ctx, conn) {
				return
			}
			h.serve(conn)
		})
	}
}

// maxCommandBytes bounds what the fake reads per command: the sentinel only
// sends short commands.
const maxCommandBytes = 64 << 10

func (h *HostileNode) serve(conn net.Conn) {
	rd := bufio.NewReader(conn)
	streamed := false
	for h.ctx.Err() == nil {
		args, err := readCommand(rd)
		if err != nil {
			return
		}
		name := strings.ToUpper(args[0])
		args[0] = name
		h.mu.Lock()
		h.counts[name]++
		h.mu.Unlock()
		out, ok := []byte(nil), false
		if h.c.Reply != nil {
			out, ok = h.c.Reply(args)
		}
		if !ok {
			out = normalReply(args)
		}
		if len(out) > 0 {
			_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write(out); err != nil {
				return
			}
		}
		if h.c.Stream != nil && !streamed && name == h.c.StreamAfter {
			streamed = true
			for sent := int64(0); sent < h.c.StreamBytes && h.ctx.Err() == nil; sent += int64(len(h.c.Stream)) {
				_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if _, err := conn.Write(h.c.Stream); err != nil {
					return
				}
			}
		}
	}
}

// normalReply is what a healthy master would answer.
func normalReply(args []string) []byte {
	switch args[0] {
	case "HELLO":
		return []byte("-ERR unknown command 'HELLO'\r\n")
	case "PING":
		return []byte("+PONG\r\n")
	case "INFO":
		info := "# Server\r\nrun_id:" + strings.Repeat("f", 40) + "\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
		return fmt.Appendf(nil, "$%d\r\n%s\r\n", len(info), info)
	case "PUBLISH":
		return []byte(":0\r\n")
	case "SUBSCRIBE":
		return subscribed(args)
	}
	return []byte("+OK\r\n")
}

// readCommand reads one RESP array of bulk strings, bounded.
func readCommand(rd *bufio.Reader) ([]string, error) {
	n, err := readLen(rd, '*')
	if err != nil {
		return nil, err
	}
	if n < 1 || n > 64 {
		return nil, fmt.Errorf("hostile node: command of %d arguments", n)
	}
	args := make([]string, 0, n)
	total := 0
	for range n {
		l, err := readLen(rd, '$')
		if err != nil {
			return nil, err
		}
		total += l
		if l < 0 || total > maxCommandBytes {
			return nil, errors.New("hostile node: command too long")
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(rd, b); err != nil {
			return nil, err
		}
		args = append(args, string(b[:l]))
	}
	return args, nil
}

func readLen(rd *bufio.Reader, prefix byte) (int, error) {
	line, err := rd.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 4 || line[0] != prefix || line[len(line)-2] != '\r' {
		return 0, fmt.Errorf("hostile node: bad line %q", line)
	}
	return strconv.Atoi(string(line[1 : len(line)-2]))
}
