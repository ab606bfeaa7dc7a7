package supervisor

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/promdef"
)

// metrics are the supervisor's own series. State gauges are not pushed from
// the code: the collectors read the published snapshot at scrape time.
// Every per-master counter and histogram exists, at 0, from the first
// scrape after its master is added, and is deleted once the master is
// removed, so increase() and histogram_quantile() have series to work on
// before the first failover.
type metrics struct {
	events       *prometheus.CounterVec   // master, event
	attempts     *prometheus.CounterVec   // master
	failovers    *prometheus.CounterVec   // master, result
	failoverTime *prometheus.HistogramVec // master
	outage       *prometheus.HistogramVec // master
	lastFailover *prometheus.GaugeVec     // master
	lastResult   *prometheus.GaugeVec     // master, result

	snapshot func() *monitor.Snapshot

	mu        sync.Mutex
	known     map[string]bool      // masters whose series exist
	starts    map[string]time.Time // master → +try-failover time
	downSince map[string]time.Time // master → its first +sdown of the outage
	timedOut  map[string]bool      // master → +failover-end-for-timeout seen
}

// durationBuckets start at 1 ms: a failover on a quiet LAN takes tens of
// milliseconds, an outage with the default down-after tens of seconds.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// Failover outcomes, the result label of sentinel_failovers_total: each
// attempt this sentinel started (sentinel_failover_attempts_total) ends
// in at most one of them.
const (
	resultSucceeded      = "succeeded"
	resultEndedTimeout   = "ended_for_timeout"
	resultNotElected     = "aborted_not_elected"
	resultNoGoodSlave    = "aborted_no_good_slave"
	resultSlaveTimeout   = "aborted_slave_timeout"
	resultMasterRefused  = "aborted_master_refused"
	failoverResultsCount = 6
)

var failoverResults = [failoverResultsCount]string{resultSucceeded, resultEndedTimeout, resultNotElected,
	resultNoGoodSlave, resultSlaveTimeout, resultMasterRefused}

// abortResults maps the abort events to their result.
var abortResults = map[string]string{
	monitor.EventFailoverAbortNotElected:    resultNotElected,
	monitor.EventFailoverAbortNoGoodSlave:   resultNoGoodSlave,
	monitor.EventFailoverAbortSlaveTimeout:  resultSlaveTimeout,
	monitor.EventFailoverAbortMasterRefused: resultMasterRefused,
}

// masterEventsAtZero are the events whose per-master series exist from the
// start (the others appear with their first occurrence).
var masterEventsAtZero = []string{
	monitor.EventSDown, monitor.EventSDownCleared, monitor.EventODown, monitor.EventODownCleared,
	monitor.EventTryFailover, monitor.EventElectedLeader, monitor.EventPromotedSlave,
	monitor.EventSwitchMaster, monitor.EventFailoverEnd, monitor.EventFailoverEndForTimeout,
	monitor.EventFailoverAbortNotElected, monitor.EventFailoverAbortNoGoodSlave,
	monitor.EventFailoverAbortSlaveTimeout, monitor.EventFailoverAbortMasterRefused,
}

func newMetrics(r prometheus.Registerer, loop *Loop, version string, t monitor.Timers) *metrics {
	var snap func() *monitor.Snapshot
	if loop != nil {
		snap = loop.Snapshot
		promauto.With(r).NewCounterFunc(prometheus.CounterOpts{
			Name: "sentinel_state_persist_errors_total",
			Help: "Times the state could not be written to the config or state file.",
		}, func() float64 { return float64(loop.persistErrs.Load()) })
	}
	return newMetricsFor(r, snap, version, t)
}

// newMetricsFor registers the series; snap may be nil (no state series).
func newMetricsFor(r prometheus.Registerer, snap func() *monitor.Snapshot, version string, t monitor.Timers) *metrics {
	f := promauto.With(nil) // registered below, through masterSeries
	m := &metrics{
		events:       promdef.CounterVec(f, "sentinel_events_total", "Sentinel events emitted, by master (empty for events of no master, such as +tilt) and event type (the pub/sub channel name).", "master", "event"),
		attempts:     promdef.CounterVec(f, "sentinel_failover_attempts_total", "Failover attempts this sentinel started (+try-failover), by master.", "master"),
		failovers:    promdef.CounterVec(f, "sentinel_failovers_total", "How the failover attempts this sentinel started ended, by master and result (succeeded, ended_for_timeout, aborted_not_elected, aborted_no_good_slave, aborted_slave_timeout, aborted_master_refused).", "master", "result"),
		failoverTime: promdef.HistogramVec(f, "sentinel_failover_duration_seconds", "Time from this sentinel's +try-failover to the +switch-master that ended the failover it led.", durationBuckets, "master"),
		outage:       promdef.HistogramVec(f, "sentinel_master_outage_seconds", "Time from this sentinel seeing the master down (its first +sdown) to this sentinel switching to the new master (+switch-master).", durationBuckets, "master"),
		lastFailover: promdef.GaugeVec(f, "sentinel_master_last_failover_timestamp_seconds", "Unix time of the last +switch-master this sentinel saw for the master (0: none since start).", "master"),
		lastResult:   promdef.GaugeVec(f, "sentinel_master_last_failover_result", "1 for the result of the last failover attempt this sentinel started, 0 for the other results.", "master", "result"),
		snapshot:     snap,
		known:        map[string]bool{},
		starts:       map[string]time.Time{},
		downSince:    map[string]time.Time{},
		timedOut:     map[string]bool{},
	}
	r.MustRegister(&masterSeries{m: m})
	r.MustRegister(newBuildInfo(version))
	if snap != nil {
		r.MustRegister(&snapshotCollector{snapshot: snap, timers: t})
	}
	return m
}

