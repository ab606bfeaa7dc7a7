package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// options are the command-line flags.
type options struct {
	trials          int
	impl            string
	ours            string
	redisSentinel   string
	masterName      string
	downAfter       time.Duration
	failoverTimeout time.Duration
	failoverBound   time.Duration
	rejoinBound     time.Duration
	settleTimeout   time.Duration
	watchAfter      time.Duration
	warmup          time.Duration
	writePause      time.Duration
	giveUpAfter     int
	killWindow      time.Duration
	buckets         int
	seed            uint64
	stallAfter      time.Duration
	rejoin          bool
	keepDirs        bool
	keepFailed      bool
	verbose         bool
	scale           int
	scaleReplicas   int
	scaleNodeHz     int
	scaleWindow     time.Duration
	profileDir      string
	queryRounds     int
	queryRequests   int
	massKill        int
	election        string
	fencing         bool
}

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sentinel-bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.IntVar(&o.trials, "trials", 5, "trials per implementation")
	fs.StringVar(&o.impl, "impl", "both", "which sentinels to run: redis, ours or both")
	fs.StringVar(&o.ours, "ours", "bin/sentinel", "path of our sentinel binary (run as `<path> sentinel.conf`)")
	fs.StringVar(&o.redisSentinel, "redis-sentinel", "redis-sentinel", "path or name of the reference redis-sentinel binary")
	fs.StringVar(&o.masterName, "master-name", "mymaster", "monitored master name")
	fs.DurationVar(&o.downAfter, "down-after", time.Second, "down-after-milliseconds for the master")
	fs.DurationVar(&o.failoverTimeout, "failover-timeout", 10*time.Second, "failover-timeout for the master")
	fs.DurationVar(&o.failoverBound, "failover-bound", 0, "how long to wait for a failover after the kill (0 = down-after + failover-timeout + 5s)")
	fs.DurationVar(&o.rejoinBound, "rejoin-bound", 30*time.Second, "how long to wait for the restarted old master to become a replica")
	fs.DurationVar(&o.settleTimeout, "settle-timeout", 30*time.Second, "how long sentinels may take to see 2 replicas and 2 other sentinels")
	fs.DurationVar(&o.watchAfter, "watch", 5*time.Second, "how long to keep watching for second failovers after the old master rejoined")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "how long the writer runs before the master is killed")
	fs.DurationVar(&o.writePause, "write-pause", 0, "pause between writes (0 = as fast as one connection allows)")
	fs.IntVar(&o.giveUpAfter, "give-up-after", 2, "stop an implementation after this many consecutive trials without failover (0 = never)")
	fs.DurationVar(&o.killWindow, "kill-window", 12*time.Second, "kill the master at moments spread uniformly over this long after the sentinels settle (0 = about 1 s after, the old fixed moment)")
	fs.IntVar(&o.buckets, "buckets", 6, "kill-moment buckets: each round of this many trials kills once in every bucket, and the report has one line per bucket")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the kill-moment schedule (0 = from the clock; the report prints it); the same seed gives the same moments, and a shorter run uses a prefix of a longer run's")
	fs.DurationVar(&o.stallAfter, "stall-after", 5*time.Second, "a trial stalls when its first +switch-master comes later than this after down-after expires, or not at all")
	fs.BoolVar(&o.rejoin, "rejoin", true, "restart the old master after the failover and measure how long it takes to become a replica (-rejoin=false keeps trials short)")
	fs.BoolVar(&o.keepDirs, "keep", false, "keep each trial's directory (configs and logs)")
	fs.BoolVar(&o.keepFailed, "keep-failed", false, "keep the directories of trials that had a problem")
	fs.BoolVar(&o.verbose, "v", false, "debug logging of process starts and stops")
	fs.IntVar(&o.scale, "scale", 0, "scale mode: this many masters (+1 replica each) monitored by 3 sentinels of each implementation; reports start-up (settle time, TILT, spurious +sdown), CPU and RSS (0 = the failover benchmark)")
	fs.IntVar(&o.scaleReplicas, "scale-replicas", 1, "scale mode: replicas per master, 1 or 0 (lone masters: half the data nodes, for -scale 1000 on a small machine; not with -mass-kill)")
	fs.IntVar(&o.scaleNodeHz, "scale-node-hz", 0, "scale mode: start the data nodes with redis-server --hz N (0 = redis-server's default, 10): an idle redis-server's timer costs ~0.17% of a core at 10, which 1,000 of them turn into most of a small machine")
	fs.DurationVar(&o.scaleWindow, "scale-window", 20*time.Second, "scale mode: how long CPU is measured after the sentinels settle")
	fs.StringVar(&o.profileDir, "profile-dir", "", "scale mode: write a 10 s CPU profile of each of our sentinels' start-up here (runs them with --pprof)")
	fs.IntVar(&o.queryRounds, "query-rounds", 0, "scale mode: redis-benchmark rounds of SENTINEL get-master-addr-by-name (1 and -scale masters, plain and -P 16) and SENTINEL MASTERS against one sentinel of each implementation side by side, alternating (0 = skip)")
	fs.IntVar(&o.queryRequests, "query-requests", 100000, "scale mode: requests per unpipelined redis-benchmark run (-P 16 runs 4×, SENTINEL MASTERS 1/20)")
	fs.IntVar(&o.massKill, "mass-kill", 0, "scale mode: SIGKILL this many of the -scale masters at once under 3 sentinels of each implementation and report when each was switched and its +try-failover count (0 = skip)")
	fs.StringVar(&o.election, "election", "vote", "election mode of our sentinels: vote (sentinel.conf, as redis-sentinel) or raft (YAML with an election: block, one raft group of the three on loopback; needs -impl ours)")
	fs.BoolVar(&o.fencing, "fencing", false, "turn split-brain fencing on in our sentinels (`sentinel fencing <name> yes`) and count the writes refused with NOREPLICAS (vote mode, -impl ours)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("sentinel-bench: unexpected arguments %q", fs.Args())
	}
	switch {
	case o.trials < 1:
		return o, fmt.Errorf("sentinel-bench: -trials must be at least 1, got %d", o.trials)
	case o.impl != "redis" && o.impl != "ours" && o.impl != "both":
		return o, fmt.Errorf("sentinel-bench: -impl must be redis, ours or both, got %q", o.impl)
	case o.downAfter <= 0 || o.failoverTimeout <= 0 || o.rejoinBound <= 0 || o.settleTimeout <= 0:
		return o, errors.New("sentinel-bench: -down-after, -failover-timeout, -rejoin-bound and -settle-timeout must be positive")
	case o.failoverBound < 0 || o.watchAfter < 0 || o.warmup < 0 || o.writePause < 0 || o.giveUpAfter < 0 || o.killWindow < 0:
		return o, errors.New("sentinel-bench: durations and -give-up-after must not be negative")
	case o.buckets < 1 || o.buckets > 1000:
		return o, fmt.Errorf("sentinel-bench: -buckets must be between 1 and 1000, got %d", o.buckets)
	case o.stallAfter <= 0:
		return o, errors.New("sentinel-bench: -stall-after must be positive")
	case o.scale < 0 || o.scale > 2000:
		return o, fmt.Errorf("sentinel-bench: -scale must be between 0 and 2000, got %d", o.scale)
	case o.queryRounds < 0 || o.queryRequests < 1 || o.massKill < 0 || o.massKill > o.scale:
		return o, errors.New("sentinel-bench: -query-rounds must not be negative, -query-requests must be positive and -mass-kill between 0 and -scale")
	case o.scaleReplicas != 0 && o.scaleReplicas != 1:
		return o, fmt.Errorf("sentinel-bench: -scale-replicas must be 0 or 1, got %d", o.scaleReplicas)
	case o.scaleReplicas == 0 && o.massKill > 0:
		return o, errors.New("sentinel-bench: -mass-kill needs a replica to promote: it cannot run with -scale-replicas 0")
	case o.scaleNodeHz < 0 || o.scaleNodeHz > 500:
		return o, fmt.Errorf("sentinel-bench: -scale-node-hz must be between 0 and 500 (redis-server's range), got %d", o.scaleNodeHz)
	case o.scaleWindow <= 0:
		return o, errors.New("sentinel-bench: -scale-window must be positive")
	case o.election != "vote" && o.election != "raft":
		return o, fmt.Errorf("sentinel-bench: -election must be vote or raft, got %q", o.election)
	case o.fencing && (o.impl != "ours" || o.election != "vote" || o.scale > 0):
		return o, errors.New("sentinel-bench: -fencing runs only our sentinels (-impl ours) in vote mode in the failover benchmark (not -scale)")
	case o.election == "raft" && (o.impl != "ours" || o.scale > 0):
		return o, errors.New("sentinel-bench: -election raft runs only our sentinels (-impl ours) in the failover benchmark (not -scale)")
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	if o.failoverBound == 0 {
		o.failoverBound = o.downAfter + o.failoverTimeout + 5*time.Second
	}
	return o, nil
}

