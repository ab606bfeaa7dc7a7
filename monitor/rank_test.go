package monitor

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// replicaSpec describes one replica's state at selection time.
type replicaSpec struct {
	port         int
	runID        string
	priority     int
	offset       int64
	sdown        bool
	disconnected bool
	pingAge      time.Duration
	infoAge      time.Duration
	linkDown     time.Duration
}

// selectionCore builds a core whose master (down-after 1 s, SDOWN for 2 s
// when masterSDown) has the given replicas, and returns it with "now".
func selectionCore(t testing.TB, masterSDown bool, specs []replicaSpec) (*Core, *master, time.Time) {
	t.Helper()
	var known []Addr
	for _, s := range specs {
		known = append(known, addr("10.0.0.2", s.port))
	}
	c := newTestCore(t, Config{Masters: []MasterConfig{{
		Name:           "m",
		Addr:           addr("10.0.0.1", 6379),
		KnownReplicas:  known,
		MasterSettings: settings.MasterSettings{Quorum: 1, DownAfter: time.Second},
	}}})
	now := at(time.Hour)
	m := c.masters[0]
	if masterSDown {
		m.inst.flags |= FlagSDown
		m.inst.sdownSince = now.Add(-2 * time.Second)
	}
	for _, s := range specs {
		r := m.replicaByAddr(addr("10.0.0.2", s.port))
		r.runID = s.runID
		r.priority = s.priority
		r.offset = s.offset
		if s.sdown {
			r.flags |= FlagSDown
		}
		r.link.born = true
		r.link.disconnected = s.disconnected
		r.link.lastAvail = now.Add(-s.pingAge)
		r.infoRefresh = now.Add(-s.infoAge)
		r.masterLinkDownTime = s.linkDown
	}
	return c, m, now
}

func selected(c *Core, m *master, now time.Time) string {
	r := c.selectReplica(m, now)
	if r == nil {
		return "none"
	}
	return strconvItoa(r.addr.Port)
}

func strconvItoa(n int) string { return fmt.Sprint(n) }

func TestSelectReplica_Rules(t *testing.T) {
	ok := func(port int) replicaSpec {
		return replicaSpec{port: port, runID: fmt.Sprintf("r%d", port), priority: 100, pingAge: time.Second, infoAge: time.Second}
	}
	with := func(s replicaSpec, f func(*replicaSpec)) replicaSpec { f(&s); return s }
	for _, tc := range []struct {
		name        string
		masterSDown bool
		specs       []replicaSpec
		want        string
	}{
		{"sdown excluded", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.sdown = true; s.offset = 9 }), ok(2)}, "2"},
		{"disconnected excluded", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.disconnected = true; s.offset = 9 }), ok(2)}, "2"},
		{"ping older than 5 ping periods excluded", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.pingAge = 5*time.Second + 1; s.offset = 9 }), ok(2)}, "2"},
		{"ping exactly 5 ping periods ok", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.pingAge = 5 * time.Second; s.offset = 9 }), ok(2)}, "1"},
		{"priority 0 excluded", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.priority = 0 }), ok(2)}, "2"},
		{"info older than 3 info periods excluded", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.infoAge = 31 * time.Second; s.offset = 9 }), ok(2)}, "2"},
		{"info older than 5 s excluded when master sdown", true, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.infoAge = 6 * time.Second; s.offset = 9 }), ok(2)}, "2"},
		{"link down longer than sdown time + 10 down-after excluded", true, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.linkDown = 12*time.Second + 1; s.offset = 9 }), ok(2)}, "2"},
		{"link down within limit ok", true, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.linkDown = 12 * time.Second; s.offset = 9 }), ok(2)}, "1"},
		{"lower priority wins", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.offset = 9 }), with(ok(2), func(s *replicaSpec) { s.priority = 10 })}, "2"},
		{"higher offset wins", false, []replicaSpec{ok(1), with(ok(2), func(s *replicaSpec) { s.offset = 5 })}, "2"},
		{"smaller run id wins", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.runID = "b" }), with(ok(2), func(s *replicaSpec) { s.runID = "a" })}, "2"},
		{"run id compares case-insensitively", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.runID = "B" }), with(ok(2), func(s *replicaSpec) { s.runID = "c" })}, "1"},
		{"empty run id last", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.runID = "" }), with(ok(2), func(s *replicaSpec) { s.runID = "z" })}, "2"},
		{"address breaks the last tie", false, []replicaSpec{with(ok(2), func(s *replicaSpec) { s.runID = "" }), with(ok(1), func(s *replicaSpec) { s.runID = "" })}, "1"},
		{"none eligible", false, []replicaSpec{with(ok(1), func(s *replicaSpec) { s.priority = 0 })}, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, m, now := selectionCore(t, tc.masterSDown, tc.specs)
			if got := selected(c, m, now); got != tc.want {
				t.Fatalf("selected %s, want %s", got, tc.want)
			}
			if got, want := naiveSelect(tc.masterSDown, tc.specs), tc.want; got != want {
				t.Fatalf("naive reference selected %s, want %s (reference is wrong)", got, want)
			}
		})
	}
}

