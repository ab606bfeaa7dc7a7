package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// killSchedule returns the kill moments (after the sentinels settle) of n
// trials over [0, window), split into `buckets` equal buckets. Trials come
// in rounds of `buckets`: each round visits every bucket once, in a random
// order, at a uniform offset inside the bucket. So the moments are uniform
// over the window, every bucket gets its share however many trials run or
// are interrupted, and the list depends on the seed only, not on n: a run
// of 20 trials kills at exactly the first 20 moments of a run of 60 with the
// same seed, which lets separate runs of different length share moments.
func killSchedule(n, buckets int, window time.Duration, seed uint64) []time.Duration {
	if n <= 0 || buckets <= 0 || window <= 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]time.Duration, 0, n)
	for len(out) < n {
		for _, b := range r.Perm(buckets) {
			u := r.Float64()
			m := time.Duration(float64(window) * (float64(b) + u) / float64(buckets))
			// Float rounding must not push the last bucket onto the window's end.
			out = append(out, min(m, window-1))
		}
	}
	return out[:n]
}

// bucketOf is the index of the bucket a moment falls in; a moment past the
// window (a kill that came late) counts in the last bucket.
func bucketOf(m time.Duration, buckets int, window time.Duration) int {
	if m <= 0 || buckets <= 0 || window <= 0 {
		return 0
	}
	b := int(float64(m) * float64(buckets) / float64(window))
	return min(b, buckets-1)
}

// none stands for a figure that was not observed within its bound; it
// sorts after every real duration, so percentiles count it as "slower than
// anything seen".
const none = time.Duration(math.MaxInt64)

// momentRecord is what the any-moment report keeps of one trial.
type momentRecord struct {
	moment   time.Duration // actual kill moment after settle
	switched time.Duration // first +switch-master after down-after expiry, or none
	agreed   time.Duration // all sentinels agree, after down-after expiry, or none
	stall    bool
	events   eventReport
	second   int
	lost     int
	checked  bool // lost was read back
}

func newMomentRecord(res trialResult, downAfter, stallAfter time.Duration) momentRecord {
	rec := momentRecord{
		moment: res.moment, switched: none, agreed: none, events: res.events,
		second: res.secondFailovers, lost: res.lost, checked: res.lostChecked,
	}
	if d, ok := res.durations[figSwitch]; ok {
		rec.switched = d - downAfter
	}
	if d, ok := res.durations[figAgree]; ok {
		rec.agreed = d - downAfter
	}
	rec.stall = rec.switched == none || rec.switched > stallAfter
	return rec
}

// momentStats aggregates a group of trials (one bucket, or all).
type momentStats struct {
	n            int
	switched     []time.Duration
	agreed       []time.Duration
	stalls       int
	aborts       map[string]int
	abortTrials  int
	tries        int
	contested    int
	splitVotes   int
	splitTrials  int
	gaps         map[string]int // kind -> sentinel-trials
	gapSentinels int            // sentinel-trials with any gap
	sentinels    int            // sentinel-trials
	second       int
	secondTrials int
	lost         int
	lostTrials   int
}

func aggregate(recs []momentRecord, sentinelsPerTrial int) momentStats {
	st := momentStats{aborts: map[string]int{}, gaps: map[string]int{}}
	for _, r := range recs {
		st.n++
		st.switched = append(st.switched, r.switched)
		st.agreed = append(st.agreed, r.agreed)
		if r.stall {
			st.stalls++
		}
		for k, c := range r.events.aborts {
			st.aborts[k] += c
		}
		if sumCounts(r.events.aborts) > 0 {
			st.abortTrials++
		}
		st.tries += r.events.tries
		st.contested += len(r.events.contested)
		st.splitVotes += len(r.events.splitVotes)
		if len(r.events.splitVotes) > 0 {
			st.splitTrials++
		}
		st.sentinels += sentinelsPerTrial
		for _, kinds := range r.events.gaps {
			st.gapSentinels++
			for _, k := range kinds {
				st.gaps[k]++
			}
		}
		st.second += r.second
		if r.second > 0 {
			st.secondTrials++
		}
		if r.checked {
			st.lost += r.lost
			if r.lost > 0 {
				st.lostTrials++
			}
		}
	}
	return st
}

// quantiles returns median, p90 and max (nearest rank), or ok=false when
// there is nothing to summarise.
func quantiles(ds []time.Duration) (med, p90, mx time.Duration, ok bool) {
	med, ok = percentile(ds, 50)
	if !ok {
		return 0, 0, 0, false
	}
	p90, _ = percentile(ds, 90)
	mx, _ = percentile(ds, 100)
	return med, p90, mx, true
}

func formatFigure(d time.Duration) string {
	if d == none {
		return "none"
	}
	return formatMillis(d)
}

func formatQuantiles(ds []time.Duration) (string, string, string) {
	med, p90, mx, ok := quantiles(ds)
	if !ok {
		return "-", "-", "-"
	}
	return formatFigure(med), formatFigure(p90), formatFigure(mx)
}

// bucketLabel is "0-2 s" for bucket 0 of 6 over 12 s.
func bucketLabel(b, buckets int, window time.Duration) string {
	w := window.Seconds() / float64(buckets)
	return fmt.Sprintf("%g-%g s", float64(b)*w, float64(b+1)*w)
}

