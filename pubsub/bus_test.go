package pubsub

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// TestPubSubWireRESP2 replays testdata/redis-7.0.15/transcript-pubsub.txt
// (proto 2) and expects the same bytes.
func TestPubSubWireRESP2(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"SUBSCRIBE", "+set", "+foo"}, "*3\r\n$9\r\nsubscribe\r\n$4\r\n+set\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$4\r\n+foo\r\n:2\r\n"},
		{[]string{"PSUBSCRIBE", "+s*"}, "*3\r\n$10\r\npsubscribe\r\n$3\r\n+s*\r\n:3\r\n"},
		{[]string{"PING"}, "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
		{[]string{"PING", "x"}, "*2\r\n$4\r\npong\r\n$1\r\nx\r\n"},
		{[]string{"SENTINEL", "myid"}, "-ERR Can't execute 'sentinel|myid': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"},
		{[]string{"SUBSCRIBE", "+set"}, "*3\r\n$9\r\nsubscribe\r\n$4\r\n+set\r\n:3\r\n"},
		{nil, "*3\r\n$7\r\nmessage\r\n$4\r\n+set\r\n$48\r\nmaster mymaster 127.0.0.1 16380 parallel-syncs 1\r\n*4\r\n$8\r\npmessage\r\n$3\r\n+s*\r\n$4\r\n+set\r\n$48\r\nmaster mymaster 127.0.0.1 16380 parallel-syncs 1\r\n"},
		{[]string{"UNSUBSCRIBE", "+foo"}, "*3\r\n$11\r\nunsubscribe\r\n$4\r\n+foo\r\n:2\r\n"},
		{[]string{"PUNSUBSCRIBE"}, "*3\r\n$12\r\npunsubscribe\r\n$3\r\n+s*\r\n:1\r\n"},
		{[]string{"UNSUBSCRIBE"}, "*3\r\n$11\r\nunsubscribe\r\n$4\r\n+set\r\n:0\r\n"},
		{[]string{"UNSUBSCRIBE"}, "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"},
		{[]string{"PING"}, "+PONG\r\n"},
	}
	replay(t, ts, c, steps)
}

func TestPubSubWireRESP3(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	c.do("HELLO", "3")
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"SUBSCRIBE", "+set", "+foo"}, ">3\r\n$9\r\nsubscribe\r\n$4\r\n+set\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$4\r\n+foo\r\n:2\r\n"},
		{[]string{"PSUBSCRIBE", "+s*"}, ">3\r\n$10\r\npsubscribe\r\n$3\r\n+s*\r\n:3\r\n"},
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"PING", "x"}, "$1\r\nx\r\n"},
		// RESP3 allows every command in a subscribed connection.
		{[]string{"SENTINEL", "myid"}, "$40\r\n0dbc6b01093fd9b696051ff693c897ad0924d24d\r\n"},
		{[]string{"SUBSCRIBE", "+set"}, ">3\r\n$9\r\nsubscribe\r\n$4\r\n+set\r\n:3\r\n"},
		{nil, ">3\r\n$7\r\nmessage\r\n$4\r\n+set\r\n$48\r\nmaster mymaster 127.0.0.1 16380 parallel-syncs 1\r\n>4\r\n$8\r\npmessage\r\n$3\r\n+s*\r\n$4\r\n+set\r\n$48\r\nmaster mymaster 127.0.0.1 16380 parallel-syncs 1\r\n"},
		{[]string{"UNSUBSCRIBE", "+foo"}, ">3\r\n$11\r\nunsubscribe\r\n$4\r\n+foo\r\n:2\r\n"},
		{[]string{"PUNSUBSCRIBE"}, ">3\r\n$12\r\npunsubscribe\r\n$3\r\n+s*\r\n:1\r\n"},
		{[]string{"UNSUBSCRIBE"}, ">3\r\n$11\r\nunsubscribe\r\n$4\r\n+set\r\n:0\r\n"},
		{[]string{"UNSUBSCRIBE"}, ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"},
	}
	replay(t, ts, c, steps)
}

