package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

type options struct {
	sentinelBinary  string
	useRedis        bool
	masterName      string
	downAfter       time.Duration
	failoverTimeout time.Duration
	failoverBound   time.Duration
	rejoinBound     time.Duration
	keepDir         bool
	pageWait        time.Duration
	linger          time.Duration
	verbose         bool
}

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sentinel-demo", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&o.sentinelBinary, "sentinel-binary", "bin/sentinel", "our sentinel binary, run as `<path> sentinel.conf`")
	fs.BoolVar(&o.useRedis, "redis-sentinel", false, "run Debian's redis-sentinel instead of our binary")
	fs.StringVar(&o.masterName, "master-name", "mymaster", "monitored master name")
	fs.DurationVar(&o.downAfter, "down-after", time.Second, "down-after-milliseconds")
	fs.DurationVar(&o.failoverTimeout, "failover-timeout", 10*time.Second, "failover-timeout")
	fs.DurationVar(&o.failoverBound, "failover-bound", 0, "how long to wait for the failover (0 = down-after + failover-timeout + 5s)")
	fs.DurationVar(&o.rejoinBound, "rejoin-bound", 30*time.Second, "how long to wait for the restarted old master to become a replica")
	fs.BoolVar(&o.keepDir, "keep", false, "keep the directory with configs and logs")
	fs.DurationVar(&o.pageWait, "page-wait", 0, "with our binary: wait this long after printing the status pages' URLs, before the kill, so they can be opened")
	fs.DurationVar(&o.linger, "linger", 0, "keep everything running this long after the summary (Ctrl-C ends it), to look at the status pages")
	fs.BoolVar(&o.verbose, "v", false, "debug logging of process starts and stops")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("sentinel-demo: unexpected arguments %q", fs.Args())
	}
	if o.downAfter <= 0 || o.failoverTimeout <= 0 || o.rejoinBound <= 0 || o.failoverBound < 0 || o.pageWait < 0 || o.linger < 0 {
		return o, errors.New("sentinel-demo: -down-after, -failover-timeout and -rejoin-bound must be positive, -page-wait and -linger not negative")
	}
	if o.masterName == "" || strings.ContainsAny(o.masterName, " \t\r\n") {
		return o, fmt.Errorf("sentinel-demo: invalid master name %q", o.masterName)
	}
	if o.failoverBound == 0 {
		o.failoverBound = o.downAfter + o.failoverTimeout + 5*time.Second
	}
	if o.useRedis {
		o.sentinelBinary = "redis-sentinel"
	}
	return o, nil
}

func main() {
	opts := datanodetest.ParseFlagsOrExit(parseFlags)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := slog.LevelWarn
	if opts.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	redis.SetLogger(datanode.GoRedisLogger(logger))
	err := run(ctx, opts, newPrinter(os.Stdout), logger)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// printer serialises output from the event callback and the main flow, and
// stamps lines relative to the kill once it happened.
type printer struct {
	mu       sync.Mutex
	out      io.Writer
	killedAt time.Time
}

func newPrinter(out io.Writer) *printer { return &printer{out: out} }

func (p *printer) setKilledAt(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.killedAt = t
}

func (p *printer) stamp(at time.Time) string {
	if p.killedAt.IsZero() {
		return "    setup"
	}
	return fmt.Sprintf("%+8.3fs", at.Sub(p.killedAt).Seconds())
}

func (p *printer) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "%s  %s\n", p.stamp(time.Now()), fmt.Sprintf(format, args...))
}

func (p *printer) plain(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}

func (p *printer) event(ev datanodetest.SentinelEvent, sentinelName string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	marker := ""
	if milestone, ok := milestones[ev.Channel]; ok {
		marker = "   <== " + milestone
	}
	fmt.Fprintf(p.out, "%s  [%s] %-28s %s%s\n", p.stamp(ev.At), sentinelName, ev.Channel, ev.Payload, marker)
}

// milestones are the events that mark the steps of a failover.
var milestones = map[string]string{
	"+sdown":                             "subjectively down",
	"+odown":                             "objectively down (quorum agrees)",
	"+try-failover":                      "starting a failover",
	"+vote-for-leader":                   "vote",
	"+elected-leader":                    "elected failover leader",
	"+selected-slave":                    "replica chosen",
	"+failover-state-send-slaveof-noone": "sending REPLICAOF NO ONE",
	"+promoted-slave":                    "replica promoted",
	"+slave-reconf-done":                 "replica repointed",
	"+failover-end":                      "failover done",
	"+switch-master":                     "clients told the new master",
	"+convert-to-slave":                  "old master turned into a replica",
}

