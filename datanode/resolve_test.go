package datanode

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// names is a private resolver for tests: a map from host name to addresses
// that the test may change at any time, so no test touches /etc/hosts.
type names struct {
	mu  sync.Mutex
	m   map[string][]string
	err error
}

func (n *names) set(host string, ips ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string][]string{}
	}
	n.m[host] = ips
}

func (n *names) lookup(_ context.Context, host string) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return nil, n.err
	}
	ips, ok := n.m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return append([]string(nil), ips...), nil
}

// collect feeds every delivered input to done, in order, until done says
// so or 10 s pass (next drops what it does not wait for; some tests care
// about several inputs and their order).
func (h *poolHarness) collect(t *testing.T, done func(monitor.Input) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case in := <-h.inputs:
			if done(in) {
				return
			}
		case <-deadline:
			t.Fatal("inputs did not complete within 10s")
		}
	}
}

// listen opens a loopback listener that accepts and holds connections
// until the test ends.
func listen(t *testing.T) (port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

func TestDialHost(t *testing.T) {
	port := listen(t)
	closed := datanodetest.FreePort(t)
	ps := strconv.Itoa(port)
	var n names
	n.set("up.test", "127.0.0.1")
	// The first address refuses, the second answers: both are tried.
	n.set("second.test", "not-an-ip", "127.0.0.3", "127.0.0.1")
	n.set("empty.test")
	n.set("garbage.test", "x", "")
	d := &net.Dialer{Timeout: time.Second}
	ctx := t.Context()

	cases := []struct {
		name, addr string
		lookup     LookupHost
		wantIP     string
		wantErr    error // nil: any error is fine when wantIP is ""
	}{
		{"name resolved by the seam", "up.test:" + ps, n.lookup, "127.0.0.1", nil},
		{"later address after a refusal", "second.test:" + ps, n.lookup, "127.0.0.1", nil},
		{"IP literal is not looked up", "127.0.0.1:" + ps, func(context.Context, string) ([]string, error) {
			t.Error("an IP address was looked up")
			return nil, errors.New("unexpected")
		}, "127.0.0.1", nil},
		{"system resolver without a seam", "localhost:" + ps, nil, "127.0.0.1", nil},
		{"unknown name", "nosuch.test:" + ps, n.lookup, "", &net.DNSError{}},
		{"name without addresses", "empty.test:" + ps, n.lookup, "", errNoAddress},
		{"resolver garbage is not dialled", "garbage.test:" + ps, n.lookup, "", errNoAddress},
		{"nothing listens", "up.test:" + strconv.Itoa(closed), n.lookup, "", nil},
		{"no port", "up.test", n.lookup, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := dialHost(ctx, d, c.lookup, "tcp", c.addr)
			if c.wantIP == "" {
				if err == nil {
					_ = conn.Close()
					t.Fatalf("dial %s succeeded, want an error", c.addr)
				}
				var dnsErr *net.DNSError
				switch {
				case c.wantErr == errNoAddress && !errors.Is(err, errNoAddress):
					t.Errorf("err = %v, want errNoAddress", err)
				case c.wantErr != nil && c.wantErr != errNoAddress && !errors.As(err, &dnsErr):
					t.Errorf("err = %v, want a DNS error", err)
				}
				// However it fails, the core sees a link that is not up.
				if Classify(err).Connected() {
					t.Errorf("Classify(%v) = %v, want a disconnected kind", err, Classify(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("dial %s: %v", c.addr, err)
			}
			defer conn.Close()
			if got := conn.RemoteAddr().(*net.TCPAddr).IP.String(); got != c.wantIP {
				t.Errorf("connected to %s, want %s", got, c.wantIP)
			}
		})
	}
}

// A name that does not resolve is a disconnected link (PING fails at the
// connection level, the subscription fails), never an error anywhere else;
// once it resolves, the link comes up and the core learns the address.
func TestPool_UnresolvableNameIsDisconnected(t *testing.T) {
	port := listen(t) // accepts and hangs up: enough to see the dial land
	var n names
	h := startPool(t, Options{LookupHost: n.lookup, CommandTimeout: 500 * time.Millisecond})
	a := monitor.Addr{Host: "db.test", Port: port}
	h.pool.Do(monitor.Watch{Target: a, Kind: monitor.KindMaster, Master: "m"})

	h.pool.Do(monitor.Ping{Target: a, Master: "m"})
	var ping *monitor.PingResult
	var sub *monitor.SubscribeResult
	h.collect(t, func(in monitor.Input) bool {
		switch in := in.(type) {
		case monitor.PingResult:
			ping = &in
		case monitor.SubscribeResult:
			sub = &in
		case monitor.Resolved:
			t.Errorf("Resolved %v for a name that does not resolve", in)
		}
		return ping != nil && sub != nil
	})
	if ping.Kind.Connected() {
		t.Errorf("PING to an unresolvable name: %v, want a disconnected kind", ping.Kind)
	}
	if sub.Kind.Connected() {
		t.Errorf("subscription to an unresolvable name: %v, want a disconnected kind", sub.Kind)
	}

	n.set("db.test", "127.0.0.1")
	h.pool.Do(monitor.Ping{Target: a, Master: "m"})
	h.collect(t, func(in monitor.Input) bool {
		r, ok := in.(monitor.Resolved)
		if ok && r.IP != "127.0.0.1" {
			t.Errorf("Resolved.IP = %q, want 127.0.0.1", r.IP)
		}
		return ok
	})
}

// A pub/sub link whose dial is refused is retried at most every
// ReconnectInitial, and the core hears about it once, not per attempt.
// (It used to redial in a tight loop: ~2,000 dials a second.)
func TestPool_RefusedSubscriptionIsPaced(t *testing.T) {
	port := datanodetest.FreePort(t)
	h := startPool(t, Options{})
	a := monitor.Addr{Host: "127.0.0.1", Port: port}
	h.pool.Do(monitor.Watch{Target: a, Kind: monitor.KindMaster, Master: "m"})

	const window = time.Second
	deadline := time.After(window)
	subs := 0
loop:
	for {
		select {
		case in := <-h.inputs:
			if s, ok := in.(monitor.SubscribeResult); ok {
				subs++
				if s.Kind != monitor.ReplyConnErr {
					t.Errorf("SubscribeResult kind %v, want connerr", s.Kind)
				}
			}
		case <-deadline:
			break loop
		}
	}
	dials := metricValue(t, h.pool.metrics.dials.WithLabelValues(linkPubSub))
	// Each attempt dials twice (go-redis's Subscribe, then its first
	// Receive): at most two attempts per ReconnectInitial, plus the first.
	if max := 2*float64(window/DefaultReconnectInitial) + 2; dials > max {
		t.Errorf("%v pub/sub dials in %v, want at most %v", dials, window, max)
	}
	if dials < 2 {
		t.Errorf("%v pub/sub dials in %v: the link must keep trying", dials, window)
	}
	if subs != 1 {
		t.Errorf("%d SubscribeResult inputs, want exactly 1 (repeated failures are not news)", subs)
	}
}
