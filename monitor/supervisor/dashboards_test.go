package supervisor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// scrapeQuiet returns /metrics, or "" while the listener is not up.
func scrapeQuiet(s *ourSentinel) string {
	resp, err := http.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

const promDir = "../../configs/prometheus"

var metricName = regexp.MustCompile(`\bsentinel_[a-z0-9_]+`)

// documentedMetrics are the names in the first column of docs/metrics.md's
// tables.
func documentedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `sentinel_") {
			continue
		}
		cell := strings.SplitN(line, "|", 3)[1]
		out[strings.Trim(strings.TrimSpace(cell), "`")] = true
	}
	if len(out) < 30 {
		t.Fatalf("only %d metrics documented: has docs/metrics.md changed shape?", len(out))
	}
	return out
}

// known reports whether a name in a query is a documented series, or a
// documented histogram's _bucket/_sum/_count.
func known(doc map[string]bool, name string) bool {
	if doc[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && doc[base] {
			return true
		}
	}
	return false
}

// dashboardExprs collects every "expr" of the Grafana dashboard.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(promDir, "sentinel-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return out
}

func ruleExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(promDir, "sentinel-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			out = append(out, r.Expr)
		}
	}
	return out
}

// TestDashboardAndRulesUseOurMetrics: every query of the dashboard and the
// alerting rules names only metrics docs/metrics.md documents, and every
// sentinel_* family a running sentinel exports is documented there.
func TestDashboardAndRulesUseOurMetrics(t *testing.T) {
	doc := documentedMetrics(t)
	exprs := append(dashboardExprs(t), ruleExprs(t)...)
	if len(exprs) < 20 {
		t.Fatalf("only %d queries found", len(exprs))
	}
	for _, e := range exprs {
		names := metricName.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("query names none of our metrics: %s", e)
		}
		for _, n := range names {
			if !known(doc, n) {
				t.Errorf("query uses %s, which docs/metrics.md does not document: %s", n, e)
			}
		}
	}

	// A sentinel in this process (its master is a port nobody listens
	// on): what it exports must be documented.
	s := startOurs(t, monitor.Addr{Host: "127.0.0.1", Port: datanodetest.FreePort(t)}, 2, time.Second, "")
	var text string
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		text = scrapeQuiet(s)
		return strings.Contains(text, "sentinel_masters")
	}, "metrics served")
	seen := map[string]bool{}
	for _, n := range metricName.FindAllString(text, -1) {
		seen[n] = true
	}
	var missing []string
	for n := range seen {
		if !known(doc, n) {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("exported but not in docs/metrics.md: %v", missing)
	}
}

// TestPrometheusRules runs promtool on the alerting rules: syntax and
// the unit tests in sentinel-alerts_test.yml.
func TestPrometheusRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs promtool")
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("no promtool (apt-get install prometheus; make deps installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"check", "rules", "sentinel-alerts.yml"}, {"test", "rules", "sentinel-alerts_test.yml"}} {
		cmd := exec.CommandContext(ctx, promtool, args...)
		cmd.Dir = promDir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