func run(ctx context.Context, opts options, p *printer, logger *slog.Logger) error {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return fmt.Errorf("sentinel-demo: redis-server is not installed (apt-get install redis-server): %w", err)
	}
	if _, err := exec.LookPath(opts.sentinelBinary); err != nil {
		return fmt.Errorf("sentinel-demo: sentinel binary %q not found; run `make build` first, or pass -redis-sentinel to use Debian's: %w", opts.sentinelBinary, err)
	}
	dir, err := os.MkdirTemp("", "sentinel-demo-")
	if err != nil {
		return fmt.Errorf("sentinel-demo: %w", err)
	}
	if opts.keepDir {
		defer p.plain("configs and logs kept in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	p.plain("Starting 1 master, 2 replicas and 3 sentinels (%s) on 127.0.0.1 in %s ...", opts.sentinelBinary, dir)
	pages, err := pageAddrs(opts)
	if err != nil {
		return err
	}
	cluster, err := datanodetest.LaunchCluster(ctx, datanodetest.ClusterOptions{
		SentinelArgsEach: func(i int) []string {
			if len(pages) == 0 {
				return nil
			}
			return []string{"--metrics-addr", pages[i]}
		},
		Replicas:        2,
		Sentinels:       3,
		SentinelBinary:  opts.sentinelBinary,
		MasterName:      opts.masterName,
		Quorum:          2,
		DownAfter:       opts.downAfter,
		FailoverTimeout: opts.failoverTimeout,
		ParallelSyncs:   1,
		Dir:             dir,
		Logger:          logger,
	})
	if err != nil {
		return err
	}
	defer func() {
		_ = cluster.Close()
		p.plain("Stopped every process the demo started (by PID).")
	}()
	printTopology(p, cluster)

	p.plain("\nWaiting for the sentinels to discover the replicas and each other ...")
	if err := cluster.WaitSettled(ctx, 30*time.Second); err != nil {
		printLogTails(p, cluster)
		return err
	}
	p.plain("Every sentinel sees 2 replicas and 2 other sentinels; they agree the master is %s.", cluster.AgreedMaster(ctx))
	if err := printPages(ctx, p, pages, opts.pageWait); err != nil {
		return err
	}

	names := map[string]string{}
	for i, s := range cluster.Sentinels {
		names[s.Addr()] = fmt.Sprintf("s%d", i+1)
	}
	watcher, err := datanodetest.WatchEvents(ctx, cluster.SentinelAddrs(), func(ev datanodetest.SentinelEvent) {
		p.event(ev, names[ev.Sentinel])
	}, logger)
	if err != nil {
		return err
	}
	defer watcher.Close()

	old := cluster.Topology.Master
	p.plain("\nSubscribed to every sentinel's events (PSUBSCRIBE *). Times below are seconds since the kill.\n")
	killedAt := time.Now()
	p.setKilledAt(killedAt)
	pid := old.PID()
	if err := old.Kill(); err != nil {
		return err
	}
	p.say("SIGKILL sent to master %s (pid %d); down-after is %v", old.Addr(), pid, opts.downAfter)

	newMaster, err := waitForFailover(ctx, cluster, old.Addr(), opts.failoverBound)
	if err != nil {
		printLogTails(p, cluster)
		return err
	}
	p.say("all 3 sentinels now answer GET-MASTER-ADDR-BY-NAME with %s", newMaster)
	if err := writeThroughSentinels(ctx, cluster); err != nil {
		p.say("write through go-redis failover client failed: %v", err)
	} else {
		p.say("go-redis NewFailoverClient found the new master and wrote to it")
	}

	rejoined, err := restartOldMaster(ctx, p, old, newMaster, opts.rejoinBound)
	if err != nil {
		return err
	}
	// A short quiet period lets the trailing events (+convert-to-slave,
	// -sdown of the old master) arrive before the summary.
	if err := datanodetest.Sleep(ctx, 1500*time.Millisecond); err != nil {
		return err
	}
	printSummary(p, watcher, cluster.MasterName, killedAt, opts.downAfter, old.Addr(), newMaster)
	lingerForPages(ctx, p, pages, opts.linger)
	if !rejoined {
		return errors.New("sentinel-demo: the old master did not rejoin as a replica")
	}
	return nil
}

// restartOldMaster restarts the killed master and reports whether it
// became a replica of newMaster within bound.
func restartOldMaster(ctx context.Context, p *printer, old *datanodetest.Process, newMaster string, bound time.Duration) (bool, error) {
	p.say("restarting the old master %s (empty, no persistence: a standalone master for now)", old.Addr())
	restartedAt := time.Now()
	if err := old.Restart(ctx); err != nil {
		return false, err
	}
	rejoined := datanodetest.Poll(ctx, bound, 20*time.Millisecond, func() bool {
		ok, _ := isReplicaRole(ctx, old, newMaster)
		return ok
	}) == nil
	if rejoined {
		p.say("old master %s is now a replica of %s (%.2fs after the restart)", old.Addr(), newMaster, time.Since(restartedAt).Seconds())
	} else {
		p.say("old master %s did NOT become a replica of %s within %v", old.Addr(), newMaster, bound)
	}
	return rejoined, nil
}

func printTopology(p *printer, c *datanodetest.Cluster) {
	p.plain("\n  role       address            pid")
	p.plain("  master     %-18s %d", c.Topology.Master.Addr(), c.Topology.Master.PID())
	for _, r := range c.Topology.Replicas {
		p.plain("  replica    %-18s %d", r.Addr(), r.PID())
	}
	for i, s := range c.Sentinels {
		p.plain("  sentinel   %-18s %d   (s%d, config %s/sentinel.conf)", s.Addr(), s.PID(), i+1, s.Dir())
	}
}

// waitForFailover waits until every sentinel names the same master, other
// than old, and returns it.
func waitForFailover(ctx context.Context, c *datanodetest.Cluster, old string, bound time.Duration) (string, error) {
	var agreed string
	err := datanodetest.Poll(ctx, bound, 20*time.Millisecond, func() bool {
		agreed = c.AgreedMaster(ctx)
		return agreed != "" && agreed != old
	})
	if err != nil {
		return "", fmt.Errorf("sentinel-demo: no failover within %v of the kill (sentinels say %v): %w", bound, c.MasterAddrs(ctx), err)
	}
	return agreed, nil
}

func isReplicaRole(ctx context.Context, p *datanodetest.Process, master string) (bool, error) {
	rep, err := datanodetest.Replication(ctx, p)
	return err == nil && rep.Role == "slave" && rep.MasterAddr == master, err
}

// writeThroughSentinels does what an application does: discover the master
// through the sentinels with go-redis and write to it.
func writeThroughSentinels(ctx context.Context, c *datanodetest.Cluster) error {
	client := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:      c.MasterName,
		SentinelAddrs:   c.SentinelAddrs(),
		DialTimeout:     time.Second,
		ReadTimeout:     time.Second,
		WriteTimeout:    time.Second,
		DisableIdentity: true,
	})
	defer client.Close()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return client.Set(wctx, "sentinel-demo", "written after the failover", 0).Err()
}

