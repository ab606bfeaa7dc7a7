package supervisor

import (
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/sentinelgo/sentinel/monitor"
)

// metrics are the supervisor's own series. State gauges are not pushed from
// the code: the collectors read the published snapshot at scrape time.
// Every per-master counter and histogram exists, at 0, from the first
// scrape after its master is added, and is deleted once the master is
// removed, so increase() and histogram_quantile() have series to work on
// before the first failover.
//
// The per-master series are plain numbers in masterCounters, rendered as
// constant metrics at scrape time: client_golang's vectors cost about
// 35 KB per master (two histograms and some thirty children), which at
// 1,000 masters is more than the rest of the sentinel's heap.
type metrics struct {
	snapshot func() *monitor.Snapshot

	mu        sync.Mutex
	masters   map[string]*masterCounters // masters whose series exist
	noMaster  map[string]uint64          // events of no master (+tilt), by type
	starts    map[string]time.Time       // master → +try-failover time
	downSince map[string]time.Time       // master → its first +sdown of the outage
	timedOut  map[string]bool            // master → +failover-end-for-timeout seen
}

// masterCounters are one master's series.
type masterCounters struct {
	events       map[string]uint64 // by event type; nil until the first event
	attempts     uint64
	failovers    [failoverResultsCount]uint64
	lastResult   int     // index in failoverResults, -1 before the first result
	lastFailover float64 // Unix seconds, 0 for none
	failoverTime durationHistogram
	outage       durationHistogram
}

// durationHistogram is a histogram over durationBuckets: per-bucket (not
// cumulative) counts, the last one for observations above every bound.
type durationHistogram struct {
	counts [len(durationBuckets) + 1]uint64
	sum    float64
}

func (h *durationHistogram) observe(seconds float64) {
	i := sort.SearchFloat64s(durationBuckets[:], seconds) // first bound ≥ seconds
	h.counts[i]++
	h.sum += seconds
}

// metric renders h as a constant histogram with the given label values.
func (h *durationHistogram) metric(d *prometheus.Desc, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(durationBuckets))
	var n uint64
	for i, le := range durationBuckets {
		n += h.counts[i]
		buckets[le] = n
	}
	n += h.counts[len(durationBuckets)]
	return prometheus.MustNewConstHistogram(d, n, h.sum, buckets, labels...)
}

// durationBuckets start at 1 ms: a failover on a quiet LAN takes tens of
// milliseconds, an outage with the default down-after tens of seconds.
var durationBuckets = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

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

// The per-master series' descriptions.
var (
	eventsDesc = prometheus.NewDesc("sentinel_events_total",
		"Sentinel events emitted, by master (empty for events of no master, such as +tilt) and event type (the pub/sub channel name).",
		[]string{"master", "event"}, nil)
	attemptsDesc = prometheus.NewDesc("sentinel_failover_attempts_total",
		"Failover attempts this sentinel started (+try-failover), by master.", []string{"master"}, nil)
	failoversDesc = prometheus.NewDesc("sentinel_failovers_total",
		"How the failover attempts this sentinel started ended, by master and result (succeeded, ended_for_timeout, aborted_not_elected, aborted_no_good_slave, aborted_slave_timeout, aborted_master_refused).",
		[]string{"master", "result"}, nil)
	failoverTimeDesc = prometheus.NewDesc("sentinel_failover_duration_seconds",
		"Time from this sentinel's +try-failover to the +switch-master that ended the failover it led.", []string{"master"}, nil)
	outageDesc = prometheus.NewDesc("sentinel_master_outage_seconds",
		"Time from this sentinel seeing the master down (its first +sdown) to this sentinel switching to the new master (+switch-master).",
		[]string{"master"}, nil)
	lastFailoverDesc = prometheus.NewDesc("sentinel_master_last_failover_timestamp_seconds",
		"Unix time of the last +switch-master this sentinel saw for the master (0: none since start).", []string{"master"}, nil)
	lastResultDesc = prometheus.NewDesc("sentinel_master_last_failover_result",
		"1 for the result of the last failover attempt this sentinel started, 0 for the other results.", []string{"master", "result"}, nil)
)

func newMetrics(r prometheus.Registerer, loop *Loop, version string, t monitor.Timers) *metrics {
	var snap func() *monitor.Snapshot
	if loop != nil {
		snap = loop.ReaderSnapshot
		promauto.With(r).NewCounterFunc(prometheus.CounterOpts{
			Name: "sentinel_state_persist_errors_total",
			Help: "Times the state could not be written to the config or state file.",
		}, func() float64 { return float64(loop.persistErrs.Load()) })
	}
	return newMetricsFor(r, snap, version, t)
}

