package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

func TestKillSchedule(t *testing.T) {
	const buckets = 6
	window := 12 * time.Second
	got := killSchedule(60, buckets, window, 42)
	if len(got) != 60 {
		t.Fatalf("len = %d, want 60", len(got))
	}
	for i := 0; i < len(got); i += buckets {
		// Every round of `buckets` trials kills once in every bucket.
		seen := make([]int, buckets)
		for _, m := range got[i : i+buckets] {
			if m < 0 || m >= window {
				t.Fatalf("moment %v outside [0, %v)", m, window)
			}
			seen[bucketOf(m, buckets, window)]++
		}
		if slices.Max(seen) != 1 || slices.Min(seen) != 1 {
			t.Fatalf("round %d visits buckets %v, want each once: %v", i/buckets, seen, got[i:i+buckets])
		}
	}
	// Shuffled: the first round is not simply bucket 0, 1, 2, ... for
	// every seed.
	inOrder := 0
	for seed := range uint64(20) {
		s := killSchedule(buckets, buckets, window, seed+1)
		if slices.IsSortedFunc(s, func(a, b time.Duration) int { return int(a - b) }) {
			inOrder++
		}
	}
	if inOrder == 20 {
		t.Fatal("20 seeds all gave buckets in ascending order: not shuffled")
	}
	if !slices.Equal(killSchedule(60, buckets, window, 42), got) {
		t.Fatal("the same seed gave another schedule")
	}
	if !slices.Equal(killSchedule(20, buckets, window, 42), got[:20]) {
		t.Fatal("a shorter run is not a prefix of a longer one with the same seed")
	}
	if slices.Equal(killSchedule(60, buckets, window, 43), got) {
		t.Fatal("another seed gave the same schedule")
	}
	for _, bad := range [][2]int{{0, 6}, {-1, 6}, {5, 0}} {
		if s := killSchedule(bad[0], bad[1], window, 1); s != nil {
			t.Fatalf("killSchedule(%d, %d) = %v, want nil", bad[0], bad[1], s)
		}
	}
	if s := killSchedule(3, 6, 0, 1); s != nil {
		t.Fatalf("zero window gave %v", s)
	}
}

func TestBucketOf(t *testing.T) {
	window := 12 * time.Second
	cases := []struct {
		m    time.Duration
		want int
	}{
		{0, 0},
		{-time.Second, 0},
		{1999 * time.Millisecond, 0},
		{2 * time.Second, 1},
		{7 * time.Second, 3},
		{window - 1, 5},
		{window + 300*time.Millisecond, 5}, // a late kill counts in the last bucket
	}
	for _, tc := range cases {
		if got := bucketOf(tc.m, 6, window); got != tc.want {
			t.Errorf("bucketOf(%v) = %d, want %d", tc.m, got, tc.want)
		}
	}
	if got := bucketLabel(5, 6, window); got != "10-12 s" {
		t.Errorf("bucketLabel = %q", got)
	}
}

func TestQuantilesCountMissingAsSlowest(t *testing.T) {
	ms := time.Millisecond
	med, p90, mx, ok := quantiles([]time.Duration{none, 30 * ms, 10 * ms, 20 * ms, none})
	if !ok || med != 30*ms || p90 != none || mx != none {
		t.Fatalf("quantiles = %v %v %v %v; want 30ms, none, none", med, p90, mx, ok)
	}
	if formatFigure(none) != "none" || formatFigure(20*ms) != "+20 ms" {
		t.Fatalf("formatFigure: %q %q", formatFigure(none), formatFigure(20*ms))
	}
	if _, _, _, ok := quantiles(nil); ok {
		t.Fatal("quantiles of nothing reported ok")
	}
}

// evs builds an event list; each entry is "sentinel channel payload".
func evs(base time.Time, lines ...string) []datanodetest.SentinelEvent {
	var out []datanodetest.SentinelEvent
	for i, l := range lines {
		f := strings.SplitN(l, " ", 3)
		payload := ""
		if len(f) == 3 {
			payload = f[2]
		}
		out = append(out, datanodetest.SentinelEvent{At: base.Add(time.Duration(i) * time.Millisecond), Sentinel: f[0], Channel: f[1], Payload: payload})
	}
	return out
}

