package monitor

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

func oneMaster(extra func(*MasterConfig)) Config {
	mc := MasterConfig{Name: "m", Addr: addr("10.0.0.1", 6379), MasterSettings: settings.MasterSettings{Quorum: 2, DownAfter: time.Second, FailoverTimeout: 3 * time.Second}}
	if extra != nil {
		extra(&mc)
	}
	return Config{MyID: "me", Masters: []MasterConfig{mc}}
}

func TestNew_RejectsBadConfig(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"empty myid", Config{}},
		{"quorum 0", oneMaster(func(m *MasterConfig) { m.Quorum = 0 })},
		{"port 0", oneMaster(func(m *MasterConfig) { m.Addr.Port = 0 })},
		{"port too big", oneMaster(func(m *MasterConfig) { m.Addr.Port = 70000 })},
		{"empty host", oneMaster(func(m *MasterConfig) { m.Addr.Host = "" })},
		{"empty name", oneMaster(func(m *MasterConfig) { m.Name = "" })},
		{"name with comma", oneMaster(func(m *MasterConfig) { m.Name = "a,b" })},
		{"negative down-after", oneMaster(func(m *MasterConfig) { m.DownAfter = -1 })},
		{"duplicate", func() Config {
			c := oneMaster(nil)
			c.Masters = append(c.Masters, c.Masters[0])
			return c
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.MyID == "" && tc.name != "empty myid" {
				tc.cfg.MyID = "me"
			}
			if _, err := New(tc.cfg, rng); !errors.Is(err, ErrBadConfig) {
				t.Fatalf("New err = %v, want ErrBadConfig", err)
			}
		})
	}
	if _, err := New(oneMaster(nil), nil); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("nil rng: err = %v, want ErrBadConfig", err)
	}
}

func TestNew_DefaultsAndWatches(t *testing.T) {
	cfg := oneMaster(func(m *MasterConfig) {
		m.DownAfter, m.FailoverTimeout, m.ParallelSyncs = 0, 0, 0
		m.KnownReplicas = []Addr{addr("10.0.0.2", 6379), {}}
		m.KnownSentinels = []KnownSentinel{{Addr: addr("10.0.0.9", 26379), RunID: "s2"}, {Addr: addr("10.0.0.8", 26379), RunID: "me"}}
	})
	c, err := New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	rd := c.Ready()
	var watched []string
	for _, a := range rd.Actions {
		if w, ok := a.(Watch); ok {
			watched = append(watched, w.Target.String()+"/"+w.Kind.String())
		}
	}
	want := []string{"10.0.0.1:6379/master", "10.0.0.2:6379/slave", "10.0.0.9:26379/sentinel"}
	if !slices.Equal(watched, want) {
		t.Fatalf("watched %v, want %v", watched, want)
	}
	mv := c.Snapshot(at(0)).Master("m")
	if mv.DownAfter != 30*time.Second || mv.FailoverTimeout != 180*time.Second || mv.ParallelSyncs != 1 {
		t.Fatalf("defaults not applied: %+v", mv)
	}
}

func TestStep_RejectsMalformedInput(t *testing.T) {
	c := newTestCore(t, oneMaster(nil))
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"nil", nil},
		{"tick without time", Tick{}},
		{"bad ping kind", PingResult{At: at(0), Target: addr("10.0.0.1", 6379), Kind: 99}},
		{"bad info kind", InfoResult{At: at(0), Target: addr("10.0.0.1", 6379), Kind: 99}},
		{"bad info role", InfoResult{At: at(0), Target: addr("10.0.0.1", 6379), Info: NodeInfo{Role: 7}}},
		{"hello without run id", HelloReceived{At: at(0), Hello: Hello{MasterName: "m", SentinelAddr: addr("a", 1), MasterAddr: addr("b", 2)}}},
		{"hello with bad port", HelloReceived{At: at(0), Hello: Hello{RunID: "x", MasterName: "m", SentinelAddr: addr("a", 0), MasterAddr: addr("b", 2)}}},
		{"bad peer kind", PeerReply{At: at(0), Master: "m", Kind: 42}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Snapshot(at(0))
			if err := c.Step(tc.in); !errors.Is(err, ErrBadInput) {
				t.Fatalf("Step err = %v, want ErrBadInput", err)
			}
			if rd := c.Ready(); len(rd.Actions)+len(rd.Events) != 0 {
				t.Fatalf("malformed input produced output: %+v", rd)
			}
			if after := c.Snapshot(at(0)); after.CurrentEpoch != before.CurrentEpoch || len(after.Masters) != len(before.Masters) {
				t.Fatal("malformed input changed the state")
			}
		})
	}
}