func main() {
	opts := datanodetest.ParseFlagsOrExit(parseFlags)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, opts, os.Stdout)
	stop()
	os.Exit(code)
}

// run benchmarks the requested implementations and prints the report. It
// returns the exit code: 1 when interrupted or when an implementation
// never failed over.
func run(ctx context.Context, opts options, out io.Writer) int {
	level := slog.LevelInfo
	if opts.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	// go-redis logs every refused dial while the master is dead; that is
	// expected here, so it goes to debug.
	redis.SetLogger(datanode.GoRedisLogger(logger))
	if _, err := exec.LookPath("redis-server"); err != nil {
		fmt.Fprintf(out, "redis-server is not installed: %v\n", err)
		return 1
	}
	if opts.scale > 0 {
		return runScale(ctx, opts, logger, out)
	}

	impls := implsOf(opts)
	schedule := printPlan(out, opts)

	code := 0
	summaries := map[string]*summary{}
	moments := map[string]*momentReport{}
	for _, im := range impls {
		sum := newSummary(im.label, opts.downAfter)
		summaries[im.label] = sum
		mr := &momentReport{impl: im.label, buckets: opts.buckets, window: opts.killWindow, stallAfter: opts.stallAfter, sentinels: 3}
		moments[im.label] = mr
		if _, err := exec.LookPath(im.binary); err != nil {
			fmt.Fprintf(out, "\n== %s: SKIPPED, binary %q not found (%v); for ours run `make build` or pass -ours\n", im.label, im.binary, err)
			code = 1
			continue
		}
		runTrials(ctx, opts, im, schedule, logger, out, sum, mr)
		if sum.trials > 0 && sum.failovers == 0 {
			code = 1
		}
	}
	printReport(out, opts, impls, summaries, moments)
	if ctx.Err() != nil {
		fmt.Fprintln(out, "interrupted; all processes were stopped")
		return 1
	}
	return code
}

