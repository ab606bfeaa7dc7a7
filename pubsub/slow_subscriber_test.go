package pubsub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// bigEvent is larger than the 16 KB buffers the old writer bypassed.
func bigEvent(i int) string {
	head := "event-" + strconv.Itoa(i) + " "
	return head + strings.Repeat("x", 20<<10-len(head))
}

// The accounting itself, with no goroutine and no clock: the hard limit,
// an event larger than the limit on its own, the soft limit held for
// SoftFor, and bytes released by done.
func TestSubscriberOutputLimit(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	now := func() time.Time { return at }
	slowCalls := 0
	onSlow := func(int) { slowCalls++ }

	t.Run("hard", func(t *testing.T) {
		slowCalls = 0
		s := newSubscriber(OutputLimit{Hard: 100}, onSlow)
		for i := range 10 {
			if q, slow := s.push(make([]byte, 10), now); !q || slow {
				t.Fatalf("push %d within the limit: queued %v slow %v", i, q, slow)
			}
		}
		if q, slow := s.push(make([]byte, 1), now); q || !slow {
			t.Fatalf("push over the limit: queued %v slow %v", q, slow)
		}
		if q, slow := s.push(make([]byte, 1), now); q || slow || slowCalls != 1 {
			t.Fatalf("push after slow: queued %v, slow %v, onSlow called %d times", q, slow, slowCalls)
		}
		if frames, _ := s.take(nil, deliverChunk); len(frames) != 0 {
			t.Fatalf("a slow subscriber still has %d frames queued", len(frames))
		}
	})

	t.Run("one event larger than the limit", func(t *testing.T) {
		slowCalls = 0
		s := newSubscriber(OutputLimit{Hard: 16 << 10}, onSlow)
		if q, slow := s.push(make([]byte, 20<<10), now); q || !slow || slowCalls != 1 {
			t.Fatalf("a 20 KB event against a 16 KB limit: queued %v slow %v", q, slow)
		}
	})

	t.Run("in flight bytes stay accounted until done", func(t *testing.T) {
		slowCalls = 0
		s := newSubscriber(OutputLimit{Hard: 100}, onSlow)
		s.push(make([]byte, 60), now)
		frames, n := s.take(nil, deliverChunk)
		if len(frames) != 1 || n != 60 || s.pendingBytes() != 60 {
			t.Fatalf("take: %d frames, %d bytes, %d pending", len(frames), n, s.pendingBytes())
		}
		if q, _ := s.push(make([]byte, 60), now); q {
			t.Fatal("a push counting the bytes being written should exceed the limit")
		}
		s2 := newSubscriber(OutputLimit{Hard: 100}, onSlow)
		s2.push(make([]byte, 60), now)
		_, n = s2.take(nil, deliverChunk)
		s2.done(n)
		if q, _ := s2.push(make([]byte, 60), now); !q || s2.pendingBytes() != 60 {
			t.Fatalf("after done: queued %v, %d pending", q, s2.pendingBytes())
		}
	})

	t.Run("soft", func(t *testing.T) {
		slowCalls = 0
		s := newSubscriber(OutputLimit{Soft: 100, SoftFor: time.Minute}, onSlow)
		s.push(make([]byte, 150), now) // over soft from now on
		at = at.Add(59 * time.Second)
		if q, _ := s.push(make([]byte, 1), now); !q {
			t.Fatal("dropped before SoftFor elapsed")
		}
		at = at.Add(time.Second)
		if q, slow := s.push(make([]byte, 1), now); q || !slow || slowCalls != 1 {
			t.Fatalf("over the soft limit for SoftFor: queued %v slow %v", q, slow)
		}
	})

	t.Run("soft clock restarts below the soft limit", func(t *testing.T) {
		slowCalls = 0
		s := newSubscriber(OutputLimit{Soft: 100, SoftFor: time.Minute}, onSlow)
		s.push(make([]byte, 150), now)
		_, n := s.take(nil, deliverChunk)
		s.done(n) // drained: under the soft limit again
		at = at.Add(2 * time.Minute)
		if q, _ := s.push(make([]byte, 150), now); !q {
			t.Fatal("dropped although it went under the soft limit in between")
		}
		if slowCalls != 0 {
			t.Fatalf("onSlow called %d times", slowCalls)
		}
	})
}

