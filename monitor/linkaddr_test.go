package monitor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

func TestLinkInputsValidated(t *testing.T) {
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("db.test", 6379), MasterSettings: settings.MasterSettings{Quorum: 1}}}})
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
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("db-0.test", 6379), KnownReplicas: []Addr{addr("db-1.test", 6379), addr("10.0.0.3", 6379)}, MasterSettings: settings.MasterSettings{Quorum: 1}}}})
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
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("db-0.test", 6379), KnownReplicas: []Addr{addr("10.0.0.3", 6379)}, MasterSettings: settings.MasterSettings{Quorum: 1}}}})
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

// Host-name universe for FuzzHostNames: names, the IPs they may resolve to
// (some shared with IP-literal instances), and the two ports.
var (
	fuzzHosts = []string{"db-0.test", "db-1.test", "db-2.test", "10.0.0.1", "10.0.0.2", "10.0.0.3"}
	fuzzIPs   = []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.11", "::ffff:10.0.0.2"}
)

func fuzzHostAddr(r *byteReader) Addr {
	return addr(fuzzHosts[r.pick(len(fuzzHosts))], 6379+r.pick(2))
}

// FuzzHostNames drives a core whose instances are known by names and IPs
// with resolutions, subscription results, INFO, hellos and questions that
// name them either way, and checks the core invariants after each step,
// plus that a shown address is the instance's own or its name's latest IP.
func FuzzHostNames(f *testing.F) {
	f.Add([]byte{1, 0, 0, 2, 3, 0, 1, 1, 0})
	f.Add([]byte{1, 0, 0, 1, 1, 1, 4, 0, 0, 3, 1, 5, 0, 4, 1, 1, 1, 6, 0, 4, 0, 1, 2, 7})
	f.Add([]byte("\x01\x00\x00\x00\x01\x04\x01\x01\x00\x05\x00\x04\x02\x01\x03\x00\x05\x06\x00\x00\x00"))
	f.Fuzz(fuzzHostNamesBody)
}

func fuzzHostNamesBody(t *testing.T, data []byte) {
	{
		if len(data) > 1000 {
			data = data[:1000]
		}
		c, err := New(Config{MyID: "me", Masters: []MasterConfig{
			{
				Name:           "m",
				Addr:           addr("db-0.test", 6379),
				KnownReplicas:  []Addr{addr("db-1.test", 6379), addr("10.0.0.3", 6379)},
				KnownSentinels: fuzzPeers[:1],
				MasterSettings: settings.MasterSettings{Quorum: 1, DownAfter: 500 * time.Millisecond, FailoverTimeout: time.Second},
			},
		}}, rand.New(rand.NewPCG(3, 3)))
		if err != nil {
			t.Fatal(err)
		}
		ic := newInvariantChecker()
		ic.check(t, c, c.Ready(), "New")
		r := &byteReader{b: data}
		now := t0
		for step := 0; !r.done(); step++ {
			op := r.pick(8)
			what := fmt.Sprintf("step %d op %d", step, op)
			var in Input
			switch op {
			case 0:
				now = now.Add(time.Duration(r.pick(40)+1) * 10 * time.Millisecond)
				in = Tick{At: now}
			case 1:
				in = Resolved{At: now, Target: fuzzHostAddr(r), IP: fuzzIPs[r.pick(len(fuzzIPs))]}
			case 2:
				in = SubscribeResult{At: now, Target: fuzzHostAddr(r), Kind: ReplyKind(r.pick(7))}
			case 3:
				in = PingResult{At: now, Target: fuzzHostAddr(r), Kind: ReplyKind(r.pick(7))}
			case 4:
				ni := NodeInfo{RunID: fuzzIDs[r.pick(len(fuzzIDs))] + "run", ReplicaPriority: 100, ReplicaAnnounced: true}
				if r.pick(2) == 0 {
					ni.Role = RoleMaster
					for k := r.pick(3); k > 0; k-- {
						ni.Replicas = append(ni.Replicas, ReplicaLine{Addr: fuzzHostAddr(r)})
					}
				} else {
					ni.Role = RoleReplica
					ma := fuzzHostAddr(r)
					ni.MasterHost, ni.MasterPort, ni.MasterLinkUp = ma.Host, ma.Port, true
				}
				in = InfoResult{At: now, Target: fuzzHostAddr(r), Info: ni}
			case 5:
				p := fuzzPeers[r.pick(len(fuzzPeers))]
				in = HelloReceived{At: now, Via: fuzzHostAddr(r), Hello: Hello{
					SentinelAddr: p.Addr, RunID: p.RunID, CurrentEpoch: uint64(r.pick(4)),
					MasterName: "m", MasterAddr: fuzzHostAddr(r), MasterConfigEpoch: uint64(r.pick(4)),
				}}
			case 6:
				c.IsMasterDownByAddr(now, IsMasterDownRequest{Addr: fuzzHostAddr(r), CurrentEpoch: uint64(r.pick(4)), RunID: fuzzIDs[r.pick(len(fuzzIDs))]})
			case 7:
				c.SetAnnounceHostnames(now, r.pick(2) == 0)
			}
			if in != nil {
				if err := c.Step(in); err != nil {
					t.Fatalf("%s: Step(%+v): %v", what, in, err)
				}
			}
			ic.check(t, c, c.Ready(), what)
			checkShown(t, c, c.Snapshot(now), what)
		}
	}
}