// impl is one implementation under test: its label and sentinel binary.
type impl struct{ label, binary string }

// printPlan prints the topology and, in kill-at-any-moment mode, returns
// the kill moments: one list for every implementation, so trial i of each
// kills at the same moment after its sentinels settled.
func printPlan(out io.Writer, opts options) []time.Duration {
	fmt.Fprintf(out, "topology: 1 master, 2 replicas, 3 sentinels, quorum 2, down-after %v, failover-timeout %v; %d trials each; our election mode %s\n",
		opts.downAfter, opts.failoverTimeout, opts.trials, opts.election)
	if opts.killWindow <= 0 {
		return nil
	}
	rejoin := "measured"
	if !opts.rejoin {
		rejoin = "skipped"
	}
	fmt.Fprintf(out, "kill moments: uniform over 0-%v after the sentinels settle, %d buckets, -seed %d; old-master rejoin %s\n",
		opts.killWindow, opts.buckets, opts.seed, rejoin)
	return killSchedule(opts.trials, opts.buckets, opts.killWindow, opts.seed)
}

// runTrials runs one implementation's trials into sum and mr, printing a
// line per trial; it stops early when ctx ends or after -give-up-after
// trials in a row without a failover.
func runTrials(ctx context.Context, opts options, im impl, schedule []time.Duration, logger *slog.Logger, out io.Writer, sum *summary, mr *momentReport) {
	anyMoment := opts.killWindow > 0
	cfg := trialConfig{
		impl:            im.label,
		sentinelBinary:  im.binary,
		masterName:      opts.masterName,
		downAfter:       opts.downAfter,
		failoverTimeout: opts.failoverTimeout,
		settleTimeout:   opts.settleTimeout,
		failoverBound:   opts.failoverBound,
		rejoinBound:     opts.rejoinBound,
		watchAfter:      opts.watchAfter,
		warmup:          opts.warmup,
		writePause:      opts.writePause,
		anyMoment:       anyMoment,
		raft:            opts.election == "raft" && im.label == "ours",
		skipRejoin:      !opts.rejoin,
		fencing:         opts.fencing,
		keepDirs:        opts.keepDirs,
		keepFailed:      opts.keepFailed,
		logger:          logger,
	}
	withoutFailover := 0
	refusedBefore, refusedAfter := 0, 0
	if opts.fencing {
		defer func() {
			fmt.Fprintf(out, "%s with fencing: writes refused with NOREPLICAS: %d before the kills, %d after (all trials)\n", im.label, refusedBefore, refusedAfter)
		}()
	}
	for i := range opts.trials {
		if ctx.Err() != nil {
			return
		}
		var planned time.Duration
		if anyMoment {
			planned = schedule[i]
			cfg.killAt = planned
		}
		res, err := runTrial(ctx, cfg)
		if ctx.Err() != nil {
			fmt.Fprintf(out, "interrupted during %s trial %d\n", im.label, i+1)
			return
		}
		sum.add(res, err)
		if anyMoment && err == nil {
			mr.recs = append(mr.recs, newMomentRecord(res, opts.downAfter, opts.stallAfter))
		}
		printTrial(out, opts, im.label, i, res, err, anyMoment, planned)
		refusedBefore += res.refusedBefore
		refusedAfter += res.refusedAfter
		if err != nil || res.newMaster == "" {
			withoutFailover++
		} else {
			withoutFailover = 0
		}
		if opts.giveUpAfter > 0 && withoutFailover >= opts.giveUpAfter && i+1 < opts.trials {
			fmt.Fprintf(out, "%s: giving up after %d consecutive trials without a failover\n", im.label, withoutFailover)
			return
		}
	}
}

