package monitor

import (
	"errors"
	"testing"
	"time"
)

func TestLinkInputsValidated(t *testing.T) {
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("db.test", 6379), Quorum: 1}}})
	target := addr("db.test", 6379)
	bad := []Input{
		Resolved{At: at(time.Second), Target: target, IP: "db.test"},
		Resolved{At: at(time.Second), Target: target, IP: ""},
		Resolved{At: at(time.Second), Target: target, IP: "10.0.0.1:6379"},
		SubscribeResult{At: at(time.Second), Target: target, Kind: ReplyOther + 1},
		Resolved{Target: target, IP: "10.0.0.1"}, // no time
	}
	for _, in := range bad {
		if err := c.Step(in); !errors.Is(err, ErrBadInput) {
			t.Errorf("Step(%#v) = %v, want ErrBadInput", in, err)
		}
	}
	// Nothing malformed got in: the name is still shown as it is.
	if got := c.Snapshot(at(time.Second)).Masters[0].ReplyAddr; got != target {
		t.Errorf("ReplyAddr after malformed inputs = %v, want %v", got, target)
	}
	for _, ip := range []string{"10.0.0.1", "::ffff:10.0.0.1", "fe80::1"} {
		mustStep(t, c, Resolved{At: at(time.Second), Target: target, IP: ip})
	}
}

func TestAddressMatching(t *testing.T) {
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("db-0.test", 6379), Quorum: 1, KnownReplicas: []Addr{addr("db-1.test", 6379), addr("10.0.0.3", 6379)}}}})
	m := c.masterByName("m")
	mustStep(t, c, Resolved{At: at(time.Second), Target: addr("db-0.test", 6379), IP: "10.0.0.1"})
	mustStep(t, c, Resolved{At: at(time.Second), Target: addr("db-1.test", 6379), IP: "::ffff:10.0.0.2"})

	cases := []struct {
		host string
		a    Addr
		want bool
	}{
		{"db-0.test", addr("db-0.test", 6379), true},
		{"DB-0.TEST", addr("db-0.test", 6379), true},
		{"10.0.0.1", addr("db-0.test", 6379), true},
		{"::ffff:10.0.0.1", addr("db-0.test", 6379), true},
		{"10.0.0.2", addr("db-1.test", 6379), true}, // resolved as IPv4-mapped
		{"10.0.0.9", addr("db-0.test", 6379), false},
		{"db-1.test", addr("db-0.test", 6379), false},
		{"10.0.0.1", addr("nosuch.test", 6379), false}, // never resolved
	}
	for _, tc := range cases {
		if got := c.hostIs(tc.host, tc.a); got != tc.want {
			t.Errorf("hostIs(%q, %v) = %v, want %v", tc.host, tc.a, got, tc.want)
		}
	}
	if c.addrIs(addr("10.0.0.1", 6380), addr("db-0.test", 6379)) {
		t.Error("addrIs ignored the port")
	}

	known := []struct{ a, want Addr }{
		{addr("10.0.0.1", 6379), addr("db-0.test", 6379)},
		{addr("10.0.0.2", 6379), addr("db-1.test", 6379)},
		{addr("10.0.0.3", 6379), addr("10.0.0.3", 6379)},
		{addr("10.0.0.2", 6380), addr("10.0.0.2", 6380)},
		{addr("db-9.test", 6379), addr("db-9.test", 6379)},
	}
	for _, k := range known {
		if got := c.knownAs(m, k.a); got != k.want {
			t.Errorf("knownAs(%v) = %v, want %v", k.a, got, k.want)
		}
	}
	if !c.knownAt(m, addr("10.0.0.2", 6379)) || c.knownAt(m, addr("10.0.0.4", 6379)) {
		t.Error("knownAt does not follow knownAs")
	}
}

// The announced address follows the setting and the latest resolution;
// IP literals are never rewritten.
func TestAnnounced(t *testing.T) {
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("db-0.test", 6379), Quorum: 1, KnownReplicas: []Addr{addr("10.0.0.3", 6379)}}}})
	name := addr("db-0.test", 6379)
	if got := c.announced(name); got != name {
		t.Errorf("unresolved: %v", got)
	}
	mustStep(t, c, Resolved{At: at(time.Second), Target: name, IP: "10.0.0.1"})
	if got := c.announced(name); got != addr("10.0.0.1", 6379) {
		t.Errorf("resolved: %v", got)
	}
	mustStep(t, c, Resolved{At: at(2 * time.Second), Target: name, IP: "10.0.0.11"})
	if got := c.announced(name); got != addr("10.0.0.11", 6379) {
		t.Errorf("moved: %v", got)
	}
	c.SetAnnounceHostnames(at(3*time.Second), true)
	if got := c.announced(name); got != name {
		t.Errorf("announce-hostnames yes: %v", got)
	}
	if got := c.announced(addr("10.0.0.3", 6379)); got != addr("10.0.0.3", 6379) {
		t.Errorf("IP literal: %v", got)
	}
}
