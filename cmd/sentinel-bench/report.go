package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one timing figure of the report.
type row struct {
	figure string
	label  string
	// fromDownAfter reports the figure relative to the moment down-after
	// expires (kill + down-after), as DESIGN.md §2 does, instead of the kill.
	fromDownAfter bool
}

var rows = []row{
	{figSDown, "first +sdown (after kill)", false},
	{figODown, "first +odown (after down-after)", true},
	{figSwitch, "first +switch-master (after down-after)", true},
	{figAgree, "all sentinels agree on new master (after down-after)", true},
	{figFirstWrite, "first acked write on new master (after down-after)", true},
	{figRepointed, "other replica repointed, link up (after down-after)", true},
	{figRejoin, "restarted old master -> replica (after restart)", false},
}

// summary is the aggregate of one implementation's trials.
type summary struct {
	impl      string
	downAfter time.Duration
	trials    int
	failedOut int // trials that could not be run at all
	failovers int // trials where the sentinels agreed on a new master
	values    map[string][]time.Duration
	second    int // second failovers, summed
	secondIn  int // trials with at least one second failover
	lostTotal int
	lostIn    int // trials with at least one lost write
	lostMax   int
	acked     []int
	notes     []string
}

func newSummary(impl string, downAfter time.Duration) *summary {
	return &summary{impl: impl, downAfter: downAfter, values: map[string][]time.Duration{}}
}

func (s *summary) add(res trialResult, err error) {
	s.trials++
	if err != nil {
		s.failedOut++
		s.notes = append(s.notes, err.Error())
		return
	}
	if res.newMaster != "" {
		s.failovers++
	}
	for _, r := range rows {
		if d, ok := res.durations[r.figure]; ok {
			if r.fromDownAfter {
				d -= s.downAfter
			}
			s.values[r.figure] = append(s.values[r.figure], d)
		}
	}
	s.second += res.secondFailovers
	if res.secondFailovers > 0 {
		s.secondIn++
	}
	if res.lostChecked {
		s.lostTotal += res.lost
		s.lostMax = max(s.lostMax, res.lost)
		if res.lost > 0 {
			s.lostIn++
		}
	}
	s.acked = append(s.acked, res.acked)
	s.notes = append(s.notes, res.problems...)
}

// percentile returns the nearest-rank percentile p (0 < p ≤ 100) of ds.
func percentile(ds []time.Duration, p float64) (time.Duration, bool) {
	if len(ds) == 0 || p <= 0 || p > 100 {
		return 0, false
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1], true
}

func formatMillis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	return fmt.Sprintf("%+.0f ms", ms)
}

func (s *summary) print(out io.Writer) {
	fmt.Fprintf(out, "\n== %s: %d trials, %d failed over", s.impl, s.trials, s.failovers)
	if s.failedOut > 0 {
		fmt.Fprintf(out, ", %d could not run", s.failedOut)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tmedian\tp90\tmax\tn\t")
	for _, r := range rows {
		vals := s.values[r.figure]
		med, ok := percentile(vals, 50)
		if !ok {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t0\t\n", r.label)
			continue
		}
		p90, _ := percentile(vals, 90)
		mx, _ := percentile(vals, 100)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t\n", r.label, formatMillis(med), formatMillis(p90), formatMillis(mx), len(vals))
	}
	_ = tw.Flush()
	ackedMedian := 0
	if len(s.acked) > 0 {
		sorted := slices.Clone(s.acked)
		slices.Sort(sorted)
		ackedMedian = sorted[(len(sorted)-1)/2]
	}
	fmt.Fprintf(out, "second failovers: %d (in %d of %d trials)\n", s.second, s.secondIn, s.trials)
	fmt.Fprintf(out, "acknowledged writes lost: %d total, in %d trials, max %d in one trial (median %d acked writes per trial)\n",
		s.lostTotal, s.lostIn, s.lostMax, ackedMedian)
	if len(s.notes) > 0 {
		fmt.Fprintln(out, "problems:")
		for _, n := range s.notes {
			fmt.Fprintf(out, "  - %s\n", n)
		}
	}
}

// printRatios prints ours/reference for every figure both measured.
func printRatios(out io.Writer, ref, ours *summary) {
	fmt.Fprintf(out, "\n== ratio %s / %s (medians, and the ratios of p90 and max; below 1.0 means ours is faster)\n", ours.impl, ref.impl)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "figure\t%s\t%s\tratio\tp90 ratio\tmax ratio\t\n", ref.impl, ours.impl)
	for _, r := range rows {
		refMed, refOK := percentile(ref.values[r.figure], 50)
		ourMed, ourOK := percentile(ours.values[r.figure], 50)
		refText, ourText := "-", "-"
		if refOK {
			refText = formatMillis(refMed)
		}
		if ourOK {
			ourText = formatMillis(ourMed)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r.label, refText, ourText,
			percentileRatio(ref, ours, r.figure, 50), percentileRatio(ref, ours, r.figure, 90), percentileRatio(ref, ours, r.figure, 100))
	}
	fmt.Fprintf(tw, "second failovers\t%d\t%d\t\t\t\t\n", ref.second, ours.second)
	fmt.Fprintf(tw, "acknowledged writes lost\t%d\t%d\t\t\t\t\n", ref.lostTotal, ours.lostTotal)
	_ = tw.Flush()
}

// percentileRatio is ours/ref of one figure's percentile p, "n/a" when
// either lacks the figure or the reference's is not positive.
func percentileRatio(ref, ours *summary, figure string, p float64) string {
	refV, refOK := percentile(ref.values[figure], p)
	ourV, ourOK := percentile(ours.values[figure], p)
	if !refOK || !ourOK || refV <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(ourV)/float64(refV))
}

// trialLine is the one-line account printed after each trial.
func trialLine(res trialResult, downAfter time.Duration) string {
	var parts []string
	if res.moment > 0 {
		parts = append(parts, "killed_at=settle"+strings.ReplaceAll(formatMillis(res.moment), " ", ""))
	}
	for _, r := range rows {
		d, ok := res.durations[r.figure]
		if !ok {
			parts = append(parts, r.figure+"=-")
			continue
		}
		if r.fromDownAfter {
			d -= downAfter
		}
		parts = append(parts, fmt.Sprintf("%s=%s", r.figure, strings.ReplaceAll(formatMillis(d), " ", "")))
	}
	parts = append(parts, fmt.Sprintf("second=%d", res.secondFailovers))
	if res.lostChecked {
		parts = append(parts, fmt.Sprintf("lost=%d/%d", res.lost, res.acked))
	} else {
		parts = append(parts, fmt.Sprintf("lost=?/%d", res.acked))
	}
	var aborts []string
	for kind, n := range res.events.aborts {
		aborts = append(aborts, fmt.Sprintf("%s:%d", kind, n))
	}
	if len(aborts) > 0 {
		slices.Sort(aborts)
		parts = append(parts, "aborts="+strings.Join(aborts, ","))
	}
	if n := len(res.events.splitVotes); n > 0 {
		parts = append(parts, fmt.Sprintf("split_votes=%d", n))
	}
	var gaps []string
	for s, kinds := range res.events.gaps {
		gaps = append(gaps, s+"("+strings.Join(kinds, ",")+")")
	}
	if len(gaps) > 0 {
		slices.Sort(gaps)
		parts = append(parts, "missing="+strings.Join(gaps, ","))
	}
	return strings.Join(parts, " ")
}