// replay sends each step's command (nil: publish the +set event) and
// compares the exact reply bytes.
func replay(t *testing.T, ts *testServer, c *rawConn, steps []struct {
	args []string
	want string
}) {
	t.Helper()
	for _, st := range steps {
		if st.args == nil {
			if n := ts.Publish("+set", "master mymaster 127.0.0.1 16380 parallel-syncs 1"); n != 2 {
				t.Fatalf("Publish reached %d, want 2 (channel and pattern)", n)
			}
		} else {
			c.send(encode(st.args...))
		}
		got := c.readExact(len(st.want))
		if string(got) != st.want {
			t.Fatalf("%q:\n got %q\nwant %q", st.args, got, st.want)
		}
	}
}

func TestSlowSubscriberIsDisconnected(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.OutputLimit = OutputLimit{Hard: 256 << 10} })
	slow := dialRaw(t, ts.addr)
	slow.do("SUBSCRIBE", "+sdown")
	fast := dialRaw(t, ts.addr)
	fast.do("SUBSCRIBE", "+odown")

	if n := ts.Publish("nobody-listens", "x"); n != 0 {
		t.Fatalf("Publish without subscribers = %d", n)
	}
	// 64 MB to a client that never reads: more than the limit plus every
	// socket buffer on the way, so the limit must be reached. Publish must
	// return each time regardless.
	big := strings.Repeat("x", 64<<10)
	for range 1024 {
		ts.Publish("+sdown", big)
	}
	if got := ts.metricValue(t, "sentinel_pubsub_slow_subscribers_disconnected_total"); got != 1 {
		t.Fatalf("slow subscribers disconnected = %v, want 1", got)
	}
	if n := ts.Publish("+sdown", "after"); n != 0 {
		t.Errorf("a disconnected subscriber still counted: %d", n)
	}
	// The slow client sees whatever was flushed, then the end of the stream.
	_ = slow.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, err := io.Copy(io.Discard, slow.conn); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("draining the slow client: %v", err)
	}
	// Others are unaffected.
	if n := ts.Publish("+odown", "master mymaster 127.0.0.1 16380 #quorum 2/2"); n != 1 {
		t.Fatalf("fast subscriber not reached: %d", n)
	}
	if v := fast.read(); len(v.Elems) != 3 || v.Elems[2].Str != "master mymaster 127.0.0.1 16380 #quorum 2/2" {
		t.Fatalf("fast subscriber got %+v", v)
	}
	if got := ts.metricValue(t, "sentinel_pubsub_slow_subscribers_disconnected_total"); got != 1 {
		t.Fatalf("slow subscribers disconnected = %v after the fast one read, want 1", got)
	}
}

func BenchmarkPublishFanOut(b *testing.B) {
	bs := newBus(newMetrics(nil))
	subs := make([]*subscriber, 100)
	for i := range subs {
		subs[i] = newSubscriber(DefaultOutputLimit(), func(int) { b.Fatal("subscriber turned slow") })
		bs.add(i%2 == 1, []string{"+switch-master", "+*"}[i%2], subs[i])
	}
	var frames [][]byte
	b.ReportAllocs()
	for b.Loop() {
		bs.publish("+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6379")
		for _, s := range subs {
			var n int
			frames, n = s.take(frames[:0], deliverChunk)
			s.done(n)
		}
	}
}

