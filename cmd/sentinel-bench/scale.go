package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// scaleConfig is what a scale run of one implementation needs.
type scaleConfig struct {
	label, binary string
	masters       int
	downAfter     time.Duration
	settleTimeout time.Duration
	window        time.Duration
	profileDir    string // ours only: CPU profile of the start-up written here
	verboseMass   bool   // mass failover: trace every killed master's election
	logger        *slog.Logger
}

// scaleResult is what one implementation's scale run measured.
type scaleResult struct {
	label      string
	noReplicas bool          // lone masters (-scale-replicas 0)
	settled    time.Duration // from the launch of the sentinels; 0 = not settled
	lastMiss   string        // what was still missing when settling timed out
	tilted     int           // sentinels that published +tilt
	sdown      int           // +sdown events (every node is alive: all spurious)
	sdownOff   int           // -sdown events
	odown      int
	failover   int // +try-failover events
	// sdownKinds counts +sdown by instance type (master, slave, sentinel);
	// sdownFirst and sdownLast are the first and last +sdown after launch.
	sdownKinds            map[string]int
	sdownFirst, sdownLast time.Duration
	tiltLines             []string // the sentinels' log lines about TILT
	sdownSamples          []string // the first few +sdown events
	startCPU              []time.Duration
	cpu                   []time.Duration // CPU over the window, per sentinel
	rss                   []int64         // KiB at the end of the window, per sentinel
	window                time.Duration
}

// scaleSentinels is how many sentinels monitor the masters.
const scaleSentinels = 3

