package monitor

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// fuzzWorld is a small fixed universe of addresses and ids the decoded
// inputs draw from, so random bytes hit real instances.
var (
	fuzzData  = []Addr{addr("10.0.0.1", 6379), addr("10.0.0.2", 6379), addr("10.0.0.3", 6379), addr("10.0.0.4", 6379)}
	fuzzPeers = []KnownSentinel{{Addr: addr("10.0.0.20", 26379), RunID: "s2"}, {Addr: addr("10.0.0.30", 26379), RunID: "s3"}}
	fuzzIDs   = []string{"me", "s2", "s3", "s4"}
	fuzzNames = []string{"m", "n", "zz"}
)

// byteReader hands out bytes; past the end it returns zeros.
type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) next() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *byteReader) pick(n int) int { return int(r.next()) % n }
func (r *byteReader) done() bool     { return r.i >= len(r.b) }

func fuzzCore(t testing.TB) *Core {
	cfg := Config{MyID: "me", Masters: []MasterConfig{
		{
			Name:           "m",
			Addr:           fuzzData[0],
			KnownReplicas:  fuzzData[1:3],
			KnownSentinels: fuzzPeers,
			MasterSettings: settings.MasterSettings{Quorum: 2, DownAfter: 500 * time.Millisecond, FailoverTimeout: 2 * time.Second},
		},
		{
			Name:           "n",
			Addr:           fuzzData[3],
			KnownSentinels: fuzzPeers[:1],
			MasterSettings: settings.MasterSettings{Quorum: 1, DownAfter: 300 * time.Millisecond, FailoverTimeout: time.Second},
		},
	}}
	cfg.Timers.TiltPeriod = 2 * time.Second
	c, err := New(cfg, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// invariantChecker remembers what it saw across steps.
type invariantChecker struct {
	epoch       uint64
	configEpoch map[*master]uint64 // per master entry: Remove+Monitor starts afresh
	promoted    map[string]Addr    // "master/epoch" -> the one replica told to become master
}

func newInvariantChecker() *invariantChecker {
	return &invariantChecker{configEpoch: map[*master]uint64{}, promoted: map[string]Addr{}}
}

func (ic *invariantChecker) check(t *testing.T, c *Core, rd Ready, what string) {
	t.Helper()
	if c.currentEpoch < ic.epoch {
		t.Fatalf("%s: current epoch went back from %d to %d", what, ic.epoch, c.currentEpoch)
	}
	ic.epoch = c.currentEpoch
	for _, m := range c.masters {
		// The one exception, as in sentinel.c: our own promotion stamps the
		// failover epoch even if a hello brought a higher one meanwhile; the
		// higher configuration then wins again through hello, so the group
		// converges instead of disagreeing forever.
		if m.configEpoch < ic.configEpoch[m] && !(hasEvent(rd, "+promoted-slave") && m.configEpoch == m.failoverEpoch) {
			t.Fatalf("%s: config epoch of %s went back", what, m.name)
		}
		ic.configEpoch[m] = m.configEpoch
		n := 0
		for _, r := range m.replicas {
			if r.flags&FlagPromoted != 0 {
				n++
				if r != m.promoted {
					t.Fatalf("%s: %s flagged promoted but is not the master's promoted replica", what, r.addr)
				}
			}
		}
		if n > 1 {
			t.Fatalf("%s: %d promoted replicas for %s", what, n, m.name)
		}
		if m.inst.flags&FlagFailoverInProgress == 0 && m.failoverState != FailoverNone {
			t.Fatalf("%s: %s in state %s without failover_in_progress", what, m.name, m.failoverState)
		}
	}
	for _, a := range rd.Actions {
		switch a := a.(type) {
		case Ping:
			if c.links[a.Target] == nil {
				t.Fatalf("%s: Ping to unknown %s", what, a.Target)
			}
		case ReplicaOf:
			if c.tilt {
				t.Fatalf("%s: ReplicaOf %s while in TILT", what, a.Target)
			}
			if a.NoOne {
				m := c.masterByName(a.Master)
				if m == nil {
					t.Fatalf("%s: promotion for unknown master %s", what, a.Master)
				}
				key := fmt.Sprintf("%s/%d", a.Master, m.failoverEpoch)
				if prev, ok := ic.promoted[key]; ok && prev != a.Target {
					t.Fatalf("%s: two replicas promoted for %s: %s and %s", what, key, prev, a.Target)
				}
				ic.promoted[key] = a.Target
			}
		case AskPeer:
			if c.tilt {
				t.Fatalf("%s: AskPeer while in TILT", what)
			}
		}
	}
}

// FuzzCoreInvariants decodes bytes into a sequence of inputs and operator
// calls and checks after each one that epochs never go back, at most one
// replica is promoted per (master, epoch), nothing acts in TILT, and every
// PING goes to a known instance.
func FuzzCoreInvariants(f *testing.F) {
	f.Add([]byte{0, 5, 0, 5, 0, 5, 0, 200, 1, 0, 0})
	f.Add([]byte("\x00\x10\x00\x10\x00\x10\x00\x10\x00\x10\x00\x10\x04\x00\x01\x01\x01\x00\x04\x00\x01\x01\x00\x00"))
	f.Add([]byte{5, 0, 0, 2, 1, 0, 1, 2, 0, 0, 0, 10, 0, 10, 2, 1, 1, 0, 0})
	f.Add([]byte{3, 1, 1, 2, 9, 0, 3, 3, 0, 1, 1, 2, 9, 1, 1, 3})
	f.Add([]byte{0, 255, 0, 1, 0, 254, 0, 30, 0, 30, 0, 30})
	seed := make([]byte, 400)
	for i := range seed {
		seed[i] = byte(i*37 + i/7)
	}
	f.Add(seed)
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, data []byte) {
	{
		if len(data) > 2000 {
			data = data[:2000]
		}
		c := fuzzCore(t)
		ic := newInvariantChecker()
		ic.check(t, c, c.Ready(), "New")
		r := &byteReader{b: data}
		now := t0
		for step := 0; !r.done(); step++ {
			op := r.pick(8)
			what := fmt.Sprintf("step %d op %d", step, op)
			var in Input
			switch op {
			case 0, 1: // time passes
				b := r.next()
				switch {
				case b == 255:
					now = now.Add(5 * time.Second) // a stall: TILT
				case b == 254:
					now = now.Add(-time.Second) // clock jump back: TILT
				default:
					now = now.Add(time.Duration(b%40+1) * 10 * time.Millisecond)
				}
				in = Tick{At: now}
			case 2:
				target := fuzzData[r.pick(len(fuzzData))]
				if r.pick(4) == 0 {
					target = fuzzPeers[r.pick(len(fuzzPeers))].Addr
				}
				in = PingResult{At: now, Target: target, Kind: ReplyKind(r.pick(7))}
			case 3:
				ni := NodeInfo{RunID: fuzzIDs[r.pick(len(fuzzIDs))] + "run", ReplicaPriority: r.pick(3) * 50, ReplicaReplOffset: int64(r.pick(4)), ReplicaAnnounced: true}
				if r.pick(2) == 0 {
					ni.Role = RoleMaster
					for k := r.pick(3); k > 0; k-- {
						ni.Replicas = append(ni.Replicas, ReplicaLine{Addr: fuzzData[r.pick(len(fuzzData))]})
					}
				} else {
					ni.Role = RoleReplica
					ma := fuzzData[r.pick(len(fuzzData))]
					ni.MasterHost, ni.MasterPort = ma.Host, ma.Port
					ni.MasterLinkUp = r.pick(2) == 0
				}
				in = InfoResult{At: now, Target: fuzzData[r.pick(len(fuzzData))], Kind: ReplyKind(r.pick(3) / 2 * 4), Info: ni}
			case 4:
				p := fuzzPeers[r.pick(len(fuzzPeers))]
				if r.pick(4) == 0 {
					p.Addr.Port++
				}
				id := p.RunID
				if r.pick(5) == 0 {
					id = fuzzIDs[r.pick(len(fuzzIDs))]
				}
				in = HelloReceived{At: now, Via: fuzzData[r.pick(len(fuzzData))], Hello: Hello{
					SentinelAddr: p.Addr, RunID: id, CurrentEpoch: uint64(r.pick(6)),
					MasterName: fuzzNames[r.pick(len(fuzzNames))], MasterAddr: fuzzData[r.pick(len(fuzzData))],
					MasterConfigEpoch: uint64(r.pick(6)),
				}}
			case 5:
				leader := "*"
				if r.pick(2) == 0 {
					leader = fuzzIDs[r.pick(len(fuzzIDs))]
				}
				in = PeerReply{At: now, Master: fuzzNames[r.pick(len(fuzzNames))], Peer: fuzzIDs[r.pick(len(fuzzIDs))],
					Kind: ReplyKind(r.pick(2) * 4), Down: r.pick(3) != 0, LeaderRunID: leader, LeaderEpoch: c.currentEpoch + uint64(r.pick(2))}
			case 6:
				switch r.pick(4) {
				case 0:
					_ = c.Failover(now, fuzzNames[r.pick(len(fuzzNames))], r.pick(2) == 0)
				case 1:
					c.IsMasterDownByAddr(now, IsMasterDownRequest{Addr: fuzzData[r.pick(len(fuzzData))], CurrentEpoch: uint64(r.pick(8)), RunID: fuzzIDs[r.pick(len(fuzzIDs))]})
				case 2:
					_, _ = c.CKQuorum(now, fuzzNames[r.pick(len(fuzzNames))])
				case 3:
					_ = c.Set(now, fuzzNames[r.pick(len(fuzzNames))], []Setting{{Name: "parallel-syncs", Value: fmt.Sprint(r.pick(3))}})
				}
			case 7:
				switch r.pick(6) {
				case 0:
					c.Reset(now, fuzzNames[r.pick(len(fuzzNames))])
				case 1:
					_ = c.Remove(now, fuzzNames[r.pick(len(fuzzNames))])
				case 2:
					_ = c.Monitor(now, MasterConfig{Name: fuzzNames[r.pick(len(fuzzNames))], Addr: fuzzData[r.pick(len(fuzzData))], MasterSettings: settings.MasterSettings{Quorum: 1 + r.pick(2), DownAfter: 400 * time.Millisecond, FailoverTimeout: time.Second}})
				default:
					now = now.Add(time.Duration(r.pick(50)) * time.Millisecond)
					in = Tick{At: now}
				}
			}
			if in != nil {
				if err := c.Step(in); err != nil {
					t.Fatalf("%s: Step(%+v): %v", what, in, err)
				}
			} else {
				c.MarkWakeStale() // as the owner loop does after calls
			}
			// NextWake's cache may answer early, never late or not at all.
			if fresh, got := c.nextWake(), c.NextWake(); !fresh.IsZero() && (got.IsZero() || fresh.Before(got)) {
				t.Fatalf("%s: NextWake %v, a fresh look says %v", what, got, fresh)
			}
			ic.check(t, c, c.Ready(), what)
			if step%16 == 0 {
				_ = c.Snapshot(now)
			}
		}
	}
}

// BenchmarkStepTick measures one Tick over many quiet, healthy masters (each
// with two replicas and two peers), the steady-state cost of the core.
func BenchmarkStepTick(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("masters=%d", n), func(b *testing.B) {
			cfg := Config{MyID: "me"}
			for k := range n {
				host := fmt.Sprintf("10.%d.%d.", k/256, k%256)
				cfg.Masters = append(cfg.Masters, MasterConfig{
					Name:           fmt.Sprintf("m%04d", k),
					Addr:           addr(host+"1", 6379),
					KnownReplicas:  []Addr{addr(host+"2", 6379), addr(host+"3", 6379)},
					KnownSentinels: []KnownSentinel{{Addr: addr("10.255.0.1", 26379), RunID: "s2"}, {Addr: addr("10.255.0.2", 26379), RunID: "s3"}},
					MasterSettings: settings.MasterSettings{Quorum: 2, DownAfter: 5 * time.Second},
				})
			}
			c, err := New(cfg, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				b.Fatal(err)
			}
			c.Ready()
			now := t0
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(100 * time.Millisecond)
				if err := c.Step(Tick{At: now}); err != nil {
					b.Fatal(err)
				}
				// Every probe is answered at once, as on a healthy network.
				for _, a := range c.Ready().Actions {
					switch a := a.(type) {
					case Ping:
						_ = c.Step(PingResult{At: now, Target: a.Target, Kind: ReplyPong})
					case Info:
						_ = c.Step(InfoResult{At: now, Target: a.Target, Kind: ReplyPong, Info: NodeInfo{Role: RoleReplica, ReplicaPriority: 100}})
					}
				}
				c.Ready()
			}
		})
	}
}
