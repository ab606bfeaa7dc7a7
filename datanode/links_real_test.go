package datanode

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// nextSubscribe waits for the next SubscribeResult about addr.
func nextSubscribe(t *testing.T, h *poolHarness, addr monitor.Addr) monitor.ReplyKind {
	t.Helper()
	return next(t, h, func(s monitor.SubscribeResult) bool { return s.Target == addr }).Kind
}

// pingResolved PINGs addr until it answers PONG and checks that the core
// was told, before that answer, that the name now resolves to ip.
func pingResolved(t *testing.T, h *poolHarness, addr monitor.Addr, ip string) {
	t.Helper()
	var resolved string
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		h.pool.Do(monitor.Ping{Target: addr, Master: "m"})
		var pong bool
		h.collect(t, func(in monitor.Input) bool {
			switch in := in.(type) {
			case monitor.Resolved:
				resolved = in.IP
			case monitor.PingResult:
				pong = in.Kind == monitor.ReplyPong
				return true
			}
			return false
		})
		return pong
	}, "PING %s", addr)
	if resolved != ip {
		t.Fatalf("%s resolved to %q before its PONG, want %s", addr, resolved, ip)
	}
}

// A node that requires a password we lack (-NOAUTH), or refuses the one we
// have (-WRONGPASS), cannot be subscribed: the core hears it, and hears the
// subscription work once the right password is set and the links reopen
// (SENTINEL SET auth-pass does that through Reconnect).
func TestPool_SubscriptionNeedsAuth_RealRedis(t *testing.T) {
	r := startRedis(t, "s3cret", "requirepass s3cret")
	var pass atomic.Value
	pass.Store("")
	h := startPool(t, Options{Credentials: func(string) (string, string) { return "", pass.Load().(string) }})
	h.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})

	if k := nextSubscribe(t, h, r.addr); k != monitor.ReplyOther {
		t.Fatalf("subscription without a password: %v, want other (-NOAUTH)", k)
	}
	// The command link is connected; the node answers, but not validly.
	if k := pingOnce(t, h, r.addr); k != monitor.ReplyOther {
		t.Fatalf("PING without a password: %v, want other (-NOAUTH)", k)
	}

	pass.Store("wrong")
	h.pool.Do(monitor.Reconnect{Target: r.addr})
	// A wrong password fails the same way (-WRONGPASS at AUTH).
	if k := pingOnce(t, h, r.addr); k != monitor.ReplyOther {
		t.Fatalf("PING with a wrong password: %v, want other (-WRONGPASS)", k)
	}

	pass.Store("s3cret")
	h.pool.Do(monitor.Reconnect{Target: r.addr})
	if k := nextSubscribe(t, h, r.addr); k != monitor.ReplyPong {
		t.Fatalf("subscription with the password: %v, want pong", k)
	}
	if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
		t.Fatalf("PING with the password: %v, want pong", k)
	}

	// The node dies: the subscription fails, at the connection level.
	r.kill(t)
	if k := nextSubscribe(t, h, r.addr); k != monitor.ReplyConnErr {
		t.Fatalf("subscription to a dead node: %v, want connerr", k)
	}
}

// A node known by name that comes back at a new address (a rescheduled pod:
// same name, same port, new IP) is reached there on the next connection,
// and the core learns the new address. The private resolver stands in for
// DNS; 127.0.0.1 and 127.0.0.2 for the two pod addresses.
func TestPool_NameFollowsNewAddress_RealRedis(t *testing.T) {
	a := startRedis(t, "")
	var n names
	n.set("db.test", "127.0.0.1")
	h := startPool(t, Options{LookupHost: n.lookup, ReconnectMax: -1})
	named := monitor.Addr{Host: "db.test", Port: a.addr.Port}
	h.pool.Do(monitor.Watch{Target: named, Kind: monitor.KindMaster, Master: "m"})

	pingResolved(t, h, named, "127.0.0.1")
	runA := infoOnce(t, h, named).Info.RunID

	a.kill(t)
	b := datanodetest.StartRedis(t, datanodetest.RedisOptions{Host: "127.0.0.2", Port: a.addr.Port})
	n.set("db.test", "127.0.0.2")

	// The link to the old address is broken; the next PING redials, which
	// resolves again.
	pingResolved(t, h, named, "127.0.0.2")
	runB := infoOnce(t, h, named).Info.RunID
	if runB == "" || runB == runA {
		t.Fatalf("INFO run_id %q after the move (before: %q): not the new node %s", runB, runA, b.Addr())
	}
}