// smallSendBuffer shrinks the kernel send buffer of the server's end of
// client id, so that a client that stops reading fills it after a few
// hundred KB instead of the megabytes autotuning allows on loopback.
func smallSendBuffer(t *testing.T, ts *testServer, id string) {
	t.Helper()
	for _, c := range ts.clientList() {
		if strconv.FormatUint(c.id, 10) == id {
			if err := c.conn.(*net.TCPConn).SetWriteBuffer(64 << 10); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("client %s not found", id)
}

// clientIDs returns the ids listed by CLIENT LIST.
func clientIDs(t *testing.T, admin *rawConn) map[string]string {
	t.Helper()
	v := admin.do("CLIENT", "LIST")
	out := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(v.Str), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 {
			out[strings.TrimPrefix(fields[0], "id=")] = line
		}
	}
	return out
}

func field(line, name string) string {
	for f := range strings.FieldsSeq(line) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			return v
		}
	}
	return ""
}

func expectEvent(t *testing.T, c *rawConn, channel, payload string) {
	t.Helper()
	v := c.read()
	if len(v.Elems) != 3 || v.Elems[0].Str != "message" || v.Elems[1].Str != channel || v.Elems[2].Str != payload {
		got := fmt.Sprintf("%v (%d elems)", v.Kind, len(v.Elems))
		if len(v.Elems) == 3 {
			got = fmt.Sprintf("%s %s %.20q…", v.Elems[0].Str, v.Elems[1].Str, v.Elems[2].Str)
		}
		t.Fatalf("got %s, want message %s %.20q…", got, channel, payload)
	}
}

// drainUntilClosed reads what the server had sent, then expects the end of
// the stream (EOF, or a reset since the server closed with unread data).
func drainUntilClosed(t *testing.T, c *rawConn) {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, err := io.Copy(io.Discard, c.conn); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("stalled subscriber: %v, want the connection closed", err)
	}
}

// A real TCP subscriber stops reading while > 16 KB events are published:
// once its pending output passes the limit it is dropped (closed, gone from
// CLIENT LIST and from the client gauge), while a healthy subscriber gets
// every event before, during and after.
func TestStalledSubscriberIsDroppedAtOutputLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes megabytes over loopback")
	}
	ts := startServer(t, func(o *Options) {
		o.OutputLimit = OutputLimit{Hard: 1 << 20}
		o.WriteTimeout = time.Minute // the limit must act, not the timeout
	})
	stalled := dialRaw(t, ts.addr)
	stalledID := strconv.FormatInt(stalled.do("CLIENT", "ID").Int, 10)
	smallSendBuffer(t, ts, stalledID)
	stalled.do("SUBSCRIBE", "+sdown")
	healthy := dialRaw(t, ts.addr)
	healthy.do("SUBSCRIBE", "+sdown")
	admin := dialRaw(t, ts.addr)

	published := 0
	for ; published < 5000 && ts.metricValue(t, "sentinel_pubsub_slow_subscribers_disconnected_total") == 0; published++ {
		ev := bigEvent(published)
		if n := ts.Publish("+sdown", ev); n < 1 {
			t.Fatalf("event %d reached %d subscribers", published, n)
		}
		expectEvent(t, healthy, "+sdown", ev)
	}
	if got := ts.metricValue(t, "sentinel_pubsub_slow_subscribers_disconnected_total"); got != 1 {
		t.Fatalf("after %d events of 20 KB: slow subscribers dropped = %v, want 1", published, got)
	}
	for i := range 3 {
		ev := bigEvent(published + i)
		if n := ts.Publish("+sdown", ev); n != 1 {
			t.Fatalf("after the drop an event reached %d subscribers, want only the healthy one", n)
		}
		expectEvent(t, healthy, "+sdown", ev)
	}
	drainUntilClosed(t, stalled)
	eventually(t, "the stalled subscriber to leave CLIENT LIST", func() bool {
		_, listed := clientIDs(t, admin)[stalledID]
		return !listed
	})
	eventually(t, "the client gauge to count 2", func() bool {
		return ts.metricValue(t, "sentinel_pubsub_clients") == 2
	})
}