// momentReport is the any-moment section of one implementation's report.
type momentReport struct {
	impl       string
	buckets    int
	window     time.Duration
	stallAfter time.Duration
	sentinels  int // sentinels per trial
	recs       []momentRecord
}

func (m *momentReport) byBucket() [][]momentRecord {
	out := make([][]momentRecord, m.buckets)
	for _, r := range m.recs {
		b := bucketOf(r.moment, m.buckets, m.window)
		out[b] = append(out[b], r)
	}
	return out
}

func (m *momentReport) print(out io.Writer) {
	if len(m.recs) == 0 {
		return
	}
	fmt.Fprintf(out, "\n== %s: master killed at any moment, %d trials over 0-%v after the sentinels settled\n", m.impl, len(m.recs), m.window)
	fmt.Fprintln(out, "times are after down-after expires; \"none\" = not within the bound; a stall is no +switch-master within down-after +", m.stallAfter)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kill at\tn\t+switch-master median\tp90\tmax\tall agree median\tp90\tmax\tstalls\taborts\tsplit votes\tcontested epochs\tsentinels missing events\tsecond failovers\tlost writes\t")
	line := func(label string, st momentStats) {
		sm, sp, sx := formatQuantiles(st.switched)
		am, ap, ax := formatQuantiles(st.agreed)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d/%d\t%d\t%d\t\n",
			label, st.n, sm, sp, sx, am, ap, ax, st.stalls, sumCounts(st.aborts), st.splitVotes, st.contested,
			st.gapSentinels, st.sentinels, st.second, st.lost)
	}
	for b, recs := range m.byBucket() {
		line(bucketLabel(b, m.buckets, m.window), aggregate(recs, m.sentinels))
	}
	all := aggregate(m.recs, m.sentinels)
	line("all", all)
	_ = tw.Flush()
	fmt.Fprintf(out, "stalls: %d of %d trials\n", all.stalls, all.n)
	fmt.Fprintf(out, "aborts: %s (in %d trials)\n", formatCounts(all.aborts, nil), all.abortTrials)
	fmt.Fprintf(out, "elections: %d +try-failover, %d contested epochs (2+ candidates), %d split votes (contested, nobody elected) in %d trials\n",
		all.tries, all.contested, all.splitVotes, all.splitTrials)
	fmt.Fprintf(out, "missing events: %d of %d sentinel-trials lack one (%s)\n", all.gapSentinels, all.sentinels, formatCounts(all.gaps, gapKinds))
	fmt.Fprintf(out, "second failovers: %d (in %d trials); acknowledged writes lost: %d (in %d trials)\n", all.second, all.secondTrials, all.lost, all.lostTrials)
}

// formatCounts prints "k1 n1, k2 n2" in the given key order (sorted keys
// when order is nil), or "none".
func formatCounts(m map[string]int, order []string) string {
	keys := order
	if keys == nil {
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	var parts []string
	for _, k := range keys {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// printMomentRatios compares two implementations' any-moment figures.
func printMomentRatios(out io.Writer, ref, ours *momentReport) {
	if len(ref.recs) == 0 || len(ours.recs) == 0 {
		return
	}
	r, o := aggregate(ref.recs, ref.sentinels), aggregate(ours.recs, ours.sentinels)
	fmt.Fprintf(out, "\n== kill at any moment: %s / %s (below 1.0 means ours is faster)\n", ours.impl, ref.impl)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "figure (after down-after)\t%s, %d trials\t%s, %d trials\tratio\t\n", ref.impl, r.n, ours.impl, o.n)
	timing := func(label string, a, b []time.Duration) {
		am, ap, ax, aok := quantiles(a)
		bm, bp, bx, bok := quantiles(b)
		as, bs := []time.Duration{am, ap, ax}, []time.Duration{bm, bp, bx}
		for i, q := range []string{"median", "p90", "max"} {
			x, y := as[i], bs[i]
			xs, ys, ratio := "-", "-", "n/a"
			if aok {
				xs = formatFigure(x)
			}
			if bok {
				ys = formatFigure(y)
			}
			if aok && bok && x != none && y != none && x > 0 {
				ratio = fmt.Sprintf("%.2f", float64(y)/float64(x))
			}
			fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t\n", label, q, xs, ys, ratio)
		}
	}
	timing("first +switch-master", r.switched, o.switched)
	timing("all sentinels agree", r.agreed, o.agreed)
	count := func(label string, a, b string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\t\n", label, a, b)
	}
	itoa := func(n int) string { return fmt.Sprint(n) }
	count("stalls (trials)", itoa(r.stalls), itoa(o.stalls))
	count("trials with an abort", itoa(r.abortTrials), itoa(o.abortTrials))
	count("split votes (epochs)", itoa(r.splitVotes), itoa(o.splitVotes))
	count("sentinel-trials missing events", fmt.Sprintf("%d of %d", r.gapSentinels, r.sentinels), fmt.Sprintf("%d of %d", o.gapSentinels, o.sentinels))
	count("second failovers", itoa(r.second), itoa(o.second))
	count("acknowledged writes lost", itoa(r.lost), itoa(o.lost))
	_ = tw.Flush()
}
