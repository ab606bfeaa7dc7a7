package monitor

import (
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

func TestSetFencing(t *testing.T) {
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("10.0.0.1", 6379), MasterSettings: settings.MasterSettings{Quorum: 1}}}})
	if c.Snapshot(at(0)).Master("m").Fencing {
		t.Fatal("fencing must be off by default")
	}
	args, err := ParseSetArgs([]string{"FENCING", "Yes"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(at(0), "m", args); err != nil || !c.Snapshot(at(0)).Master("m").Fencing {
		t.Fatalf("SET fencing yes: %v", err)
	}
	if err := c.Set(at(0), "m", []Setting{{Name: "fencing", Value: "no"}}); err != nil || c.Snapshot(at(0)).Master("m").Fencing {
		t.Fatalf("SET fencing no: %v", err)
	}
	want := "ERR Invalid argument 'maybe' for SENTINEL SET 'fencing'"
	if _, err := ParseSetArgs([]string{"fencing", "maybe"}); err == nil || err.Error() != want {
		t.Errorf("ParseSetArgs(fencing maybe) = %v, want %q", err, want)
	}
	if err := c.Set(at(0), "m", []Setting{{Name: "fencing", Value: "1"}}); err == nil {
		t.Error("the core took fencing 1")
	}
}

func TestAuthority(t *testing.T) {
	now := at(time.Minute)
	peer := func(down bool) SentinelView {
		v := SentinelView{InstanceView: InstanceView{Flags: FlagSentinel, LastOKPing: now.Add(-time.Second), LastPingRply: now.Add(-time.Second)}}
		if down {
			v.Flags |= FlagSDown
		}
		return v
	}
	for _, tc := range []struct {
		peers    []SentinelView
		fencing  bool
		withheld bool
	}{
		{nil, true, false}, // alone: a majority of one
		{[]SentinelView{peer(false), peer(false)}, true, false},
		{[]SentinelView{peer(false), peer(true)}, true, false},                          // 2 of 3
		{[]SentinelView{peer(true), peer(true)}, true, true},                            // 1 of 3
		{[]SentinelView{peer(true), peer(true)}, false, false},                          // no fencing: as Redis
		{[]SentinelView{peer(true)}, true, true},                                        // 1 of 2
		{[]SentinelView{peer(false), peer(false), peer(true), peer(true)}, true, false}, // 3 of 5
		{[]SentinelView{peer(false), peer(true), peer(true), peer(true)}, true, true},   // 2 of 5
	} {
		m := &MasterView{Sentinels: tc.peers}
		m.Fencing, m.DownAfter = tc.fencing, 2*time.Second
		if got := Withheld(m, now); got != tc.withheld {
			t.Errorf("%d peers (%+v), fencing %v: Withheld = %v", len(tc.peers), AuthorityOf(m, now), tc.fencing, got)
		}
	}
	// A peer not SDOWN yet, but silent for more than 3/4 of down-after
	// (at least 1.5 s), is not counted: the cut sentinel stops naming the
	// master before the others can switch.
	m := &MasterView{Sentinels: []SentinelView{peer(false), peer(false)}}
	m.Fencing, m.DownAfter = true, 2*time.Second
	if Withheld(m, now.Add(400*time.Millisecond)) {
		t.Error("withheld with replies 1.4 s old (window 1.5 s)")
	}
	if !Withheld(m, now.Add(600*time.Millisecond)) {
		t.Error("not withheld with replies 1.6 s old (window 1.5 s)")
	}
	m.DownAfter = 30 * time.Second
	if Withheld(m, now.Add(21*time.Second)) || !Withheld(m, now.Add(22*time.Second)) {
		t.Error("down-after 30 s: the window should be 22.5 s")
	}
	// Peers whose links were just born (a restart) and never answered:
	// the birth stands in for last-ok-ping-reply but is no word from them.
	unheard := SentinelView{InstanceView: InstanceView{Flags: FlagSentinel, LastOKPing: now}}
	m = &MasterView{Sentinels: []SentinelView{unheard, unheard}}
	m.Fencing, m.DownAfter = true, 2*time.Second
	if a := AuthorityOf(m, now); a.Reached != 1 || !Withheld(m, now) {
		t.Errorf("never-heard peers: %+v, want 1 of 3 reached and withheld", a)
	}
	if r := (Authority{Reached: 1, Known: 3}).Reason(); r != "no-majority(1/3)" {
		t.Errorf("Reason = %q", r)
	}
}

// TestReplicasDownBound: the evidence that cuts the promotion hold short
// (fenceHoldsPromotion): every replica, listed by the master or known,
// must report its link down in an INFO received after base.
func TestReplicasDownBound(t *testing.T) {
	base := at(10 * time.Second)
	a2, a3 := addr("10.0.0.2", 6379), addr("10.0.0.3", 6379)
	down := func(at time.Time, d, uptime time.Duration) replicaReport {
		return replicaReport{at: at, role: RoleReplica, down: d, uptime: uptime}
	}
	hour := time.Hour
	for _, tc := range []struct {
		name    string
		known   []Addr // m.replicas
		listed  []Addr // the master's last INFO
		reports map[Addr]replicaReport
		want    time.Duration // bound - base; -1: no evidence
	}{
		{"no replica at all", nil, nil, nil, -1},
		{"listed, never asked", nil, []Addr{a2}, nil, -1},
		{"INFO before base", []Addr{a2}, nil, map[Addr]replicaReport{a2: down(base.Add(-time.Millisecond), 7*time.Second, hour)}, -1},
		{"link up (a cut of the sentinels alone)", []Addr{a2}, nil, map[Addr]replicaReport{a2: {at: base, role: RoleReplica, linkUp: true}}, -1},
		{"reports master", []Addr{a2}, nil, map[Addr]replicaReport{a2: {at: base, role: RoleMaster}}, -1},
		// 2 s after base, down 7 s: last ack before base-5s+1.25s, refused
		// from then + 1 s + 2.25 s.
		{"down 7 s", []Addr{a2}, []Addr{a2}, map[Addr]replicaReport{a2: down(base.Add(2*time.Second), 7*time.Second, hour)}, -500 * time.Millisecond},
		{"down 0 s", []Addr{a2}, nil, map[Addr]replicaReport{a2: down(base, 0, hour)}, 4500 * time.Millisecond},
		// Before Redis 7 a replica that never connected reports seconds
		// since 1970: capped by its uptime.
		{"never connected, up 3 s", []Addr{a2}, nil, map[Addr]replicaReport{a2: down(base, 1_700_000_000*time.Second, 3*time.Second)}, 1500 * time.Millisecond},
		{"the later replica decides", []Addr{a2, a3}, nil, map[Addr]replicaReport{a2: down(base, 9*time.Second, hour), a3: down(base, 5*time.Second, hour)}, -500 * time.Millisecond},
		{"a listed replica we do not know", []Addr{a2}, []Addr{a2, a3}, map[Addr]replicaReport{a2: down(base, 9*time.Second, hour)}, -1},
		{"its clock stepped", []Addr{a2}, nil, map[Addr]replicaReport{a2: {at: base, role: RoleReplica, down: 9 * time.Second, uptime: hour, stepped: true}}, -1},
	} {
		m := &master{}
		for _, a := range tc.known {
			m.replicas = append(m.replicas, &instance{kind: KindReplica, addr: a, m: m})
		}
		f := fenceState{listed: tc.listed, reports: tc.reports}
		got, ok := f.replicasDownBound(m, base, time.Second)
		switch {
		case tc.want == -1 && ok:
			t.Errorf("%s: bound %v, want no evidence", tc.name, got.Sub(base))
		case tc.want != -1 && !ok:
			t.Errorf("%s: no evidence, want base%+v", tc.name, tc.want)
		case tc.want != -1 && got.Sub(base) != tc.want:
			t.Errorf("%s: bound base%+v, want base%+v", tc.name, got.Sub(base), tc.want)
		}
	}
}

// TestReplicaClockStep: a replica's D that grows faster than our clock
// between two reports of one fall of its link (its wall clock stepped
// forward) is no evidence until the link comes back up.
func TestReplicaClockStep(t *testing.T) {
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("10.0.0.1", 6379), MasterSettings: settings.MasterSettings{Quorum: 1}}}})
	m := c.masterByName("m")
	m.Fencing = true
	r := &instance{kind: KindReplica, addr: addr("10.0.0.2", 6379), m: m}
	report := func(d0 time.Duration, up bool, d time.Duration) replicaReport {
		c.noteFencedInfo(r, NodeInfo{Role: RoleReplica, MasterLinkUp: up, MasterLinkDownSince: d, Uptime: time.Hour}, at(d0))
		return m.fence.reports[r.addr]
	}
	if rep := report(0, false, 3*time.Second); rep.stepped {
		t.Fatal("the first report of a fall is not a step")
	}
	if rep := report(time.Second, false, 5*time.Second); rep.stepped {
		t.Fatal("D grew by 2 s in 1 s: whole seconds allow it")
	}
	if rep := report(2*time.Second, false, 60*time.Second); !rep.stepped {
		t.Fatal("D grew by 55 s in 1 s: a step")
	}
	if rep := report(3*time.Second, false, 61*time.Second); !rep.stepped {
		t.Fatal("the step is remembered while the link stays down")
	}
	if rep := report(4*time.Second, true, 0); rep.stepped {
		t.Fatal("link up: a new fall starts clean")
	}
}