// A subscriber whose socket is full for WriteTimeout is closed by the
// timeout, counted as slow, and its connection released; meanwhile its
// backlog shows in CLIENT LIST omem.
func TestStalledSubscriberIsClosedByWriteTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes megabytes over loopback")
	}
	ts := startServer(t, func(o *Options) {
		o.OutputLimit = OutputLimit{Hard: 1 << 30} // only the timeout can act
		o.WriteTimeout = 300 * time.Millisecond
	})
	stalled := dialRaw(t, ts.addr)
	stalledID := strconv.FormatInt(stalled.do("CLIENT", "ID").Int, 10)
	smallSendBuffer(t, ts, stalledID)
	stalled.do("SUBSCRIBE", "+sdown")
	healthy := dialRaw(t, ts.addr)
	healthy.do("SUBSCRIBE", "+sdown")
	admin := dialRaw(t, ts.addr)

	// Keep about 1 MB waiting for the stalled subscriber (its delivery
	// drains far faster than that unless its socket is full) until the
	// timeout closes it; a scheduling hiccup only means more events.
	i := 0
	eventually(t, "the stalled subscriber to be closed by the write timeout", func() bool {
		line, listed := clientIDs(t, admin)[stalledID]
		if !listed {
			return true
		}
		if omem, _ := strconv.Atoi(field(line, "omem")); omem < 1<<20 && i < 5000 {
			ev := bigEvent(i)
			ts.Publish("+sdown", ev)
			expectEvent(t, healthy, "+sdown", ev)
			i++
		}
		return false
	})
	drainUntilClosed(t, stalled)
	if got := ts.metricValue(t, "sentinel_pubsub_slow_subscribers_disconnected_total"); got != 1 {
		t.Fatalf("slow subscribers = %v, want 1", got)
	}
	ev := bigEvent(-1)
	if n := ts.Publish("+sdown", ev); n != 1 {
		t.Fatalf("event reached %d subscribers, want 1", n)
	}
	expectEvent(t, healthy, "+sdown", ev)
}

