package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// The mass-failover phase of -scale (-mass-kill k): three sentinels of one
// implementation monitor every master; k masters, spread over the list,
// are SIGKILLed at the same moment; every killed master must be switched
// once. Reported per master: when the first and the last sentinel
// published +switch-master, counted from the kill plus down-after, and how
// many +try-failover the group published for it (1 = one election round).

type massResult struct {
	label    string
	masters  int
	killed   []string
	first    map[string]time.Duration // first +switch-master - (kill + down-after)
	last     map[string]time.Duration // the last of the 3 sentinels' +switch-master
	tries    map[string]int           // +try-failover over the group
	aborts   int                      // -failover-abort-* over the group
	switches map[string]int           // +switch-master over the group
	trace    []string                 // the first killed master's election, event by event
}

// massTrace is the election events of master name, with the time after
// deadline and the publishing sentinel, for the report.
func massTrace(events []datanodetest.SentinelEvent, deadline time.Time, name string) []string {
	var out []string
	for _, ev := range events {
		switch ev.Channel {
		case "+sdown", "+odown", "+try-failover", "+elected-leader", "-failover-abort-not-elected", "+switch-master":
			if name != "" && !ev.IsMasterEvent(name) && !strings.HasPrefix(ev.Payload, name+" ") {
				continue
			}
		case "+vote-for-leader", "+new-epoch":
			if name == "" {
				continue
			}
			// No master name in these payloads: shown for every master.
		default:
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", formatMillis(ev.At.Sub(deadline)), ev.Sentinel, ev.Channel, ev.Payload))
	}
	return out
}

// massKillIndexes spreads k kills over n masters.
func massKillIndexes(n, k int) []int {
	var idx []int
	for i := range k {
		idx = append(idx, i*n/k)
	}
	return idx
}

// runMassFailover runs the phase for one implementation. The killed
// masters are restarted (as empty masters) before it returns; the caller
// restores the topology before the next run.
func runMassFailover(ctx context.Context, cfg scaleConfig, nodes *scaleNodes, kill int) (massResult, error) {
	res := massResult{label: cfg.label, masters: cfg.masters, first: map[string]time.Duration{}, last: map[string]time.Duration{},
		tries: map[string]int{}, switches: map[string]int{}}
	sentinels, err := launchSentinels(ctx, cfg, scaleConf(nodes, cfg.downAfter), nil)
	defer func() {
		for _, s := range sentinels {
			if s != nil {
				_ = s.Close()
			}
		}
	}()
	if err != nil {
		return res, err
	}
	if settled, miss := waitScaleSettled(ctx, time.Now(), sentinels, cfg.masters, nodes.replicasEach(), scaleSentinels-1, cfg.settleTimeout); settled == 0 {
		return res, fmt.Errorf("did not settle before the kill: %s", miss)
	}
	addrs := make([]string, len(sentinels))
	for i, s := range sentinels {
		addrs[i] = s.Addr()
	}
	watcher, err := datanodetest.WatchEvents(ctx, addrs, nil, cfg.logger)
	if err != nil {
		return res, err
	}
	defer watcher.Close()
	// A few hello and INFO periods with every link up before the kill.
	if err := datanodetest.Sleep(ctx, 3*time.Second); err != nil {
		return res, err
	}
	victims := massKillIndexes(cfg.masters, kill)
	for _, i := range victims {
		res.killed = append(res.killed, fmt.Sprintf("m%d", i))
	}
	killAt := time.Now()
	var wg sync.WaitGroup
	for _, i := range victims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = nodes.masters[i].Kill()
		}()
	}
	wg.Wait()
	defer func() {
		for _, i := range victims {
			_ = nodes.masters[i].Restart(ctx)
		}
	}()
	done := func() bool {
		n := map[string]int{}
		for _, ev := range watcher.Events() {
			if ev.Channel == "+switch-master" {
				name, _, _ := strings.Cut(ev.Payload, " ")
				n[name]++
			}
		}
		for _, name := range res.killed {
			if n[name] < scaleSentinels {
				return false
			}
		}
		return true
	}
	_ = datanodetest.Poll(ctx, cfg.downAfter+60*time.Second, 50*time.Millisecond, done)
	// Late second rounds and aborts show within a couple of seconds.
	_ = datanodetest.Sleep(ctx, 2*time.Second)
	res.count(watcher.Events(), killAt.Add(cfg.downAfter))
	res.trace = massTrace(watcher.Events(), killAt.Add(cfg.downAfter), res.killed[0])
	if cfg.verboseMass {
		res.trace = massTrace(watcher.Events(), killAt.Add(cfg.downAfter), "")
	}
	return res, ctx.Err()
}

func (r *massResult) count(events []datanodetest.SentinelEvent, deadline time.Time) {
	for _, ev := range events {
		switch {
		case ev.Channel == "+switch-master":
			name, _, _ := strings.Cut(ev.Payload, " ")
			at := ev.At.Sub(deadline)
			r.switches[name]++
			if f, ok := r.first[name]; !ok || at < f {
				r.first[name] = at
			}
			r.last[name] = max(r.last[name], at)
		case ev.Channel == "+try-failover":
			// "master <name> <ip> <port>"
			f := strings.Fields(ev.Payload)
			if len(f) > 1 {
				r.tries[f[1]]++
			}
		case strings.HasPrefix(ev.Channel, "-failover-abort"):
			r.aborts++
		}
	}
}