const (
	sa, sb, sc = "s1:1", "s2:2", "s3:3"
	oldM       = "master mymaster 127.0.0.1 7000"
)

func TestAnalyzeEventsSplitVote(t *testing.T) {
	events := evs(time.Unix(100, 0),
		// Epoch 1: all three try at once and each votes for itself.
		sa+" +new-epoch 1", sa+" +try-failover "+oldM, sa+" +vote-for-leader aaaaaaaaaaaa 1",
		sb+" +new-epoch 1", sb+" +try-failover "+oldM, sb+" +vote-for-leader bbbbbbbbbbbb 1",
		sc+" +new-epoch 1", sc+" +try-failover "+oldM, sc+" +vote-for-leader cccccccccccc 1",
		sa+" -failover-abort-not-elected "+oldM,
		sb+" -failover-abort-not-elected "+oldM,
		sc+" -failover-abort-not-elected "+oldM,
		// Epoch 2: two candidates, s2 wins with s3's vote.
		sb+" +new-epoch 2", sb+" +try-failover "+oldM, sb+" +vote-for-leader bbbbbbbbbbbb 2",
		sa+" +new-epoch 2", sa+" +try-failover "+oldM, sa+" +vote-for-leader aaaaaaaaaaaa 2",
		sc+" +new-epoch 2", sc+" +vote-for-leader bbbbbbbbbbbb 2",
		sb+" +elected-leader "+oldM,
		sa+" -failover-abort-not-elected "+oldM,
		// Epoch 3 (a later retry by s1 alone, not elected): not a split.
		sa+" +new-epoch 3", sa+" +try-failover "+oldM,
		sa+" -failover-abort-no-good-slave "+oldM,
		// Another master's election is not ours.
		sc+" +new-epoch 4", sc+" +try-failover master other 127.0.0.1 7100",
		sb+" +new-epoch 4", sb+" +try-failover master other 127.0.0.1 7100",
	)
	rep := analyzeEvents(events, []string{sa, sb, sc}, "mymaster", "127.0.0.1:7000")
	if rep.tries != 6 {
		t.Errorf("tries = %d, want 6", rep.tries)
	}
	if !slices.Equal(rep.contested, []uint64{1, 2}) {
		t.Errorf("contested = %v, want [1 2]", rep.contested)
	}
	if len(rep.splitVotes) != 1 || rep.splitVotes[0].epoch != 1 {
		t.Fatalf("split votes = %+v, want epoch 1 only", rep.splitVotes)
	}
	sv := rep.splitVotes[0]
	if !slices.Equal(sv.candidates, []string{sa, sb, sc}) || len(sv.votes) != 3 || !strings.Contains(sv.String(), "s2:2->bbbbbbbb") {
		t.Errorf("split vote = %+v (%s)", sv, sv)
	}
	if rep.aborts["-failover-abort-not-elected"] != 4 || rep.aborts["-failover-abort-no-good-slave"] != 1 || sumCounts(rep.aborts) != 5 {
		t.Errorf("aborts = %v", rep.aborts)
	}
}

func TestAnalyzeEventsGaps(t *testing.T) {
	const sd = "s4:4"
	sw := " +switch-master mymaster 127.0.0.1 7000 127.0.0.1 7001"
	events := evs(time.Unix(100, 0),
		// s1: everything, in order (other instances' events interleaved).
		sa+" +sdown slave 127.0.0.1:7001 127.0.0.1 7001 @ mymaster 127.0.0.1 7000",
		sa+" +sdown "+oldM,
		sa+" +odown "+oldM+" #quorum 2/2",
		sa+sw,
		// s2: learns of the switch before it reached ODOWN.
		sb+" +sdown "+oldM,
		sb+sw,
		// s3: +odown before +sdown (out of order); its +sdown about the
		// new master must not count for the old one.
		sc+" +odown "+oldM+" #quorum 2/2",
		sc+" +sdown master mymaster 127.0.0.1 7001",
		sc+" +sdown "+oldM,
		sc+sw,
		// A switch of another failover (new -> elsewhere) is not the one.
		sd+" +sdown "+oldM,
		sd+" +odown "+oldM,
		sd+" +switch-master mymaster 127.0.0.1 7001 127.0.0.1 7002",
	)
	rep := analyzeEvents(events, []string{sa, sb, sc, sd, "s5:5"}, "mymaster", "127.0.0.1:7000")
	want := map[string][]string{
		sb:     {gapODown},
		sc:     {gapOrder},
		sd:     {gapSwitch},
		"s5:5": {gapSDown, gapODown, gapSwitch},
	}
	if len(rep.gaps) != len(want) {
		t.Fatalf("gaps = %v, want %v", rep.gaps, want)
	}
	for s, kinds := range want {
		if !slices.Equal(rep.gaps[s], kinds) {
			t.Errorf("gaps[%s] = %v, want %v", s, rep.gaps[s], kinds)
		}
	}
	if len(rep.splitVotes) != 0 || len(rep.contested) != 0 || rep.tries != 0 {
		t.Errorf("no elections expected: %+v", rep)
	}
}

