package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// Figures a trial measures. Durations are from the kill unless noted.
const (
	figSDown      = "sdown"
	figODown      = "odown"
	figSwitch     = "switch"
	figAgree      = "agree"
	figFirstWrite = "first_write"
	figRepointed  = "repointed"
	figRejoin     = "rejoin" // from the restart of the old master
)

// trialConfig is what every trial of one implementation shares.
type trialConfig struct {
	impl            string // label: "redis-sentinel" or "ours"
	sentinelBinary  string
	masterName      string
	downAfter       time.Duration
	failoverTimeout time.Duration
	settleTimeout   time.Duration
	failoverBound   time.Duration
	rejoinBound     time.Duration
	watchAfter      time.Duration
	warmup          time.Duration
	writePause      time.Duration
	// anyMoment starts the writer and the event watcher before the
	// sentinels settle and kills the master killAt after they have.
	// Otherwise the master dies warmup after the writer's first write,
	// about a second after the sentinels settle: always the same phase of
	// their 10 s INFO period, when everything they know is fresh.
	anyMoment bool
	killAt    time.Duration
	// raft runs our sentinels in raft mode (see raft.go).
	raft       bool
	skipRejoin bool
	// fencing turns split-brain fencing on in every sentinel.conf.
	fencing    bool
	keepDirs   bool
	keepFailed bool // keep only trials with an error or a problem
	logger     *slog.Logger
}

// trialResult is what one trial measured. A figure missing from durations
// was not observed within its bound.
type trialResult struct {
	durations       map[string]time.Duration
	oldMaster       string
	newMaster       string
	switches        []string // distinct +switch-master payloads after the kill, in order
	secondFailovers int
	acked           int
	lost            int
	lostChecked     bool
	writeErrors     int
	// Writes the master refused with NOREPLICAS (fencing), before and
	// after the kill.
	refusedBefore, refusedAfter int
	moment                      time.Duration // from "sentinels settled" to the kill
	events                      eventReport
	problems                    []string // what did not happen, in words
}

