package supervisor

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/sentinelgo/sentinel/monitor"
)

// metrics are the supervisor's own series. State gauges are not pushed from
// the code: the collector reads the published snapshot at scrape time.
type metrics struct {
	events        *prometheus.CounterVec
	failovers     *prometheus.CounterVec
	failoverTime  *prometheus.HistogramVec
	persistErrors prometheus.CounterFunc

	mu     sync.Mutex
	starts map[string]time.Time // master → +try-failover time, for the duration histogram
	now    func() time.Time
}

func newMetrics(r prometheus.Registerer, loop *Loop) *metrics {
	f := promauto.With(r)
	m := &metrics{
		events: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_events_total",
			Help: "Sentinel events emitted, by event type (the pub/sub channel name).",
		}, []string{"event"}),
		failovers: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_failovers_total",
			Help: "Failover attempts this sentinel led or joined, by master and result (started, succeeded, aborted_not_elected, aborted_no_good_slave, aborted_slave_timeout, ended_for_timeout).",
		}, []string{"master", "result"}),
		failoverTime: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sentinel_failover_duration_seconds",
			Help:    "Time from this sentinel's +try-failover to the next +switch-master it publishes for that master.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 180},
		}, []string{"master"}),
		starts: map[string]time.Time{},
		now:    time.Now,
	}
	if loop != nil {
		m.persistErrors = f.NewCounterFunc(prometheus.CounterOpts{
			Name: "sentinel_state_persist_errors_total",
			Help: "Times the state could not be written to the config or state file.",
		}, func() float64 { return float64(loop.persistErrs.Load()) })
		r.MustRegister(&snapshotCollector{loop: loop})
	}
	return m
}

var failoverResults = map[string]string{
	monitor.EventTryFailover:               "started",
	monitor.EventFailoverEnd:               "succeeded",
	monitor.EventFailoverEndForTimeout:     "ended_for_timeout",
	monitor.EventFailoverAbortNotElected:   "aborted_not_elected",
	monitor.EventFailoverAbortNoGoodSlave:  "aborted_no_good_slave",
	monitor.EventFailoverAbortSlaveTimeout: "aborted_slave_timeout",
}

func (m *metrics) event(e monitor.Event) {
	m.events.WithLabelValues(e.Type).Inc()
	master := e.MasterName()
	if r, ok := failoverResults[e.Type]; ok {
		m.failovers.WithLabelValues(master, r).Inc()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch e.Type {
	case monitor.EventTryFailover:
		m.starts[master] = m.now()
	case monitor.EventSwitchMaster:
		if t, ok := m.starts[master]; ok {
			m.failoverTime.WithLabelValues(master).Observe(m.now().Sub(t).Seconds())
			delete(m.starts, master)
		}
	case monitor.EventFailoverAbortNotElected, monitor.EventFailoverAbortNoGoodSlave, monitor.EventFailoverAbortSlaveTimeout:
		delete(m.starts, master)
	}
}

// snapshotCollector turns the published snapshot into gauges at scrape time.
type snapshotCollector struct{ loop *Loop }

var (
	descMasterStatus = prometheus.NewDesc("sentinel_master_status",
		"1 for the master's current state (ok, sdown, odown), 0 for the others.", []string{"master", "state"}, nil)
	descMasterReplicas = prometheus.NewDesc("sentinel_master_replicas",
		"Replicas known for the master.", []string{"master"}, nil)
	descMasterSentinels = prometheus.NewDesc("sentinel_master_sentinels",
		"Sentinels watching the master, counting this one.", []string{"master"}, nil)
	descConfigEpoch = prometheus.NewDesc("sentinel_master_config_epoch",
		"The master's config epoch; it goes up with every failover.", []string{"master"}, nil)
	descFailoverInProgress = prometheus.NewDesc("sentinel_master_failover_in_progress",
		"1 while this sentinel runs a failover of the master.", []string{"master"}, nil)
	descLastOKPing = prometheus.NewDesc("sentinel_master_last_ok_ping_reply_seconds",
		"Seconds since the master last answered PING validly.", []string{"master"}, nil)
	descEpoch   = prometheus.NewDesc("sentinel_current_epoch", "The sentinel's current epoch.", nil, nil)
	descTilt    = prometheus.NewDesc("sentinel_tilt", "1 while in TILT mode.", nil, nil)
	descTilts   = prometheus.NewDesc("sentinel_tilt_entered_total", "Times TILT mode was entered.", nil, nil)
	descMasters = prometheus.NewDesc("sentinel_masters", "Masters monitored.", nil, nil)
)

func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMasterStatus, descMasterReplicas, descMasterSentinels,
		descConfigEpoch, descFailoverInProgress, descLastOKPing, descEpoch, descTilt, descTilts, descMasters} {
		ch <- d
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.loop.Snapshot()
	now := time.Now()
	ch <- prometheus.MustNewConstMetric(descEpoch, prometheus.GaugeValue, float64(s.CurrentEpoch))
	ch <- prometheus.MustNewConstMetric(descTilt, prometheus.GaugeValue, b2f(s.Tilt))
	ch <- prometheus.MustNewConstMetric(descTilts, prometheus.CounterValue, float64(s.TiltCount))
	ch <- prometheus.MustNewConstMetric(descMasters, prometheus.GaugeValue, float64(len(s.Masters)))
	for i := range s.Masters {
		m := &s.Masters[i]
		state := masterStatus(m)
		for _, st := range []string{"ok", "sdown", "odown"} {
			ch <- prometheus.MustNewConstMetric(descMasterStatus, prometheus.GaugeValue, b2f(st == state), m.Name, st)
		}
		ch <- prometheus.MustNewConstMetric(descMasterReplicas, prometheus.GaugeValue, float64(len(m.Replicas)), m.Name)
		ch <- prometheus.MustNewConstMetric(descMasterSentinels, prometheus.GaugeValue, float64(len(m.Sentinels)+1), m.Name)
		ch <- prometheus.MustNewConstMetric(descConfigEpoch, prometheus.GaugeValue, float64(m.ConfigEpoch), m.Name)
		ch <- prometheus.MustNewConstMetric(descFailoverInProgress, prometheus.GaugeValue, b2f(m.FailoverState != monitor.FailoverNone), m.Name)
		if !m.LastOKPing.IsZero() {
			ch <- prometheus.MustNewConstMetric(descLastOKPing, prometheus.GaugeValue, now.Sub(m.LastOKPing).Seconds(), m.Name)
		}
	}
}

func masterStatus(m *monitor.MasterView) string {
	switch {
	case m.Flags&monitor.FlagODown != 0:
		return "odown"
	case m.Flags&monitor.FlagSDown != 0:
		return "sdown"
	}
	return "ok"
}