func TestMomentReport(t *testing.T) {
	downAfter, stallAfter := time.Second, 5*time.Second
	ms := time.Millisecond
	mk := func(moment, sw time.Duration, aborts map[string]int, splits int, gaps map[string][]string) trialResult {
		res := trialResult{durations: map[string]time.Duration{}, moment: moment, lostChecked: true}
		if sw > 0 {
			res.durations[figSwitch] = downAfter + sw
			res.durations[figAgree] = downAfter + sw + 2*ms
		}
		res.events = eventReport{aborts: aborts, gaps: gaps}
		for range splits {
			res.events.splitVotes = append(res.events.splitVotes, splitVote{epoch: 1})
		}
		return res
	}
	ref := &momentReport{impl: "redis-sentinel", buckets: 6, window: 12 * time.Second, stallAfter: stallAfter, sentinels: 3}
	ours := &momentReport{impl: "ours", buckets: 6, window: 12 * time.Second, stallAfter: stallAfter, sentinels: 3}
	for _, r := range []trialResult{
		mk(500*ms, 1200*ms, nil, 0, nil),
		mk(7*time.Second, 1300*ms, nil, 0, map[string][]string{sa: {gapODown}}),
		mk(11*time.Second, 1100*ms, nil, 0, nil),
	} {
		ref.recs = append(ref.recs, newMomentRecord(r, downAfter, stallAfter))
	}
	for _, r := range []trialResult{
		mk(600*ms, 50*ms, nil, 0, nil),
		// A switch 20 s late: a stall.
		mk(7100*ms, 20*time.Second, map[string]int{"-failover-abort-no-good-slave": 3}, 0, nil),
		// No switch at all: a stall, counted as "none".
		mk(7500*ms, 0, map[string]int{"-failover-abort-not-elected": 3}, 1, nil),
	} {
		ours.recs = append(ours.recs, newMomentRecord(r, downAfter, stallAfter))
	}
	if !ours.recs[1].stall || !ours.recs[2].stall || ours.recs[0].stall || ours.recs[2].switched != none {
		t.Fatalf("stall detection: %+v", ours.recs)
	}
	st := aggregate(ours.recs, 3)
	if st.stalls != 2 || st.abortTrials != 2 || st.aborts["-failover-abort-not-elected"] != 3 || st.splitVotes != 1 || st.sentinels != 9 {
		t.Fatalf("aggregate = %+v", st)
	}
	if b := ours.byBucket(); len(b[0]) != 1 || len(b[3]) != 2 || len(b[1]) != 0 {
		t.Fatalf("buckets = %v", b)
	}

	var out bytes.Buffer
	ref.print(&out)
	ours.print(&out)
	printMomentRatios(&out, ref, ours)
	text := out.String()
	for _, want := range []string{
		"stalls: 2 of 3 trials",
		"aborts: -failover-abort-no-good-slave 3, -failover-abort-not-elected 3 (in 2 trials)",
		"1 split votes (contested, nobody elected) in 1 trials",
		"missing events: 1 of 9 sentinel-trials lack one (+odown 1)",
		"6-8 s", "+20000 ms", "none",
		"first +switch-master median", "+1200 ms", "16.67", // ours' median is the 20 s stall
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}