// newMetricsFor registers the series; snap may be nil (no state series).
func newMetricsFor(r prometheus.Registerer, snap func() *monitor.Snapshot, version string, t monitor.Timers) *metrics {
	m := &metrics{
		snapshot:  snap,
		masters:   map[string]*masterCounters{},
		noMaster:  map[string]uint64{},
		starts:    map[string]time.Time{},
		downSince: map[string]time.Time{},
		timedOut:  map[string]bool{},
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
	if master == "" {
		m.noMaster[e.Type]++
		return
	}
	mc := m.add(master)
	if mc.events == nil {
		mc.events = map[string]uint64{}
	}
	mc.events[e.Type]++
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
		mc.attempts++
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
		mc.result(r)
	case monitor.EventSwitchMaster:
		m.switched(at, master, mc)
	default:
		if r, ok := abortResults[e.Type]; ok {
			mc.result(r)
			delete(m.starts, master)
		}
	}
}

// switched ends the outage and the timed attempt of master. m.mu is held.
func (m *metrics) switched(at time.Time, master string, mc *masterCounters) {
	if t, ok := m.starts[master]; ok {
		mc.failoverTime.observe(at.Sub(t).Seconds())
		delete(m.starts, master)
	}
	if t, ok := m.downSince[master]; ok {
		mc.outage.observe(at.Sub(t).Seconds())
		delete(m.downSince, master)
	}
	mc.lastFailover = float64(at.UnixNano()) / 1e9
}

// result counts an outcome and makes it the last one.
func (mc *masterCounters) result(result string) {
	for i, r := range failoverResults {
		if r == result {
			mc.failovers[i]++
			mc.lastResult = i
		}
	}
}

// add creates master's series at zero, if they do not exist, and returns
// them. m.mu is held.
func (m *metrics) add(master string) *masterCounters {
	mc := m.masters[master]
	if mc == nil {
		mc = &masterCounters{lastResult: -1}
		m.masters[master] = mc
	}
	return mc
}

// forget deletes master's series. m.mu is held.
func (m *metrics) forget(master string) {
	delete(m.masters, master)
	delete(m.starts, master)
	delete(m.downSince, master)
	delete(m.timedOut, master)
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
	for name := range m.masters {
		if !live[name] {
			m.forget(name)
		}
	}
}

// masterSeries renders the per-master series after syncing them with the
// snapshot, so a master added since the last scrape has its series in this
// one.
type masterSeries struct{ m *metrics }

func (c *masterSeries) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{eventsDesc, attemptsDesc, failoversDesc, failoverTimeDesc, outageDesc, lastFailoverDesc, lastResultDesc} {
		ch <- d
	}
}

func (c *masterSeries) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	if m.snapshot != nil {
		m.sync(m.snapshot())
	}
	// Copied under m.mu, rendered and sent after: a send waits for the
	// registry to take the metric, and the owner loop's events (event)
	// must not wait for a scrape (at 1,000 masters one takes ~100 ms).
	m.mu.Lock()
	noMaster := maps.Clone(m.noMaster)
	masters := make([]namedCounters, 0, len(m.masters))
	for name, mc := range m.masters {
		cp := *mc
		cp.events = maps.Clone(mc.events)
		masters = append(masters, namedCounters{name: name, c: cp})
	}
	m.mu.Unlock()
	for typ, n := range noMaster {
		ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.CounterValue, float64(n), "", typ)
	}
	for i := range masters {
		masters[i].c.collect(ch, masters[i].name)
	}
}

// namedCounters is a copy of one master's series (Collect).
type namedCounters struct {
	name string
	c    masterCounters
}

// collect sends one master's series.
func (mc *masterCounters) collect(ch chan<- prometheus.Metric, master string) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, typ := range masterEventsAtZero {
		if _, seen := mc.events[typ]; !seen {
			counter(eventsDesc, 0, master, typ)
		}
	}
	for typ, n := range mc.events {
		counter(eventsDesc, n, master, typ)
	}
	counter(attemptsDesc, mc.attempts, master)
	for i, r := range failoverResults {
		counter(failoversDesc, mc.failovers[i], master, r)
		ch <- prometheus.MustNewConstMetric(lastResultDesc, prometheus.GaugeValue, b2f(i == mc.lastResult), master, r)
	}
	ch <- mc.failoverTime.metric(failoverTimeDesc, master)
	ch <- mc.outage.metric(outageDesc, master)
	ch <- prometheus.MustNewConstMetric(lastFailoverDesc, prometheus.GaugeValue, mc.lastFailover, master)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