// naiveSelect restates sentinelSelectSlave and compareSlavesForPromotion
// as plainly as possible: filter, then sort by a key tuple.
func naiveSelect(masterSDown bool, specs []replicaSpec) string {
	maxInfo := 30 * time.Second
	maxLinkDown := 10 * time.Second
	if masterSDown {
		maxInfo = 5 * time.Second
		maxLinkDown += 2 * time.Second
	}
	var ok []replicaSpec
	for _, s := range specs {
		if s.sdown || s.disconnected || s.pingAge > 5*time.Second || s.priority <= 0 ||
			s.infoAge > maxInfo || s.linkDown > maxLinkDown {
			continue
		}
		ok = append(ok, s)
	}
	if len(ok) == 0 {
		return "none"
	}
	slices.SortFunc(ok, func(a, b replicaSpec) int {
		if a.priority != b.priority {
			return cmp.Compare(a.priority, b.priority)
		}
		if a.offset != b.offset {
			return cmp.Compare(b.offset, a.offset)
		}
		if (a.runID == "") != (b.runID == "") {
			if a.runID == "" {
				return 1
			}
			return -1
		}
		if c := strings.Compare(strings.ToLower(a.runID), strings.ToLower(b.runID)); c != 0 {
			return c
		}
		if c := strings.Compare(a.runID, b.runID); c != 0 {
			return c
		}
		return cmp.Compare(a.port, b.port)
	})
	return strconvItoa(ok[0].port)
}

// TestSelectReplica_QuickAgainstNaive draws random replica sets and checks
// the core's choice against the naive reference.
func TestSelectReplica_QuickAgainstNaive(t *testing.T) {
	runIDs := []string{"", "a", "b", "A", "ab"}
	f := func(masterSDown bool, raw []uint32) bool {
		if len(raw) > 6 {
			raw = raw[:6]
		}
		var specs []replicaSpec
		for k, r := range raw {
			specs = append(specs, replicaSpec{
				port:         1000 + k,
				runID:        runIDs[r%5],
				priority:     int(r>>3) % 3 * 50,
				offset:       int64(r>>5) % 3,
				sdown:        r>>7%7 == 0,
				disconnected: r>>10%7 == 0,
				pingAge:      time.Duration(r>>13%8) * time.Second,
				infoAge:      time.Duration(r>>16%40) * time.Second,
				linkDown:     time.Duration(r>>22%15) * time.Second,
			})
		}
		c, m, now := selectionCore(t, masterSDown, specs)
		got, want := selected(c, m, now), naiveSelect(masterSDown, specs)
		if got != want {
			t.Logf("specs %+v: core %s, naive %s", specs, got, want)
		}
		return got == want
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 500}); err != nil {
		t.Fatal(err)
	}
}