func (r *trialResult) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// runTrial starts a fresh cluster, kills its master and measures. It
// returns an error only when the trial could not be run at all (processes
// did not start or settle); a missing failover is reported in problems.
func runTrial(ctx context.Context, cfg trialConfig) (res trialResult, err error) {
	res.durations = map[string]time.Duration{}
	dir, err := os.MkdirTemp("", "sentinel-bench-")
	if err != nil {
		return res, fmt.Errorf("sentinel-bench: temp dir: %w", err)
	}
	defer func() {
		if cfg.keepDirs || cfg.keepFailed && (err != nil || len(res.problems) > 0) {
			fmt.Printf("    (kept %s)\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()

	cluster, err := launchTrialCluster(ctx, cfg, dir)
	if err != nil {
		return res, err
	}
	// Closing kills every process by PID; it runs on every path out,
	// including Ctrl-C (the context is cancelled and the phases return).
	defer func() {
		if err != nil || len(res.problems) > 0 {
			printLogTails(cluster)
		}
		_ = cluster.Close()
	}()

	var settledAt time.Time
	if !cfg.anyMoment {
		if err := waitSettled(ctx, cfg, cluster); err != nil {
			return res, err
		}
		settledAt = time.Now()
	}
	watcher, err := datanodetest.WatchEvents(ctx, cluster.SentinelAddrs(), nil, cfg.logger)
	if err != nil {
		return res, err
	}
	defer watcher.Close()

	w := newWriter(cluster.MasterName, cluster.SentinelAddrs(), cfg.writePause)
	w.start(ctx)
	defer w.stop()
	if cfg.anyMoment {
		// The watcher and the writer are already running, so what follows
		// the settle takes milliseconds and even a kill moment near 0 is
		// kept.
		if err := waitSettled(ctx, cfg, cluster); err != nil {
			return res, err
		}
		settledAt = time.Now()
	}
	if err := datanodetest.Poll(ctx, 5*time.Second, 5*time.Millisecond, func() bool { return len(w.snapshot()) > 0 }); err != nil {
		return res, fmt.Errorf("sentinel-bench: the failover client never wrote before the kill: %w", err)
	}
	if !cfg.anyMoment {
		if err := datanodetest.Sleep(ctx, cfg.warmup); err != nil {
			return res, err
		}
	}
	waitReplication(ctx, cluster, &res)

	if cfg.anyMoment {
		if err := datanodetest.Sleep(ctx, time.Until(settledAt.Add(cfg.killAt))); err != nil {
			return res, err
		}
	}

	oldMaster := cluster.Topology.Master
	res.oldMaster = oldMaster.Addr()
	killedAt := time.Now()
	res.moment = killedAt.Sub(settledAt)
	if err := oldMaster.Kill(); err != nil {
		return res, err
	}

	measureFailover(ctx, cfg, cluster, killedAt, &res)
	if res.newMaster != "" && !cfg.skipRejoin {
		measureRejoin(ctx, cfg, cluster, oldMaster, &res)
	}
	if err := datanodetest.Sleep(ctx, cfg.watchAfter); err != nil {
		return res, err
	}
	acks := stopAndTallyWrites(w, killedAt, &res)

	if first, ok := firstAckSentAfter(acks, killedAt); ok {
		res.durations[figFirstWrite] = first.ackAt.Sub(killedAt)
	} else {
		res.problem("no write acknowledged after the kill")
	}
	collectEvents(watcher, cluster.MasterName, killedAt, &res)
	res.events = analyzeEvents(eventsSince(watcher.Events(), killedAt), cluster.SentinelAddrs(), cluster.MasterName, res.oldMaster)
	for _, sv := range res.events.splitVotes {
		res.problem("%s", sv)
	}

	checkFinalMaster(ctx, cluster, acks, killedAt, &res)
	return res, ctx.Err()
}

// launchTrialCluster starts one trial's data nodes and three sentinels in
// dir: with fencing on when asked, and from YAML with an election block in
// raft mode.
func launchTrialCluster(ctx context.Context, cfg trialConfig, dir string) (*datanodetest.Cluster, error) {
	confText := ""
	if cfg.fencing {
		confText = fmt.Sprintf("sentinel fencing %s yes\n", cfg.masterName)
	}
	var yaml func(i int, masterAddr string) string
	if cfg.raft {
		group, err := newRaftGroup(3)
		if err != nil {
			return nil, err
		}
		yaml = func(i int, masterAddr string) string { return group.yaml(i, cfg, masterAddr) }
	}
	return datanodetest.LaunchCluster(ctx, datanodetest.ClusterOptions{
		Replicas:         2,
		Sentinels:        3,
		SentinelBinary:   cfg.sentinelBinary,
		MasterName:       cfg.masterName,
		Quorum:           2,
		DownAfter:        cfg.downAfter,
		FailoverTimeout:  cfg.failoverTimeout,
		ParallelSyncs:    1,
		SentinelConfText: confText,
		SentinelYAML:     yaml,
		Dir:              dir,
		Logger:           cfg.logger,
	})
}

// stopAndTallyWrites stops the writer and records its acknowledged writes,
// errors and refusals (before and after the kill) in res; it returns the
// acknowledged writes.
func stopAndTallyWrites(w *writer, killedAt time.Time, res *trialResult) []ack {
	w.stop()
	acks := w.snapshot()
	res.acked = len(acks)
	res.writeErrors = w.errorCount()
	for _, at := range w.refusals() {
		if at.Before(killedAt) {
			res.refusedBefore++
		} else {
			res.refusedAfter++
		}
	}
	return acks
}

// waitSettled waits until the sentinels see each other and the replicas
// and, in raft mode, until the raft group has a leader and the master is
// raft state on every node.
func waitSettled(ctx context.Context, cfg trialConfig, cluster *datanodetest.Cluster) error {
	if err := cluster.WaitSettled(ctx, cfg.settleTimeout); err != nil {
		return err
	}
	if cfg.raft {
		return waitRaftReady(ctx, cluster, cfg.settleTimeout)
	}
	return nil
}

// waitReplication WAITs until both replicas acknowledge the master's
// writes. A Redis 7 master starts streaming to a replica that just did a
// diskless full sync only after the replica's first REPLCONF ACK, up to a
// second later; writes in that window are on no replica, whatever the
// sentinels do. Waiting makes "lost writes" measure the failover, not the
// warm-up of replication.
func waitReplication(ctx context.Context, cluster *datanodetest.Cluster, res *trialResult) {
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	acked, werr := cluster.Topology.Master.Client().Do(wctx, "WAIT", 2, 3000).Int()
	wcancel()
	if werr != nil || acked < 2 {
		res.problem("replication was not streaming to both replicas before the kill (WAIT: %d, %v)", acked, werr)
	}
}

// checkFinalMaster checks that the sentinels agree on a running master at
// the end and that it holds every acknowledged write.
func checkFinalMaster(ctx context.Context, cluster *datanodetest.Cluster, acks []ack, killedAt time.Time, res *trialResult) {
	final := cluster.AgreedMaster(ctx)
	if final == "" {
		res.problem("sentinels disagree about the master at the end: %v", cluster.MasterAddrs(ctx))
		return
	}
	p := cluster.ProcessByAddr(final)
	if p == nil || !p.Running() {
		res.problem("final master %s is not a running server", final)
		return
	}
	lost, err := findLost(ctx, p.Client(), acks)
	if err != nil {
		res.problem("%v", err)
		return
	}
	res.lost, res.lostChecked = len(lost), true
	if len(lost) > 0 {
		// When the lost writes were acknowledged tells which server took
		// them: before the kill, the old master; after, a new one.
		first, last := lost[0], lost[len(lost)-1]
		res.problem("%d acknowledged writes lost (seq %d..%d, acknowledged %s..%s after the kill; final master %s)",
			len(lost), first.seq, last.seq,
			formatMillis(first.ackAt.Sub(killedAt)), formatMillis(last.ackAt.Sub(killedAt)), final)
	}
}

// measureFailover polls, every 10 ms, until all sentinels report the same
// new master and the other replica follows it (link up), or the bound ends.
func measureFailover(ctx context.Context, cfg trialConfig, cluster *datanodetest.Cluster, killedAt time.Time, res *trialResult) {
	var agreedAt, repointedAt time.Time
	err := datanodetest.Poll(ctx, cfg.failoverBound, 10*time.Millisecond, func() bool {
		if agreedAt.IsZero() {
			addr := cluster.AgreedMaster(ctx)
			if addr == "" || addr == res.oldMaster {
				return false
			}
			agreedAt, res.newMaster = time.Now(), addr
		}
		for _, p := range cluster.Topology.Replicas {
			if p.Addr() == res.newMaster {
				continue
			}
			if ok, _ := datanodetest.IsReplicaOf(ctx, p, res.newMaster); !ok {
				return false
			}
		}
		repointedAt = time.Now()
		return true
	})
	if !agreedAt.IsZero() {
		res.durations[figAgree] = agreedAt.Sub(killedAt)
	}
	if !repointedAt.IsZero() {
		res.durations[figRepointed] = repointedAt.Sub(killedAt)
	}
	if err != nil {
		if agreedAt.IsZero() {
			res.problem("no failover: sentinels did not agree on a new master within %v of the kill (they say %v)",
				cfg.failoverBound, cluster.MasterAddrs(ctx))
		} else {
			res.problem("the other replica was not repointed to %s within %v", res.newMaster, cfg.failoverBound)
		}
	}
}

// measureRejoin restarts the old master (empty, standalone, as after a
// crash without persistence) and waits until it reports being a replica of
// the master the sentinels agree on. That is normally the first new master;
// after a second failover it is whichever master they moved to.
func measureRejoin(ctx context.Context, cfg trialConfig, cluster *datanodetest.Cluster, oldMaster *datanodetest.Process, res *trialResult) {
	// Measured from the exec, not from the first PONG: our sentinel can
	// turn the server into a replica before the harness's own PING sees it.
	restartAt := time.Now()
	if err := oldMaster.Restart(ctx); err != nil {
		res.problem("restart old master: %v", err)
		return
	}
	var target, seen string
	err := datanodetest.Poll(ctx, cfg.rejoinBound, 10*time.Millisecond, func() bool {
		if agreed := cluster.AgreedMaster(ctx); agreed != "" {
			target = agreed
		}
		if target == "" || target == oldMaster.Addr() {
			return false
		}
		rep, err := datanodetest.Replication(ctx, oldMaster)
		if err != nil {
			seen = err.Error()
			return false
		}
		seen = rep.String()
		// Link up is not required: the figure is how long the restarted
		// server stays a writable standalone master.
		return rep.Role == "slave" && rep.MasterAddr == target
	})
	if err != nil {
		res.problem("restarted old master %s did not become a replica of %s within %v (it says %s; switches: %s)",
			oldMaster.Addr(), target, cfg.rejoinBound, seen, strings.Join(res.switchesSoFar(cluster, ctx), ", "))
		return
	}
	res.durations[figRejoin] = time.Since(restartAt)
}

// switchesSoFar is a best-effort description of where the sentinels point,
// for problem reports.
func (r *trialResult) switchesSoFar(cluster *datanodetest.Cluster, ctx context.Context) []string {
	return []string{r.oldMaster + " -> " + r.newMaster, "now " + strings.Join(cluster.MasterAddrs(ctx), "/")}
}

// collectEvents turns the recorded events into figures.
func collectEvents(w *datanodetest.EventWatcher, masterName string, killedAt time.Time, res *trialResult) {
	isMaster := func(e datanodetest.SentinelEvent) bool { return e.IsMasterEvent(masterName) }
	if ev, ok := w.First("+sdown", killedAt, isMaster); ok {
		res.durations[figSDown] = ev.At.Sub(killedAt)
	}
	if ev, ok := w.First("+odown", killedAt, isMaster); ok {
		res.durations[figODown] = ev.At.Sub(killedAt)
	}
	seen := map[string]bool{}
	for _, ev := range w.Events() {
		if ev.Channel != "+switch-master" || ev.At.Before(killedAt) {
			continue
		}
		sm, err := datanodetest.ParseSwitchMaster(ev.Payload)
		if err != nil || sm.Name != masterName {
			continue
		}
		if len(seen) == 0 {
			res.durations[figSwitch] = ev.At.Sub(killedAt)
		}
		// Every sentinel publishes +switch-master for the same failover;
		// a different (old, new) pair is a different failover.
		pair := sm.OldAddr + " -> " + sm.NewAddr
		if !seen[pair] {
			seen[pair] = true
			res.switches = append(res.switches, pair)
		}
	}
	if len(res.switches) > 1 {
		res.secondFailovers = len(res.switches) - 1
	}
}

// eventsSince keeps the events recorded at or after t, in order.
func eventsSince(events []datanodetest.SentinelEvent, t time.Time) []datanodetest.SentinelEvent {
	out := events[:0:0]
	for _, ev := range events {
		if !ev.At.Before(t) {
			out = append(out, ev)
		}
	}
	return out
}

func printLogTails(cluster *datanodetest.Cluster) {
	for _, s := range cluster.Sentinels {
		fmt.Printf("    --- log tail of sentinel %s (%s)\n", s.Addr(), s.LogPath())
		for line := range strings.Lines(s.LogTail(12)) {
			fmt.Printf("    | %s", strings.TrimRight(line, "\n")+"\n")
		}
	}
}