// printSummary lists the first occurrence of each failover step.
func printSummary(p *printer, w *datanodetest.EventWatcher, name string, killedAt time.Time, downAfter time.Duration, old, newMaster string) {
	p.plain("\nFailover summary (first occurrence on any sentinel; down-after expired at +%.3fs):", downAfter.Seconds())
	steps := []struct{ channel, what string }{
		{"+sdown", "master subjectively down"},
		{"+odown", "master objectively down"},
		{"+try-failover", "failover started"},
		{"+elected-leader", "leader elected"},
		{"+selected-slave", "replica selected"},
		{"+promoted-slave", "replica promoted"},
		{"+switch-master", "+switch-master published"},
		{"+failover-end", "failover ended"},
		{"+convert-to-slave", "old master converted to replica"},
	}
	for _, step := range steps {
		ev, ok := w.First(step.channel, killedAt, nil)
		if !ok {
			p.plain("  %-34s not seen", step.what)
			continue
		}
		p.plain("  %-34s %+8.3fs  %s", step.what, ev.At.Sub(killedAt).Seconds(), ev.Payload)
	}
	p.plain("  master: %s  ->  %s (master name %s)", old, newMaster, name)
}

func printLogTails(p *printer, c *datanodetest.Cluster) {
	for i, s := range c.Sentinels {
		p.plain("--- log tail of s%d %s (%s)", i+1, s.Addr(), s.LogPath())
		p.plain("%s", s.LogTail(15))
	}
}

// pageAddrs picks a free loopback port for each sentinel's HTTP listener
// (the status page, /metrics, /status); none for Debian's redis-sentinel.
func pageAddrs(opts options) ([]string, error) {
	if opts.useRedis {
		return nil, nil
	}
	var addrs []string
	for range 3 {
		port, err := datanodetest.PickFreePort()
		if err != nil {
			return nil, fmt.Errorf("sentinel-demo: %w", err)
		}
		addrs = append(addrs, net.JoinHostPort(datanodetest.Loopback, strconv.Itoa(port)))
	}
	return addrs, nil
}

// printPages prints the status pages' URLs and waits, if asked, so a
// person can open one before the kill.
func printPages(ctx context.Context, p *printer, pages []string, wait time.Duration) error {
	if len(pages) == 0 {
		return nil
	}
	p.plain("\nStatus pages (live, they update themselves):")
	for i, a := range pages {
		p.plain("  s%d  http://%s/", i+1, a)
	}
	if wait > 0 {
		p.plain("Open one now: the master is killed in %v.", wait)
		return datanodetest.Sleep(ctx, wait)
	}
	return nil
}

// lingerForPages keeps the group up after the summary so the pages can be
// looked at; Ctrl-C ends it early.
func lingerForPages(ctx context.Context, p *printer, pages []string, linger time.Duration) {
	if len(pages) == 0 || linger <= 0 {
		return
	}
	p.plain("\nThe status pages show the failover and its timeline: http://%s/ (Ctrl-C ends the demo; %v left).", pages[0], linger)
	_ = datanodetest.Sleep(ctx, linger)
}
