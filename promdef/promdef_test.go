package promdef

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSeriesAreRegisteredWithNameHelpAndLabels(t *testing.T) {
	r := prometheus.NewRegistry()
	f := promauto.With(r)
	Counter(f, "t_counter_total", "A counter.").Inc()
	CounterVec(f, "t_counter_vec_total", "A counter vec.", "a", "b").WithLabelValues("x", "y").Add(2)
	Gauge(f, "t_gauge", "A gauge.").Set(3)
	GaugeVec(f, "t_gauge_vec", "A gauge vec.", "a").WithLabelValues("x").Set(4)
	HistogramVec(f, "t_hist_seconds", "A histogram.", []float64{1}, "a").WithLabelValues("x").Observe(0.5)
	want := `
# HELP t_counter_total A counter.
# TYPE t_counter_total counter
t_counter_total 1
# HELP t_counter_vec_total A counter vec.
# TYPE t_counter_vec_total counter
t_counter_vec_total{a="x",b="y"} 2
# HELP t_gauge A gauge.
# TYPE t_gauge gauge
t_gauge 3
# HELP t_gauge_vec A gauge vec.
# TYPE t_gauge_vec gauge
t_gauge_vec{a="x"} 4
`
	if err := testutil.GatherAndCompare(r, strings.NewReader(want), "t_counter_total", "t_counter_vec_total", "t_gauge", "t_gauge_vec"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(r, "t_hist_seconds"); n != 1 {
		t.Fatalf("histogram series = %d", n)
	}
	// Unregistered with a nil registerer.
	Counter(promauto.With(nil), "t_counter_total", "Again, unregistered.").Inc()
}
