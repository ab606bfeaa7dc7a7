package monitor

import (
	"testing"

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
	peer := func(down bool) SentinelView {
		v := SentinelView{InstanceView: InstanceView{Flags: FlagSentinel}}
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
		m.Fencing = tc.fencing
		if got := Withheld(m); got != tc.withheld {
			t.Errorf("%d peers (%+v), fencing %v: Withheld = %v", len(tc.peers), AuthorityOf(m), tc.fencing, got)
		}
	}
	if r := (Authority{Reached: 1, Known: 3}).Reason(); r != "no-majority(1/3)" {
		t.Errorf("Reason = %q", r)
	}
}