// event updates the counters from one event, at the time it was emitted.
func (m *metrics) event(at time.Time, e monitor.Event) {
	master := e.MasterName()
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Type == monitor.EventMonitorRemoved {
		m.forget(master)
		return
	}
	if master != "" {
		m.add(master)
	}
	m.events.WithLabelValues(master, e.Type).Inc()
	onMaster := e.Instance != nil && e.Instance.Kind == monitor.KindMaster
	switch e.Type {
	case monitor.EventSDown:
		if _, down := m.downSince[master]; onMaster && !down {
			m.downSince[master] = at
		}
	case monitor.EventSDownCleared:
		if onMaster {
			delete(m.downSince, master)
		}
	case monitor.EventTryFailover:
		m.attempts.WithLabelValues(master).Inc()
		m.starts[master] = at
		delete(m.timedOut, master)
	case monitor.EventFailoverEndForTimeout:
		m.timedOut[master] = true
	case monitor.EventFailoverEnd:
		r := resultSucceeded
		if m.timedOut[master] {
			r = resultEndedTimeout
		}
		delete(m.timedOut, master)
		m.result(master, r)
	case monitor.EventSwitchMaster:
		m.switched(at, master)
	default:
		if r, ok := abortResults[e.Type]; ok {
			m.result(master, r)
			delete(m.starts, master)
		}
	}
}

// switched ends the outage and the timed attempt of master. m.mu is held.
func (m *metrics) switched(at time.Time, master string) {
	if t, ok := m.starts[master]; ok {
		m.failoverTime.WithLabelValues(master).Observe(at.Sub(t).Seconds())
		delete(m.starts, master)
	}
	if t, ok := m.downSince[master]; ok {
		m.outage.WithLabelValues(master).Observe(at.Sub(t).Seconds())
		delete(m.downSince, master)
	}
	m.lastFailover.WithLabelValues(master).Set(float64(at.UnixNano()) / 1e9)
}

// result counts an outcome and makes it the last one. m.mu is held.
func (m *metrics) result(master, result string) {
	m.failovers.WithLabelValues(master, result).Inc()
	for _, r := range failoverResults {
		m.lastResult.WithLabelValues(master, r).Set(b2f(r == result))
	}
}

// add creates master's series at zero. m.mu is held.
func (m *metrics) add(master string) {
	if m.known[master] {
		return
	}
	m.known[master] = true
	for _, ev := range masterEventsAtZero {
		m.events.WithLabelValues(master, ev)
	}
	m.attempts.WithLabelValues(master)
	for _, r := range failoverResults {
		m.failovers.WithLabelValues(master, r)
		m.lastResult.WithLabelValues(master, r)
	}
	m.failoverTime.WithLabelValues(master)
	m.outage.WithLabelValues(master)
	m.lastFailover.WithLabelValues(master)
}

// forget deletes master's series. m.mu is held.
func (m *metrics) forget(master string) {
	delete(m.known, master)
	delete(m.starts, master)
	delete(m.downSince, master)
	delete(m.timedOut, master)
	l := prometheus.Labels{"master": master}
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{m.events, m.attempts, m.failovers, m.failoverTime, m.outage, m.lastFailover, m.lastResult} {
		v.DeletePartialMatch(l)
	}
}

// sync makes the series follow the monitored masters: created at zero for
// a master added (by the configuration or SENTINEL MONITOR), deleted for
// one removed.
func (m *metrics) sync(s *monitor.Snapshot) {
	if s == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	live := make(map[string]bool, len(s.Masters))
	for i := range s.Masters {
		live[s.Masters[i].Name] = true
		m.add(s.Masters[i].Name)
	}
	for name := range m.known {
		if !live[name] {
			m.forget(name)
		}
	}
}

// masterSeries collects the per-master vectors after syncing them with
// the snapshot, so a master added since the last scrape has its series in
// this one.
type masterSeries struct{ m *metrics }

func (c *masterSeries) collectors() []prometheus.Collector {
	m := c.m
	return []prometheus.Collector{m.events, m.attempts, m.failovers, m.failoverTime, m.outage, m.lastFailover, m.lastResult}
}

func (c *masterSeries) Describe(ch chan<- *prometheus.Desc) {
	for _, x := range c.collectors() {
		x.Describe(ch)
	}
}

func (c *masterSeries) Collect(ch chan<- prometheus.Metric) {
	if c.m.snapshot != nil {
		c.m.sync(c.m.snapshot())
	}
	for _, x := range c.collectors() {
		x.Collect(ch)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
