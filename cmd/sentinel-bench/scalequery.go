package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// The query phase of -scale: one sentinel of each implementation, both
// monitoring the same first k masters at the same time (each sees the
// other as its one peer), and redis-benchmark runs alternating between
// them, so that a load change on the shared machine hits both columns.

// queryCase is one redis-benchmark workload.
type queryCase struct {
	name     string
	masters  int // the sentinels monitor the first this many masters
	pipeline int
	requests int
	args     []string
}

// queryCases are the workloads for a scale run of n masters.
func queryCases(n, requests int) []queryCase {
	get := []string{"SENTINEL", "get-master-addr-by-name", "m0"}
	cases := []queryCase{
		{name: "get-master-addr, 1 master", masters: 1, pipeline: 1, requests: requests, args: get},
		{name: "get-master-addr, 1 master, -P 16", masters: 1, pipeline: 16, requests: 4 * requests, args: get},
	}
	if n > 1 {
		cases = append(cases,
			queryCase{name: fmt.Sprintf("get-master-addr, %d masters", n), masters: n, pipeline: 1, requests: requests, args: get},
			queryCase{name: fmt.Sprintf("get-master-addr, %d masters, -P 16", n), masters: n, pipeline: 16, requests: 4 * requests, args: get},
			queryCase{name: fmt.Sprintf("SENTINEL MASTERS, %d masters", n), masters: n, pipeline: 1, requests: max(requests/20, 1000),
				args: []string{"SENTINEL", "MASTERS"}},
		)
	}
	return cases
}

// querySample is one redis-benchmark run against one sentinel.
type querySample struct {
	rps       float64
	p50, p99  float64       // ms
	cpuPerReq time.Duration // the sentinel's CPU over the run / requests
	clientCPU time.Duration // redis-benchmark's CPU / requests
	requests  int
}

// queryFigure is every sample of one case for one implementation.
type queryFigure struct {
	samples []querySample
}