// TestHelloSwitchesMessageFraming: a subscriber that switches protocol
// gets pushes in the new framing from then on.
func TestHelloSwitchesMessageFraming(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	c.do("SUBSCRIBE", "+tilt")
	ts.Publish("+tilt", "#tilt mode entered")
	if v := c.read(); v.Kind != resp.KindArray || v.Elems[0].Str != "message" {
		t.Fatalf("RESP2 message = %+v", v)
	}
	// HELLO is refused inside a RESP2 subscription (only pub/sub commands
	// are allowed there), so the switch is tested from a RESP3 session.
	c3 := dialRaw(t, ts.addr)
	c3.do("HELLO", "3")
	c3.do("SUBSCRIBE", "+tilt")
	if n := ts.Publish("+tilt", "#tilt mode exited"); n != 2 {
		t.Fatalf("Publish reached %d, want 2", n)
	}
	if v := c.read(); v.Kind != resp.KindArray || v.Elems[2].Str != "#tilt mode exited" {
		t.Fatalf("RESP2 subscriber got %+v", v)
	}
	if v := c3.read(); v.Kind != resp.KindPush || v.Elems[2].Str != "#tilt mode exited" {
		t.Fatalf("RESP3 subscriber got %+v", v)
	}
	if v := c3.do("HELLO", "2"); v.Kind != resp.KindArray {
		t.Fatalf("HELLO 2 inside a RESP3 subscription = %+v", v)
	}
	ts.Publish("+tilt", "again")
	if v := c3.read(); v.Kind != resp.KindArray || v.Elems[0].Str != "message" || v.Elems[2].Str != "again" {
		t.Fatalf("after HELLO 2 the subscriber got %+v", v)
	}
	if v := c.read(); v.Elems[2].Str != "again" {
		t.Fatalf("RESP2 subscriber got %+v", v)
	}
	if got := errText(t, c.do("HELLO", "3")); !strings.HasPrefix(got, "ERR Can't execute 'hello'") {
		t.Fatalf("HELLO inside a RESP2 subscription = %q", got)
	}
}

// TestPublishConcurrentWithChurn publishes from several goroutines while
// clients unsubscribe and disconnect; run with -race. Publishers work in
// bursts the test releases, so no reader can fall a whole queue behind and
// be (rightly) disconnected as slow. Every frame a reader gets must be a
// well-formed message.
func TestPublishConcurrentWithChurn(t *testing.T) {
	ts := startServer(t, nil)
	const publishers, burst = 2, 100
	release := make(chan struct{})
	finished := make(chan struct{}, publishers)
	for range publishers {
		go func() {
			defer func() { finished <- struct{}{} }()
			for range release {
				for range burst {
					ts.Publish("+sdown", "master mymaster 127.0.0.1 16380")
				}
			}
		}()
	}
	defer func() {
		close(release)
		for range publishers {
			<-finished
		}
	}()
	for range 20 {
		c := dialRaw(t, ts.addr)
		c.send(encode("PSUBSCRIBE", "+s*") + encode("SUBSCRIBE", "+sdown"))
		// The bursts of the previous round may still run: a pmessage can
		// come between the two confirmations.
		for confirmed, frames := 0, 0; confirmed < 2; frames++ {
			if frames == 2+2*publishers*burst {
				t.Fatal("no SUBSCRIBE confirmation among the frames of the bursts")
			}
			switch v := c.read(); {
			case len(v.Elems) == 3 && (v.Elems[0].Str == "psubscribe" || v.Elems[0].Str == "subscribe"):
				confirmed++
			case len(v.Elems) < 3 || v.Elems[0].Str != "pmessage":
				t.Fatalf("malformed frame before the confirmations %+v", v)
			}
		}
		for range publishers {
			release <- struct{}{}
		}
		for seen := 0; seen < 5; seen++ {
			v := c.read()
			if len(v.Elems) < 3 || (v.Elems[0].Str != "message" && v.Elems[0].Str != "pmessage") ||
				v.Elems[len(v.Elems)-1].Str != "master mymaster 127.0.0.1 16380" {
				t.Fatalf("malformed frame %+v", v)
			}
		}
		// Leave while the bursts may still be running.
		c.send(encode("UNSUBSCRIBE"))
		_ = c.conn.Close()
	}
}