// printTrial prints trial i's line and what went wrong in it.
func printTrial(out io.Writer, opts options, label string, i int, res trialResult, err error, anyMoment bool, planned time.Duration) {
	if err != nil {
		fmt.Fprintf(out, "%s trial %d/%d: could not run: %v\n", label, i+1, opts.trials, err)
		return
	}
	fmt.Fprintf(out, "%s trial %d/%d: %s\n", label, i+1, opts.trials, trialLine(res, opts.downAfter))
	// The report buckets the actual moment; say when it is not the
	// planned one (the pre-kill WAIT can delay tiny moments).
	if anyMoment && res.moment-planned > 100*time.Millisecond {
		fmt.Fprintf(out, "    killed %s after the sentinels settled, planned %s\n", formatMillis(res.moment), formatMillis(planned))
	}
	for _, p := range res.problems {
		fmt.Fprintf(out, "    problem: %s\n", p)
	}
	if opts.fencing || res.refusedBefore+res.refusedAfter > 0 {
		fmt.Fprintf(out, "    writes refused with NOREPLICAS: %d before the kill, %d after\n", res.refusedBefore, res.refusedAfter)
	}
	if len(res.switches) > 1 {
		fmt.Fprintf(out, "    failovers seen: %s\n", strings.Join(res.switches, ", "))
	}
}

// printReport prints the summaries, the ratios between the two
// implementations and, in kill-at-any-moment mode, the per-moment tables.
func printReport(out io.Writer, opts options, impls []impl, summaries map[string]*summary, moments map[string]*momentReport) {
	for _, im := range impls {
		if s := summaries[im.label]; s.trials > 0 {
			s.print(out)
		}
	}
	ref, ours := summaries["redis-sentinel"], summaries["ours"]
	if ref != nil && ours != nil && ref.trials > 0 && ours.trials > 0 {
		printRatios(out, ref, ours)
	}
	if opts.killWindow > 0 {
		for _, im := range impls {
			moments[im.label].print(out)
		}
		if ref, ours := moments["redis-sentinel"], moments["ours"]; ref != nil && ours != nil {
			printMomentRatios(out, ref, ours)
		}
	}
	if ours != nil && ours.trials > 0 && ours.failovers == 0 {
		fmt.Fprintf(out, "\nOUR SENTINEL DID NOT FAIL OVER in any trial (binary %s); see the problems and log tails above.\n", opts.ours)
	}
}
