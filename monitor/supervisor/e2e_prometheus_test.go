package supervisor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// startPrometheus runs Debian's prometheus scraping targets every second
// until the test ends; it returns its HTTP address.
func startPrometheus(t *testing.T, targets []string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("no prometheus (apt-get install prometheus; make deps installs it)")
	}
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, a := range targets {
		quoted[i] = strconv.Quote(a)
	}
	conf := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: sentinel\n    static_configs:\n      - targets: [%s]\n",
		strings.Join(quoted, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t))
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log (last 2 KB): %s", tail(logs.Bytes(), 2048))
		}
	})
	return addr
}

// promQuery evaluates an instant query; ok is false while Prometheus does
// not answer or the result is empty. Vectors give the first sample.
func promQuery(addr, q string) (v float64, n int, ok bool) {
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "success" || len(r.Data.Result) == 0 {
		return 0, 0, false
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, 0, false
	}
	return f, len(r.Data.Result), true
}

// TestE2E_PrometheusAnswers: Debian's prometheus scrapes three of our
// sentinels through a failover and answers an operator's questions:
// failovers in the last hour, the outage p99 (a number, not NaN), master
// ODOWN now, quorum reachable, in TILT.
func TestE2E_PrometheusAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server, sentinels and prometheus")
	}
	requireRedis(t)
	ours, topo := threeOfOurs(t)
	var targets []string
	for _, s := range ours {
		targets = append(targets, s.metrics)
	}
	prom := startPrometheus(t, targets)
	datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
		v, _, ok := promQuery(prom, `sum(up{job="sentinel"})`)
		return ok && v == 3
	}, "prometheus scraping the three sentinels")
	// Before any failover the series exist, at 0 (not absent): increase()
	// answers 0 once two scrapes are in.
	datanodetest.Eventually(t, 15*time.Second, 100*time.Millisecond, func() bool {
		for _, q := range []string{
			`sum(increase(sentinel_events_total{master="mymaster",event="+switch-master"}[1h]))`,
			`sum(increase(sentinel_failovers_total{master="mymaster"}[1h]))`,
			`sum(sentinel_master_outage_seconds_count{master="mymaster"})`,
		} {
			if v, _, ok := promQuery(prom, q); !ok || v != 0 {
				return false
			}
		}
		return true
	}, "per-master series at 0 before the failover")

	newAddr := killAndSwitch(t, ours, topo)
	answers := map[string]string{
		"failovers in the last hour": `max(increase(sentinel_events_total{master="mymaster",event="+switch-master"}[1h]))`,
		"led failovers in the hour":  `sum(increase(sentinel_failovers_total{master="mymaster",result="succeeded"}[1h]))`,
		// The same without increase()'s extrapolation over few samples.
		"switches seen, exactly": `max(max_over_time(sentinel_events_total{master="mymaster",event="+switch-master"}[1h]) - min_over_time(sentinel_events_total{master="mymaster",event="+switch-master"}[1h]))`,
		"outage p99":             `histogram_quantile(0.99, sum by (le) (increase(sentinel_master_outage_seconds_bucket{master="mymaster"}[1h])))`,
		"master ODOWN now":       `max(sentinel_master_status{master="mymaster",state="odown"})`,
		"quorum reachable":       `min(sentinel_master_quorum_ok{master="mymaster"})`,
		"in TILT":                `max(sentinel_tilt)`,
		"current master":         `count(sentinel_master_info{master="mymaster",address="` + newAddr + `"})`,
	}
	got := map[string]float64{}
	datanodetest.Eventually(t, 30*time.Second, 200*time.Millisecond, func() bool {
		for name, q := range answers {
			v, _, ok := promQuery(prom, q)
			if !ok {
				return false
			}
			got[name] = v
		}
		return got["failovers in the last hour"] >= 0.9 && got["current master"] == 3 && got["led failovers in the hour"] >= 0.9
	}, "prometheus to see the failover")
	t.Logf("answers: %v", got)
	// increase() extrapolates to the window's edges, so over a few
	// samples one failover reads as 1 to 1.5: not 0 is the point.
	if f := got["failovers in the last hour"]; f < 0.9 || f >= 3 {
		t.Errorf("failovers in the last hour = %v, want about 1", f)
	}
	if got["switches seen, exactly"] != 1 {
		t.Errorf("switches seen = %v, want 1", got["switches seen, exactly"])
	}
	if p := got["outage p99"]; math.IsNaN(p) || p <= 0 || math.IsInf(p, 0) {
		t.Errorf("outage p99 = %v, want a positive number", p)
	}
	if got["master ODOWN now"] != 0 || got["quorum reachable"] != 1 || got["in TILT"] != 0 {
		t.Errorf("ODOWN now %v, quorum reachable %v, in TILT %v; want 0, 1, 0",
			got["master ODOWN now"], got["quorum reachable"], got["in TILT"])
	}
}