// pipeClient runs one connection of srv over net.Pipe inside a synctest
// bubble; it returns the client end and a function that closes the
// connection and waits for its goroutines to end.
func pipeClient(t *testing.T, srv *Server, wrap func(net.Conn) net.Conn) (*rawConn, *client, func()) {
	t.Helper()
	serverEnd, clientEnd := net.Pipe()
	conn := net.Conn(serverEnd)
	if wrap != nil {
		conn = wrap(serverEnd)
	}
	c := srv.register(conn)
	if c == nil {
		t.Fatal("register refused the connection")
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv.conns.Go(func() { c.serve(ctx) })
	rc := &rawConn{t: t, conn: clientEnd, vr: resp.NewValueReader(clientEnd, resp.Limits{MaxBulkLen: 64 << 20})}
	stop := func() {
		cancel()
		c.close()
		_ = clientEnd.Close()
		srv.conns.Wait() // serve, or the goroutine it handed the connection to
	}
	return rc, c, stop
}

func newBubbleServer(t *testing.T, mutate func(*Options)) *Server {
	t.Helper()
	opts := Options{Addrs: []string{"127.0.0.1:0"}, Controller: newFakeController()}
	if mutate != nil {
		mutate(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// The zombie of issue 7: a subscriber idle for longer than WriteTimeout,
// then a > 16 KB event. The old writer sent it around its buffer with the
// deadline of the last flush, long expired, kept the timeout as a sticky
// error that flush never reported, and the subscriber stayed connected and
// listed without ever getting another event. Every write now gets a fresh
// deadline: the event and the next one are delivered.
func TestSubscriberIdlePastWriteTimeoutGetsNextEvents(t *testing.T) {
	srv := newBubbleServer(t, func(o *Options) { o.WriteTimeout = 10 * time.Second })
	synctest.Test(t, func(t *testing.T) {
		sub, _, stop := pipeClient(t, srv, nil)
		defer stop()
		sub.do("SUBSCRIBE", "+switch-master")
		time.Sleep(11 * time.Second) // idle past the deadline of the last write
		for i := range 2 {
			ev := bigEvent(i)
			if n := srv.Publish("+switch-master", ev); n != 1 {
				t.Fatalf("event %d reached %d subscribers", i, n)
			}
			expectEvent(t, sub, "+switch-master", ev)
		}
	})
}

// failingWrites fails every write once armed, like a peer that reset the
// connection; reads go on normally.
type failingWrites struct {
	net.Conn
	armed atomic.Bool
}

func (f *failingWrites) Write(p []byte) (int, error) {
	if f.armed.Load() {
		return 0, errors.New("connection reset by peer")
	}
	return f.Conn.Write(p)
}

// A write error on a subscriber closes it at once: the connection ends and
// the client is unregistered (nothing keeps a dead subscriber listed).
func TestSubscriberWriteErrorClosesConnection(t *testing.T) {
	srv := newBubbleServer(t, nil)
	synctest.Test(t, func(t *testing.T) {
		var fw *failingWrites
		sub, c, stop := pipeClient(t, srv, func(nc net.Conn) net.Conn {
			fw = &failingWrites{Conn: nc}
			return fw
		})
		defer stop()
		sub.do("SUBSCRIBE", "+sdown")
		fw.armed.Store(true)
		srv.Publish("+sdown", "master mymaster 127.0.0.1 6379")
		synctest.Wait()
		if _, err := sub.vr.ReadValue(); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("subscriber read %v, want the connection closed", err)
		}
		synctest.Wait()
		for _, o := range srv.clientList() {
			if o == c {
				t.Fatal("the failed subscriber is still listed")
			}
		}
		if n := srv.Publish("+sdown", "again"); n != 0 {
			t.Fatalf("a closed subscriber still counted by Publish: %d", n)
		}
	})
}

// A connection that ran commands and then waits idleHandOff for the next
// one moves to a fresh goroutine (whose stack starts at the minimum again)
// and keeps working; one that ran nothing since is left alone.
func TestIdleConnectionMovesToFreshGoroutine(t *testing.T) {
	srv := newBubbleServer(t, nil)
	synctest.Test(t, func(t *testing.T) {
		cl, c, stop := pipeClient(t, srv, nil)
		defer stop()
		if v := cl.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); len(v.Elems) != 2 {
			t.Fatalf("reply = %+v", v)
		}
		time.Sleep(idleHandOff - time.Millisecond)
		synctest.Wait()
		if n := c.handOffs.Load(); n != 0 {
			t.Fatalf("handed off after %v idle: %d", idleHandOff-time.Millisecond, n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n := c.handOffs.Load(); n != 1 {
			t.Fatalf("hand-offs after %v idle = %d, want 1", idleHandOff, n)
		}
		if v := cl.do("PING"); v.Str != "PONG" {
			t.Fatalf("PING after the hand-off = %+v", v)
		}
		time.Sleep(3 * idleHandOff)
		synctest.Wait()
		if n := c.handOffs.Load(); n != 2 {
			t.Fatalf("hand-offs = %d, want 2: one after the PING, none for a goroutine that ran nothing", n)
		}
		if v := cl.do("PING"); v.Str != "PONG" {
			t.Fatalf("PING = %+v", v)
		}
	})
}

// The idle deadline is for the wait between commands: a command that
// arrives in pieces across it is read whole, on the same goroutine.
func TestIdleDeadlineDoesNotCutACommand(t *testing.T) {
	srv := newBubbleServer(t, nil)
	synctest.Test(t, func(t *testing.T) {
		cl, c, stop := pipeClient(t, srv, nil)
		defer stop()
		cl.do("PING") // ran a command: the idle deadline is armed
		cmd := encode("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
		cl.send(cmd[:10])
		time.Sleep(2 * idleHandOff)
		cl.send(cmd[10:])
		if v := cl.read(); len(v.Elems) != 2 || v.Elems[1].Str != "16380" {
			t.Fatalf("reply = %+v", v)
		}
		if n := c.handOffs.Load(); n != 0 {
			t.Fatalf("hand-offs = %d in the middle of a command", n)
		}
	})
}
