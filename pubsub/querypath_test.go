package pubsub

import (
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// TestQueryPath_CommandCacheKeepsErrors: a connection that repeats a
// command resolves it from its cache; other spellings, another
// subcommand of the same container and the container alone still get
// their own replies.
func TestQueryPath_CommandCacheKeepsErrors(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	for range 2 {
		if v := c.do("SENTINEL", "get-master-addr-by-name", "mymaster"); len(v.Elems) != 2 {
			t.Fatalf("reply %+v", v)
		}
	}
	if v := c.do("sentinel", "GET-MASTER-ADDR-BY-NAME", "mymaster"); len(v.Elems) != 2 {
		t.Fatalf("other case: %+v", v)
	}
	if got := errText(t, c.do("SENTINEL", "get-master-addr-by-nam", "mymaster")); !strings.HasPrefix(got, "ERR unknown subcommand 'get-master-addr-by-nam'") {
		t.Fatalf("unknown subcommand after a cached one: %q", got)
	}
	if got := errText(t, c.do("SENTINEL")); !strings.Contains(got, "wrong number of arguments") {
		t.Fatalf("container alone: %q", got)
	}
	if got := errText(t, c.do("SENTINEL")); !strings.Contains(got, "wrong number of arguments") {
		t.Fatalf("container alone, again: %q", got)
	}
	if v := c.do("PING"); v.Str != "PONG" {
		t.Fatalf("PING: %+v", v)
	}
	if got := errText(t, c.do("PINGX")); !strings.HasPrefix(got, "ERR unknown command 'PINGX'") {
		t.Fatalf("unknown command after PING: %q", got)
	}
}

// TestQueryPath_ACLChangeSeen: a command allowed before (and remembered
// by the connection) is refused once the user loses it, also when the
// change came from another connection.
func TestQueryPath_ACLChangeSeen(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	admin := dialRaw(t, ts.addr)
	wantOK(t, admin.do("ACL", "SETUSER", "bob", "on", ">bpw", "~*", "&*", "+@all"))
	wantOK(t, c.do("AUTH", "bob", "bpw"))
	for range 2 {
		if v := c.do("PING"); v.Str != "PONG" {
			t.Fatalf("PING: %+v", v)
		}
	}
	wantOK(t, admin.do("ACL", "SETUSER", "bob", "-ping"))
	wantErr(t, c.do("PING"), "NOPERM this user has no permissions to run the 'ping' command")
	wantOK(t, admin.do("ACL", "SETUSER", "bob", "+ping"))
	if v := c.do("PING"); v.Str != "PONG" {
		t.Fatalf("PING allowed again: %+v", v)
	}
}

// TestQueryPath_AddrReplyFollowsSnapshot: the rendered replies of one
// snapshot are not served for the next; an unknown master is null in
// either protocol.
func TestQueryPath_AddrReplyFollowsSnapshot(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	get := func() resp.Value { return c.do("SENTINEL", "get-master-addr-by-name", "mymaster") }
	if v := get(); len(v.Elems) != 2 || v.Elems[0].Str != "127.0.0.1" || v.Elems[1].Str != "16380" {
		t.Fatalf("reply %+v", v)
	}
	snap := fixtureSnapshot()
	snap.Masters[0].CurrentAddr = monitor.Addr{Host: "10.1.2.3", Port: 7000}
	ts.ctrl.mu.Lock()
	ts.ctrl.snap = snap
	ts.ctrl.mu.Unlock()
	if v := get(); len(v.Elems) != 2 || v.Elems[0].Str != "10.1.2.3" || v.Elems[1].Str != "7000" {
		t.Fatalf("after the failover: %+v", v)
	}
	if v := c.do("SENTINEL", "get-master-addr-by-name", "nosuch"); v.Kind != resp.KindNull {
		t.Fatalf("unknown master: %+v", v)
	}
	if v := c.do("HELLO", "3"); v.Kind != resp.KindMap {
		t.Fatalf("HELLO 3: %+v", v)
	}
	c.send(encode("SENTINEL", "get-master-addr-by-name", "nosuch"))
	if raw := string(c.readExact(3)); raw != "_\r\n" {
		t.Fatalf("RESP3 unknown master: %q", raw)
	}
}

// The reply caches name their snapshot without holding it: once the
// controller has moved on, the snapshot of the last query is collected
// (it holds every data node's INFO text, a second copy of them all).
func TestQueryPath_CachesDoNotKeepSnapshots(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	old := fixtureSnapshot()
	ts.ctrl.mu.Lock()
	ts.ctrl.snap = old
	ts.ctrl.mu.Unlock()
	if v := c.do("SENTINEL", "get-master-addr-by-name", "mymaster"); len(v.Elems) != 2 {
		t.Fatalf("reply %+v", v)
	}
	if v := c.do("SENTINEL", "masters"); len(v.Elems) != 1 {
		t.Fatalf("SENTINEL MASTERS: %+v", v)
	}
	gone := weak.Make(old)
	old = nil
	ts.ctrl.mu.Lock()
	ts.ctrl.snap = fixtureSnapshot()
	ts.ctrl.mu.Unlock()
	runtime.GC()
	if gone.Value() != nil {
		t.Fatal("a reply cache keeps the snapshot of the last query alive")
	}
	// The caches still follow the new snapshot.
	if v := c.do("SENTINEL", "get-master-addr-by-name", "mymaster"); len(v.Elems) != 2 || v.Elems[1].Str != "16380" {
		t.Fatalf("reply after the snapshot changed: %+v", v)
	}
}

// TestQueryPath_CacheHitsForTheLiveSnapshot: naming the snapshot weakly
// still lets the cache serve every request on the same live snapshot,
// across a collection, and re-render for another.
func TestQueryPath_CacheHitsForTheLiveSnapshot(t *testing.T) {
	s := &Server{}
	snap := fixtureSnapshot()
	s.addrReply(snap, []byte("mymaster"))
	first := s.addrReplies.Load()
	runtime.GC()
	s.addrReply(snap, []byte("mymaster"))
	if s.addrReplies.Load() != first {
		t.Fatal("rendered again for the same live snapshot")
	}
	s.addrReply(fixtureSnapshot(), []byte("mymaster"))
	if s.addrReplies.Load() == first {
		t.Fatal("served another snapshot's replies")
	}
	runtime.KeepAlive(snap)
}