// checkShown: every shown address is the instance's own, or (without
// announce-hostnames) its name's latest IP on the same port.
func checkShown(t *testing.T, c *Core, s *Snapshot, what string) {
	t.Helper()
	ok := func(v InstanceView) {
		if v.ReplyAddr == v.Addr {
			return
		}
		l := c.links[v.Addr]
		if c.announceHostnames || l == nil || v.ReplyAddr != addr(l.ip, v.Addr.Port) {
			t.Fatalf("%s: %v shown as %v (announce-hostnames %v)", what, v.Addr, v.ReplyAddr, c.announceHostnames)
		}
	}
	for _, m := range s.Masters {
		ok(m.InstanceView)
		if m.CurrentReplyAddr != c.announced(m.CurrentAddr) {
			t.Fatalf("%s: current %v shown as %v", what, m.CurrentAddr, m.CurrentReplyAddr)
		}
		for _, r := range m.Replicas {
			ok(r.InstanceView)
		}
		for _, p := range m.Sentinels {
			ok(p.InstanceView)
		}
	}
}

// helloTargets lists the targets of the hellos in rd.
func helloTargets(rd Ready) []Addr {
	var out []Addr
	for _, a := range rd.Actions {
		if h, ok := a.(PublishHello); ok {
			out = append(out, h.Target)
		}
	}
	return out
}

// TestSubscribe_ConfirmedSubscriptionSendsHelloAtNextTick: a data node's
// hello goes out at the tick after its subscription is confirmed, not a
// publish period after the last one (peers that started with us published
// theirs before we listened); a confirmation that changes nothing (the
// subscription was already up) does not, and neither does a failed one.
func TestSubscribe_ConfirmedSubscriptionSendsHelloAtNextTick(t *testing.T) {
	master := addr("10.0.0.1", 6379)
	c := newTestCore(t, oneMaster(nil))
	mustStep(t, c, Tick{At: at(0)})
	mustStep(t, c, PingResult{At: at(10 * time.Millisecond), Target: master, Kind: ReplyPong})
	mustStep(t, c, Tick{At: at(100 * time.Millisecond)})
	if got := helloTargets(c.Ready()); len(got) != 1 {
		t.Fatalf("setup: first hello through %v, want one through the master", got)
	}
	// 300 ms later the periodic hello is not due (2 s period).
	mustStep(t, c, Tick{At: at(400 * time.Millisecond)})
	if got := helloTargets(c.Ready()); len(got) != 0 {
		t.Fatalf("hello through %v 300 ms after the last one", got)
	}
	mustStep(t, c, SubscribeResult{At: at(450 * time.Millisecond), Target: master, Kind: ReplyPong})
	mustStep(t, c, Tick{At: at(500 * time.Millisecond)})
	if got := helloTargets(c.Ready()); len(got) != 1 || got[0] != master {
		t.Fatalf("after the subscription was confirmed: hellos through %v, want one through %s", got, master)
	}
	// Confirmed again with nothing in between, or failed: the cadence stands.
	mustStep(t, c, SubscribeResult{At: at(550 * time.Millisecond), Target: master, Kind: ReplyPong})
	mustStep(t, c, SubscribeResult{At: at(560 * time.Millisecond), Target: master, Kind: ReplyConnErr})
	mustStep(t, c, Tick{At: at(600 * time.Millisecond)})
	if got := helloTargets(c.Ready()); len(got) != 0 {
		t.Fatalf("hello through %v after a repeated or failed confirmation", got)
	}
	// A new subscription after the failure: at once again.
	mustStep(t, c, SubscribeResult{At: at(650 * time.Millisecond), Target: master, Kind: ReplyPong})
	mustStep(t, c, Tick{At: at(700 * time.Millisecond)})
	if got := helloTargets(c.Ready()); len(got) != 1 {
		t.Fatalf("after resubscribing: hellos through %v, want one", got)
	}
}
