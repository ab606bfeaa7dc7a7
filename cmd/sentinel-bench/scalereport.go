package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

// runScale is the -scale mode: -scale masters with one replica each (or
// none with -scale-replicas 0), three sentinels of each implementation
// monitoring all of them (one implementation at a time, on the same data
// nodes), and the start-up and steady-state figures side by side.
func runScale(ctx context.Context, opts options, logger *slog.Logger, out io.Writer) int {
	topology, ready := " + 1 replica each", "up and replicating"
	if opts.scaleReplicas == 0 {
		topology, ready = ", no replicas", "up"
	}
	var nodeArgs []string
	if opts.scaleNodeHz > 0 {
		nodeArgs = []string{"--hz", strconv.Itoa(opts.scaleNodeHz)}
		topology += fmt.Sprintf(" (redis-server --hz %d)", opts.scaleNodeHz)
	}
	fmt.Fprintf(out, "scale: %d masters%s, %d sentinels, quorum 2, down-after %v; window %v\n",
		opts.scale, topology, scaleSentinels, opts.downAfter, opts.scaleWindow)
	started := time.Now()
	nodes, err := launchScaleNodes(ctx, opts.scale, opts.scaleReplicas, nodeArgs, logger)
	if err != nil {
		fmt.Fprintf(out, "data nodes: %v\n", err)
		return 1
	}
	defer nodes.Close()
	fmt.Fprintf(out, "data nodes %s in %s\n", ready, formatMillis(time.Since(started)))
	var results []scaleResult
	code := 0
	for _, im := range implsOf(opts) {
		if _, err := exec.LookPath(im.binary); err != nil {
			fmt.Fprintf(out, "== %s: SKIPPED, binary %q not found (%v)\n", im.label, im.binary, err)
			code = 1
			continue
		}
		cfg := scaleConfig{
			label: im.label, binary: im.binary, masters: opts.scale, downAfter: opts.downAfter,
			settleTimeout: max(opts.settleTimeout, 60*time.Second), window: opts.scaleWindow, logger: logger,
		}
		if im.label == "ours" {
			cfg.profileDir = opts.profileDir
		}
		if changed, err := nodes.restore(ctx, logger); err != nil {
			fmt.Fprintf(out, "== %s: could not restore the data nodes: %v\n", im.label, err)
			return 1
		} else if changed > 0 {
			fmt.Fprintf(out, "\nrestored %d data nodes the previous run had reconfigured (a spurious failover)\n", changed)
		}
		res, err := runScaleImpl(ctx, cfg, nodes)
		if err != nil {
			fmt.Fprintf(out, "== %s: could not run: %v\n", im.label, err)
			code = 1
			continue
		}
		res.print(out)
		results = append(results, res)
		if res.settled == 0 {
			code = 1
		}
	}
	if len(results) == 2 {
		printScaleRatios(out, results[0], results[1])
	}
	if code == 0 && opts.queryRounds > 0 {
		if _, err := nodes.restore(ctx, logger); err != nil {
			fmt.Fprintf(out, "restore before the query phase: %v\n", err)
			return 1
		}
		if err := runQueryPhase(ctx, opts, nodes, logger, out); err != nil {
			fmt.Fprintf(out, "query phase: %v\n", err)
			code = 1
		}
	}
	if code == 0 && opts.massKill > 0 {
		if err := runMassPhase(ctx, opts, nodes, logger, out); err != nil {
			fmt.Fprintf(out, "mass failover phase: %v\n", err)
			code = 1
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(out, "interrupted; all processes were stopped")
		return 1
	}
	return code
}

// implsOf lists the implementations -impl asks for, the reference first.
func implsOf(opts options) []impl {
	var impls []impl
	if opts.impl != "ours" {
		impls = append(impls, impl{"redis-sentinel", opts.redisSentinel})
	}
	if opts.impl != "redis" {
		impls = append(impls, impl{"ours", opts.ours})
	}
	return impls
}

func (r scaleResult) print(out io.Writer) {
	fmt.Fprintf(out, "\n== %s\n", r.label)
	if r.settled > 0 {
		replica := "its replica"
		if r.noReplicas {
			replica = "no replica"
		}
		fmt.Fprintf(out, "settled (every sentinel: every master, %s, 2 peers) %s after launch\n", replica, formatMillis(r.settled))
	} else {
		fmt.Fprintf(out, "NOT SETTLED; last missing: %s\n", r.lastMiss)
	}
	fmt.Fprintf(out, "sentinels in TILT: %d; +sdown %d, -sdown %d, +odown %d, +try-failover %d (every node alive: all spurious)\n",
		r.tilted, r.sdown, r.sdownOff, r.odown, r.failover)
	if r.sdown > 0 {
		fmt.Fprintf(out, "+sdown by type %v, first %s and last %s after launch\n", r.sdownKinds, formatMillis(r.sdownFirst), formatMillis(r.sdownLast))
	}
	for _, line := range r.sdownSamples {
		fmt.Fprintf(out, "    +sdown %s\n", line)
	}
	for _, line := range r.tiltLines {
		fmt.Fprintf(out, "    log: %s\n", line)
	}
	for i := range r.cpu {
		fmt.Fprintf(out, "sentinel %d: start-up CPU %s; window CPU %s (%.1f%% of a core), RSS %.1f MiB\n",
			i, formatMillis(r.startCPU[i]), formatMillis(r.cpu[i]), 100*r.cpu[i].Seconds()/r.window.Seconds(), float64(r.rss[i])/1024)
	}
	fmt.Fprintf(out, "mean per sentinel: window CPU %.1f%% of a core, RSS %.1f MiB\n", 100*r.meanCPU().Seconds()/r.window.Seconds(), r.meanRSS()/1024)
	if len(r.cpu) > 0 {
		fmt.Fprintf(out, "max per sentinel: start-up CPU %s, window CPU %.1f%% of a core, RSS %.1f MiB\n",
			formatMillis(slices.Max(r.startCPU)), 100*slices.Max(r.cpu).Seconds()/r.window.Seconds(), float64(slices.Max(r.rss))/1024)
	}
}

func (r scaleResult) meanCPU() time.Duration      { return time.Duration(mean(r.cpu)) }
func (r scaleResult) meanStartCPU() time.Duration { return time.Duration(mean(r.startCPU)) }
func (r scaleResult) meanRSS() float64            { return mean(r.rss) }

// mean is the average of xs, 0 when there are none.
func mean[T ~int64](xs []T) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum T
	for _, x := range xs {
		sum += x
	}
	return float64(sum) / float64(len(xs))
}