// launchSentinels starts the three sentinels of cfg with conf, in parallel.
// The returned slice holds whatever started, also on error.
func launchSentinels(ctx context.Context, cfg scaleConfig, conf string, args [][]string) ([]*datanodetest.Process, error) {
	sentinels := make([]*datanodetest.Process, scaleSentinels)
	errs := make([]error, scaleSentinels)
	var wg sync.WaitGroup
	for i := range sentinels {
		var a []string
		if i < len(args) {
			a = args[i]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sentinels[i], errs[i] = datanodetest.LaunchRedisSentinel(ctx, datanodetest.SentinelOptions{
				Binary: cfg.binary, Args: a, ConfText: conf, Logger: cfg.logger, StartTimeout: 60 * time.Second,
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return sentinels, fmt.Errorf("launch %s: %w", cfg.label, err)
		}
	}
	return sentinels, nil
}

// durStats is the median, p90 and max of ds, in ms text.
func durStats(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("median %s, p90 %s, max %s", formatMillis(s[len(s)/2]), formatMillis(s[(len(s)*9)/10]), formatMillis(s[len(s)-1]))
}

func (r massResult) print(out io.Writer) {
	var first, last []time.Duration
	triesHist := map[int]int{}
	switched := 0
	for _, name := range r.killed {
		if f, ok := r.first[name]; ok {
			switched++
			first = append(first, f)
			last = append(last, r.last[name])
		}
		triesHist[r.tries[name]]++
	}
	fmt.Fprintf(out, "\n== %s: mass failover, %d of %d-master group SIGKILLed at once\n", r.label, len(r.killed), r.masters)
	fmt.Fprintf(out, "switched: %d of %d; after kill + down-after, first +switch-master: %s\n", switched, len(r.killed), durStats(first))
	fmt.Fprintf(out, "  last of the 3 sentinels' +switch-master: %s\n", durStats(last))
	var keys []int
	for k := range triesHist {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d masters with %d", triesHist[k], k))
	}
	extra := 0
	for name, n := range r.switches {
		if !slices.Contains(r.killed, name) {
			extra += n
		}
	}
	fmt.Fprintf(out, "+try-failover per killed master over the group: %s; -failover-abort-*: %d; +switch-master of masters not killed: %d\n",
		strings.Join(parts, ", "), r.aborts, extra)
	if len(r.killed) > 0 {
		fmt.Fprintf(out, "events of %s's election (ms after kill + down-after; +vote-for-leader and +new-epoch of every master):\n", r.killed[0])
		for _, line := range r.trace {
			fmt.Fprintf(out, "    %s\n", line)
		}
	}
}

// medianOf returns the median first +switch-master and the mean
// +try-failover per killed master.
func (r massResult) medianOf() (time.Duration, float64) {
	var first []time.Duration
	tries := 0
	for _, name := range r.killed {
		if f, ok := r.first[name]; ok {
			first = append(first, f)
		}
		tries += r.tries[name]
	}
	if len(first) == 0 || len(r.killed) == 0 {
		return 0, 0
	}
	slices.Sort(first)
	return first[len(first)/2], float64(tries) / float64(len(r.killed))
}

// runMassPhase runs the mass failover for every implementation, one after
// the other on the same data nodes, and prints both and the ratios.
func runMassPhase(ctx context.Context, opts options, nodes *scaleNodes, logger *slog.Logger, out io.Writer) error {
	var results []massResult
	for _, im := range implsOf(opts) {
		if changed, err := nodes.restore(ctx, logger); err != nil {
			return fmt.Errorf("restore before %s's mass failover: %w", im.label, err)
		} else if changed > 0 {
			fmt.Fprintf(out, "\nrestored %d data nodes before %s's mass failover\n", changed, im.label)
		}
		cfg := scaleConfig{label: im.label, binary: im.binary, masters: opts.scale, downAfter: opts.downAfter,
			settleTimeout: max(opts.settleTimeout, 60*time.Second), logger: logger, verboseMass: opts.verbose}
		res, err := runMassFailover(ctx, cfg, nodes, opts.massKill)
		if err != nil {
			return fmt.Errorf("%s mass failover: %w", im.label, err)
		}
		res.print(out)
		results = append(results, res)
	}
	if len(results) == 2 {
		rf, rt := results[0].medianOf()
		of, ot := results[1].medianOf()
		fmt.Fprintf(out, "\n%-44s %14s %14s\n", "mass failover", results[0].label, results[1].label)
		fmt.Fprintf(out, "%-44s %14s %14s\n", "median first +switch-master after down-after", formatMillis(rf), formatMillis(of))
		fmt.Fprintf(out, "%-44s %14.2f %14.2f\n", "+try-failover per killed master", rt, ot)
	}
	// Leave the topology as it was for whatever runs next.
	_, err := nodes.restore(ctx, logger)
	return err
}