func (f queryFigure) median(get func(querySample) float64) float64 {
	if len(f.samples) == 0 {
		return 0
	}
	xs := make([]float64, len(f.samples))
	for i, s := range f.samples {
		xs[i] = get(s)
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// runQueryPhase runs every query case rounds times on each implementation,
// alternating, and prints the medians and ratios.
func runQueryPhase(ctx context.Context, opts options, nodes *scaleNodes, logger *slog.Logger, out io.Writer) error {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		return fmt.Errorf("redis-benchmark is not installed: %w", err)
	}
	impls := implsOf(opts)
	cases := queryCases(opts.scale, opts.queryRequests)
	fmt.Fprintf(out, "\n== query throughput: redis-benchmark -c 50, one sentinel of each implementation running side by side "+
		"(each the other's only peer), %d alternating rounds, medians\n", opts.queryRounds)
	results := map[string][]queryFigure{} // impl label -> per case
	for _, im := range impls {
		results[im.label] = make([]queryFigure, len(cases))
	}
	for _, masters := range uniqueMasters(cases) {
		procs, err := launchQueryGroup(ctx, impls, nodes.first(masters), opts.downAfter, max(opts.settleTimeout, 60*time.Second), logger)
		if err != nil {
			return err
		}
		for round := 0; round < opts.queryRounds && ctx.Err() == nil; round++ {
			for ci, qc := range cases {
				if qc.masters != masters {
					continue
				}
				// Alternate which implementation goes first, round by round.
				order := slices.Clone(impls)
				if round%2 == 1 {
					slices.Reverse(order)
				}
				for _, im := range order {
					s, err := runRedisBenchmark(ctx, procs[im.label], qc)
					if err != nil {
						closeAll(procs)
						return fmt.Errorf("%s %s: %w", im.label, qc.name, err)
					}
					results[im.label][ci].samples = append(results[im.label][ci].samples, s)
				}
			}
		}
		closeAll(procs)
	}
	printQueryTable(out, impls, cases, results)
	return ctx.Err()
}

func uniqueMasters(cases []queryCase) []int {
	var ms []int
	for _, c := range cases {
		if !slices.Contains(ms, c.masters) {
			ms = append(ms, c.masters)
		}
	}
	return ms
}

func closeAll(procs map[string]*datanodetest.Process) {
	for _, p := range procs {
		_ = p.Close()
	}
}

// launchQueryGroup starts one sentinel of each implementation monitoring
// every master of sub and waits, up to settleTimeout, until both list them
// all healthy.
func launchQueryGroup(ctx context.Context, impls []impl, sub *scaleNodes, downAfter, settleTimeout time.Duration,
	logger *slog.Logger) (map[string]*datanodetest.Process, error) {
	masters := len(sub.masters)
	conf := scaleConf(sub, downAfter)
	procs := map[string]*datanodetest.Process{}
	for _, im := range impls {
		p, err := datanodetest.LaunchRedisSentinel(ctx, datanodetest.SentinelOptions{
			Binary: im.binary, ConfText: conf, Logger: logger, StartTimeout: 60 * time.Second,
		})
		if err != nil {
			closeAll(procs)
			return nil, fmt.Errorf("launch %s: %w", im.label, err)
		}
		procs[im.label] = p
	}
	var list []*datanodetest.Process
	for _, im := range impls {
		list = append(list, procs[im.label])
	}
	if settled, miss := waitScaleSettled(ctx, time.Now(), list, masters, sub.replicasEach(), len(impls)-1, settleTimeout); settled == 0 {
		closeAll(procs)
		return nil, fmt.Errorf("query sentinels for %d masters did not settle: %s", masters, miss)
	}
	return procs, nil
}

// runRedisBenchmark runs one case against p and measures p's CPU over it.
func runRedisBenchmark(ctx context.Context, p *datanodetest.Process, qc queryCase) (querySample, error) {
	host, port, _ := net.SplitHostPort(p.Addr())
	args := []string{"-h", host, "-p", port, "-c", "50", "-n", strconv.Itoa(qc.requests),
		"-P", strconv.Itoa(qc.pipeline), "--csv"}
	args = append(args, qc.args...)
	cmd := exec.CommandContext(ctx, "redis-benchmark", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := cpuTime(p.PID())
	if err := cmd.Run(); err != nil {
		return querySample{}, fmt.Errorf("redis-benchmark: %w: %s", err, stderr.String())
	}
	used := cpuTime(p.PID()) - before
	s, err := parseBenchmarkCSV(stdout.Bytes())
	if err != nil {
		return s, err
	}
	s.requests = qc.requests
	s.cpuPerReq = used / time.Duration(qc.requests)
	if st := cmd.ProcessState; st != nil {
		s.clientCPU = (st.UserTime() + st.SystemTime()) / time.Duration(qc.requests)
	}
	return s, nil
}

// parseBenchmarkCSV reads redis-benchmark --csv output: a header line and
// one line per test ("test","rps","avg_latency_ms","min_latency_ms",
// "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms").
func parseBenchmarkCSV(data []byte) (querySample, error) {
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return querySample{}, fmt.Errorf("redis-benchmark csv: %w", err)
	}
	if len(recs) < 2 || len(recs[0]) < 7 || len(recs[1]) < 7 {
		return querySample{}, fmt.Errorf("redis-benchmark csv: want a header and a row, got %q", data)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	row := recs[len(recs)-1]
	num := func(name string) (float64, error) {
		i, ok := col[name]
		if !ok {
			return 0, fmt.Errorf("redis-benchmark csv: no %q column in %q", name, recs[0])
		}
		return strconv.ParseFloat(row[i], 64)
	}
	var s querySample
	for _, f := range []struct {
		name string
		to   *float64
	}{{"rps", &s.rps}, {"p50_latency_ms", &s.p50}, {"p99_latency_ms", &s.p99}} {
		v, err := num(f.name)
		if err != nil {
			return s, err
		}
		*f.to = v
	}
	return s, nil
}

func printQueryTable(out io.Writer, impls []impl, cases []queryCase, results map[string][]queryFigure) {
	fmt.Fprintf(out, "%-38s %-15s %10s %8s %8s %11s %11s\n", "case", "implementation", "req/s", "p50 ms", "p99 ms", "CPU/req", "client/req")
	for ci, qc := range cases {
		for _, im := range impls {
			f := results[im.label][ci]
			fmt.Fprintf(out, "%-38s %-15s %10.0f %8.3f %8.3f %9.1fµs %9.1fµs\n", qc.name, im.label,
				f.median(func(s querySample) float64 { return s.rps }),
				f.median(func(s querySample) float64 { return s.p50 }),
				f.median(func(s querySample) float64 { return s.p99 }),
				f.median(func(s querySample) float64 { return float64(s.cpuPerReq.Nanoseconds()) / 1e3 }),
				f.median(func(s querySample) float64 { return float64(s.clientCPU.Nanoseconds()) / 1e3 }))
		}
	}
	if len(impls) != 2 {
		return
	}
	ref, ours := impls[0].label, impls[1].label
	fmt.Fprintf(out, "\n%-38s %16s %22s\n", "ours / redis-sentinel", "throughput ratio", "CPU per request ratio")
	for ci, qc := range cases {
		r, o := results[ref][ci], results[ours][ci]
		rps := func(s querySample) float64 { return s.rps }
		cpu := func(s querySample) float64 { return float64(s.cpuPerReq) }
		fmt.Fprintf(out, "%-38s %15s %22s\n", qc.name, ratioText(o.median(rps), r.median(rps)), ratioText(o.median(cpu), r.median(cpu)))
	}
}

func ratioText(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