// runScaleImpl starts three sentinels of one implementation monitoring
// every master of nodes, measures how long they take to settle, watches
// their events until the end of the window and measures CPU and RSS over
// the window. The sentinels are stopped before it returns.
func runScaleImpl(ctx context.Context, cfg scaleConfig, nodes *scaleNodes) (scaleResult, error) {
	res := scaleResult{label: cfg.label, window: cfg.window, noReplicas: nodes.replicasEach() == 0}
	conf := scaleConf(nodes, cfg.downAfter)
	sentinels := make([]*datanodetest.Process, scaleSentinels)
	metrics := make([]string, scaleSentinels)
	defer func() {
		for _, s := range sentinels {
			if s != nil {
				_ = s.Close()
			}
		}
	}()
	var (
		wg   sync.WaitGroup
		errs = make([]error, scaleSentinels)
	)
	start := time.Now()
	for i := range sentinels {
		var args []string
		if cfg.profileDir != "" {
			port, err := datanodetest.PickFreePort()
			if err != nil {
				return res, err
			}
			metrics[i] = net.JoinHostPort(datanodetest.Loopback, strconv.Itoa(port))
			args = []string{"--metrics-addr", metrics[i], "--pprof"}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sentinels[i], errs[i] = datanodetest.LaunchRedisSentinel(ctx, datanodetest.SentinelOptions{
				Binary: cfg.binary, Args: args, ConfText: conf, Logger: cfg.logger, StartTimeout: 60 * time.Second,
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return res, fmt.Errorf("launch %s: %w", cfg.label, err)
		}
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
	profiles := startProfiles(ctx, cfg, metrics)
	res.settled, res.lastMiss = waitScaleSettled(ctx, start, sentinels, cfg.masters, nodes.replicasEach(), scaleSentinels-1, cfg.settleTimeout)
	profiles.Wait()
	res.startCPU = cpuTimes(sentinels)
	if err := datanodetest.Sleep(ctx, cfg.window); err != nil {
		return res, err
	}
	end := cpuTimes(sentinels)
	for i := range sentinels {
		res.cpu = append(res.cpu, end[i]-res.startCPU[i])
		res.rss = append(res.rss, rssKiB(sentinels[i].PID()))
	}
	countScaleEvents(&res, start, watcher.Events())
	// A TILT entered before the watcher subscribed (while a sentinel was
	// too busy to answer PING) is only in the log.
	tiltedInLog := 0
	for _, s := range sentinels {
		lines := grepLog(s.LogPath(), "+tilt", 2)
		if len(lines) > 0 {
			tiltedInLog++
		}
		res.tiltLines = append(res.tiltLines, lines...)
	}
	res.tilted = max(res.tilted, tiltedInLog)
	return res, nil
}

// scaleConf is the monitor block of every master, the same for every
// sentinel and both implementations.
func scaleConf(nodes *scaleNodes, downAfter time.Duration) string {
	var b strings.Builder
	for i, m := range nodes.masters {
		name := fmt.Sprintf("m%d", i)
		fmt.Fprintf(&b, "sentinel monitor %s %s %d 2\n", name, m.Host(), m.Port())
		fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", name, downAfter.Milliseconds())
		fmt.Fprintf(&b, "sentinel failover-timeout %s 60000\n", name)
	}
	return b.String()
}

// waitScaleSettled polls SENTINEL MASTERS on every sentinel until each
// lists every master with flags "master", replicas replicas and peers
// other sentinels. It returns the time from start to that moment (0 when
// the timeout passed first) and, then, what was still missing.
func waitScaleSettled(ctx context.Context, start time.Time, sentinels []*datanodetest.Process, masters, replicas, peers int, timeout time.Duration) (time.Duration, string) {
	var last string
	err := datanodetest.Poll(ctx, timeout, 100*time.Millisecond, func() bool {
		for _, s := range sentinels {
			if miss := scaleMissing(ctx, s, masters, replicas, peers); miss != "" {
				last = s.Addr() + ": " + miss
				return false
			}
		}
		return true
	})
	if err != nil {
		return 0, last
	}
	return time.Since(start), ""
}

// scaleMissing returns what sentinel s does not know yet, or "".
func scaleMissing(ctx context.Context, s *datanodetest.Process, masters, replicas, peers int) string {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	list, err := s.SentinelClient().Masters(qctx).Result()
	if err != nil {
		return err.Error()
	}
	return scaleListMissing(list, masters, replicas, peers)
}

// scaleListMissing returns what a SENTINEL MASTERS reply lacks, or "":
// masters entries, each with flags "master", num-slaves replicas and
// num-other-sentinels peers.
func scaleListMissing(list []any, masters, replicas, peers int) string {
	if len(list) != masters {
		return fmt.Sprintf("%d of %d masters", len(list), masters)
	}
	short := 0
	for _, m := range list {
		fields := masterFields(m)
		if fields["flags"] != "master" || fields["num-slaves"] != strconv.Itoa(replicas) || fields["num-other-sentinels"] != strconv.Itoa(peers) {
			short++
		}
	}
	if short > 0 {
		return fmt.Sprintf("%d masters without flags=master, %s and %d other sentinels", short, replicaCount(replicas), peers)
	}
	return ""
}

// replicaCount is "1 replica" or "N replicas".
func replicaCount(n int) string {
	if n == 1 {
		return "1 replica"
	}
	return fmt.Sprintf("%d replicas", n)
}

// masterFields turns one entry of SENTINEL MASTERS (a RESP2 flat list or a
// RESP3 map) into its fields.
func masterFields(m any) map[string]string {
	fields := map[string]string{}
	if kv, ok := m.([]any); ok {
		for j := 0; j+1 < len(kv); j += 2 {
			k, _ := kv[j].(string)
			v, _ := kv[j+1].(string)
			fields[k] = v
		}
	} else if mm, ok := m.(map[any]any); ok {
		for k, v := range mm {
			fields[fmt.Sprint(k)] = fmt.Sprint(v)
		}
	}
	return fields
}

// countScaleEvents counts the events of interest: with every node alive,
// each +sdown is spurious.
func countScaleEvents(res *scaleResult, start time.Time, events []datanodetest.SentinelEvent) {
	tilted := map[string]bool{}
	res.sdownKinds = map[string]int{}
	for _, ev := range events {
		switch ev.Channel {
		case "+tilt":
			tilted[ev.Sentinel] = true
		case "+sdown":
			res.sdown++
			kind, _, _ := strings.Cut(ev.Payload, " ")
			res.sdownKinds[kind]++
			if len(res.sdownSamples) < 4 {
				res.sdownSamples = append(res.sdownSamples, fmt.Sprintf("%s %s: %s", formatMillis(ev.At.Sub(start)), ev.Sentinel, ev.Payload))
			}
			at := ev.At.Sub(start)
			if res.sdownFirst == 0 {
				res.sdownFirst = at
			}
			res.sdownLast = at
		case "-sdown":
			res.sdownOff++
		case "+odown":
			res.odown++
		case "+try-failover":
			res.failover++
		}
	}
	res.tilted = len(tilted)
}

// cpuTimes returns each process's user+system CPU time so far.
func cpuTimes(ps []*datanodetest.Process) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = cpuTime(p.PID())
	}
	return out
}

// cpuTime reads utime+stime of pid from /proc (0 when unreadable). The
// kernel's clock tick is 100 Hz on every Linux this runs on.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the ")" that ends the command name: state is field 3,
	// utime 14 and stime 15.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// rssKiB reads VmRSS of pid from /proc (0 when unreadable).
func rssKiB(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// startProfiles fetches a CPU profile of the start-up from each sentinel's
// pprof endpoint into cfg.profileDir, in the background; Wait waits for them.
func startProfiles(ctx context.Context, cfg scaleConfig, metrics []string) *sync.WaitGroup {
	var wg sync.WaitGroup
	if cfg.profileDir == "" {
		return &wg
	}
	for i, addr := range metrics {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := filepath.Join(cfg.profileDir, fmt.Sprintf("%s-%d.cpu.pprof", cfg.label, i))
			if err := fetchProfile(ctx, addr, path, 10); err != nil {
				cfg.logger.Warn("cpu profile", "sentinel", i, "err", err)
			}
		}()
	}
	return &wg
}

func fetchProfile(ctx context.Context, addr, path string, seconds int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+10)*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// grepLog returns up to max lines of the file at path that contain word
// (case-insensitively).
func grepLog(path, word string, max int) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(strings.ToLower(line), word) && len(out) < max {
			out = append(out, line)
		}
	}
	return out
}