// Selection and SLAVEOF NO ONE happen in one step, so a promoted replica
// that is disconnected in send_slaveof_noone can only be set up directly.
func TestFailover_SendReplicaOfNoOneTimesOut(t *testing.T) {
	c := newTestCore(t, oneMaster(func(m *MasterConfig) { m.KnownReplicas = []Addr{addr("10.0.0.2", 6379)} }))
	mustStep(t, c, Tick{At: at(0)})
	c.Ready()
	m := c.masters[0]
	r := m.replicas[0]
	m.inst.flags |= FlagFailoverInProgress
	m.failoverState = FailoverSendReplicaOfNoOne
	m.failoverStateSince = at(0)
	m.promoted = r
	r.flags |= FlagPromoted
	r.link.disconnected = true

	for ms := 100; ms <= 3000; ms += 100 {
		mustStep(t, c, Tick{At: at(time.Duration(ms) * time.Millisecond)})
		rd := c.Ready()
		for _, a := range rd.Actions {
			if _, ok := a.(ReplicaOf); ok {
				t.Fatalf("ReplicaOf sent to a disconnected replica at %d ms", ms)
			}
		}
		if hasEvent(rd, "-failover-abort-slave-timeout") {
			t.Fatalf("aborted early at %d ms", ms)
		}
	}
	mustStep(t, c, Tick{At: at(3100 * time.Millisecond)})
	rd := c.Ready()
	if !hasEvent(rd, "-failover-abort-slave-timeout") {
		t.Fatalf("no abort after failover-timeout: %v", eventTypes(rd))
	}
	if m.failoverState != FailoverNone || r.flags&FlagPromoted != 0 || m.promoted != nil {
		t.Fatalf("abort left state behind: state %s flags %s", m.failoverState, r.flags)
	}
}

// A peer's "down" about the old master, asked before a switch but answered
// after it, must not count against the new master.
func TestSwitch_DropsStalePeerOpinions(t *testing.T) {
	cfg := oneMaster(func(m *MasterConfig) {
		m.Quorum = 2
		m.KnownReplicas = []Addr{addr("10.0.0.2", 6379)}
		m.KnownSentinels = []KnownSentinel{{Addr: addr("10.0.0.9", 26379), RunID: "s2"}}
	})
	c := newTestCore(t, cfg)
	mustStep(t, c, Tick{At: at(0)})
	mustStep(t, c, PingResult{At: at(1), Target: addr("10.0.0.9", 26379), Kind: ReplyPong})
	m := c.masters[0]
	// The master goes SDOWN; we ask s2.
	for ms := 100; ms <= 2200; ms += 100 {
		mustStep(t, c, Tick{At: at(time.Duration(ms) * time.Millisecond)})
		mustStep(t, c, PingResult{At: at(time.Duration(ms) * time.Millisecond), Target: addr("10.0.0.9", 26379), Kind: ReplyPong})
	}
	if m.inst.flags&FlagSDown == 0 {
		t.Fatal("setup: master not SDOWN")
	}
	s := m.sentinels[0]
	if s.askPending == 0 {
		t.Fatal("setup: no ask in flight")
	}
	// A peer announces a newer configuration: switch to 10.0.0.2.
	mustStep(t, c, HelloReceived{At: at(2250 * time.Millisecond), Via: addr("10.0.0.2", 6379), Hello: Hello{
		SentinelAddr: addr("10.0.0.9", 26379), RunID: "s2", CurrentEpoch: 1, MasterName: "m",
		MasterAddr: addr("10.0.0.2", 6379), MasterConfigEpoch: 1,
	}})
	if m.inst.addr != addr("10.0.0.2", 6379) {
		t.Fatalf("no switch: master at %s", m.inst.addr)
	}
	// The answer to the pre-switch question arrives.
	mustStep(t, c, PeerReply{At: at(2260 * time.Millisecond), Master: "m", Peer: "s2", Down: true, LeaderRunID: "*"})
	if s.flags&FlagMasterDown != 0 {
		t.Fatal("stale down opinion about the old master counted for the new one")
	}
	// Make the new master SDOWN: only a fresh opinion may make it ODOWN.
	m.inst.flags |= FlagSDown
	m.inst.sdownSince = at(2300 * time.Millisecond)
	c.checkODown(m, at(2300*time.Millisecond))
	if m.inst.flags&FlagODown != 0 {
		t.Fatal("new master ODOWN without a fresh opinion")
	}
}

