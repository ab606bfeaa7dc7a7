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
		v := SentinelView{InstanceView: InstanceView{Flags: FlagSentinel, LastOKPing: now.Add(-time.Second)}}
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
	if r := (Authority{Reached: 1, Known: 3}).Reason(); r != "no-majority(1/3)" {
		t.Errorf("Reason = %q", r)
	}
}