// printScaleRatios prints ours relative to the reference: below 1.0 is
// less time, CPU or memory than redis-sentinel.
func printScaleRatios(out io.Writer, ref, ours scaleResult) {
	ratio := func(a, b float64) string {
		if b == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	fmt.Fprintf(out, "\n== ours / redis-sentinel (below 1.0: ours uses less)\n")
	fmt.Fprintf(out, "%-32s %14s %14s %8s\n", "figure", "redis-sentinel", "ours", "ratio")
	fmt.Fprintf(out, "%-32s %14s %14s %8s\n", "settled after launch", formatMillis(ref.settled), formatMillis(ours.settled),
		ratio(ours.settled.Seconds(), ref.settled.Seconds()))
	fmt.Fprintf(out, "%-32s %14d %14d\n", "sentinels in TILT", ref.tilted, ours.tilted)
	fmt.Fprintf(out, "%-32s %14d %14d\n", "spurious +sdown", ref.sdown, ours.sdown)
	fmt.Fprintf(out, "%-32s %14s %14s %8s\n", "start-up CPU per sentinel", formatMillis(ref.meanStartCPU()), formatMillis(ours.meanStartCPU()),
		ratio(ours.meanStartCPU().Seconds(), ref.meanStartCPU().Seconds()))
	fmt.Fprintf(out, "%-32s %13.1f%% %13.1f%% %8s\n", "window CPU per sentinel (core)", 100*ref.meanCPU().Seconds()/ref.window.Seconds(),
		100*ours.meanCPU().Seconds()/ours.window.Seconds(), ratio(ours.meanCPU().Seconds(), ref.meanCPU().Seconds()))
	fmt.Fprintf(out, "%-32s %10.1f MiB %10.1f MiB %8s\n", "RSS per sentinel", ref.meanRSS()/1024, ours.meanRSS()/1024, ratio(ours.meanRSS(), ref.meanRSS()))
}