func TestSnapshot_IsDeepAndComplete(t *testing.T) {
	cfg := oneMaster(func(m *MasterConfig) {
		m.ConfigEpoch, m.LeaderEpoch, m.Leader = 4, 3, "s2"
		m.RenameCommands = map[string]string{"CONFIG": "XCONFIG"}
		m.AuthPass = "secret"
		m.KnownReplicas = []Addr{addr("10.0.0.3", 6379), addr("10.0.0.2", 6379)}
		m.KnownSentinels = []KnownSentinel{{Addr: addr("10.0.0.9", 26379), RunID: "s9"}, {Addr: addr("10.0.0.8", 26379), RunID: "s2"}}
	})
	cfg.CurrentEpoch = 7
	c := newTestCore(t, cfg)
	s := c.Snapshot(at(time.Second))
	mv := s.Master("m")
	if s.MyID != "me" || s.CurrentEpoch != 7 || mv == nil {
		t.Fatalf("snapshot header wrong: %+v", s)
	}
	if mv.ConfigEpoch != 4 || mv.LeaderEpoch != 3 || mv.Leader != "s2" || mv.AuthPass != "secret" || mv.CurrentAddr != addr("10.0.0.1", 6379) {
		t.Fatalf("master view wrong: %+v", mv)
	}
	if len(mv.Replicas) != 2 || mv.Replicas[0].Addr != addr("10.0.0.2", 6379) || mv.Replicas[0].Name != "10.0.0.2:6379" {
		t.Fatalf("replicas not sorted by address: %+v", mv.Replicas)
	}
	if len(mv.Sentinels) != 2 || mv.Sentinels[0].Name != "s2" {
		t.Fatalf("sentinels not sorted by run id: %+v", mv.Sentinels)
	}
	mv.RenameCommands["CONFIG"] = "changed"
	mv.Replicas[0].Addr.Port = 1
	again := c.Snapshot(at(time.Second)).Master("m")
	if again.RenameCommands["CONFIG"] != "XCONFIG" || again.Replicas[0].Addr.Port != 6379 {
		t.Fatal("snapshot shares memory with the core")
	}
}

func TestDebugValues_OrderAndRoundTrip(t *testing.T) {
	c := newTestCore(t, Config{MyID: "me"})
	if err := c.Debug([]Setting{{Name: "tilt-period", Value: "1234"}}); err != nil {
		t.Fatal(err)
	}
	var names []string
	var tilt string
	for _, s := range c.DebugValues() {
		names = append(names, s.Name)
		if s.Name == "TILT-PERIOD" {
			tilt = s.Value
		}
	}
	want := []string{"INFO-PERIOD", "PING-PERIOD", "ASK-PERIOD", "PUBLISH-PERIOD", "DEFAULT-DOWN-AFTER",
		"DEFAULT-FAILOVER-TIMEOUT", "TILT-TRIGGER", "TILT-PERIOD", "SLAVE-RECONF-TIMEOUT",
		"MIN-LINK-RECONNECT-PERIOD", "ELECTION-TIMEOUT", "SCRIPT-MAX-RUNTIME", "SCRIPT-RETRY-DELAY"}
	if !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	if tilt != "1234" {
		t.Fatalf("TILT-PERIOD = %s, want 1234", tilt)
	}
}
