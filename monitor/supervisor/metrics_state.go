package supervisor

import (
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/election"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub"
)

// snapshotCollector turns the published snapshot into gauges at scrape time.
type snapshotCollector struct {
	snapshot func() *monitor.Snapshot
	timers   monitor.Timers // for the replica selection rules
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descMasterStatus = desc("sentinel_master_status",
		"1 for the master's current state (ok, sdown, odown), 0 for the others.", "master", "state")
	descMasterReplicas     = desc("sentinel_master_replicas", "Replicas known for the master.", "master")
	descMasterSentinels    = desc("sentinel_master_sentinels", "Sentinels watching the master, counting this one.", "master")
	descConfigEpoch        = desc("sentinel_master_config_epoch", "The master's config epoch; it goes up with every failover.", "master")
	descFailoverInProgress = desc("sentinel_master_failover_in_progress", "1 while this sentinel runs a failover of the master.", "master")
	descLastOKPing         = desc("sentinel_master_last_ok_ping_reply_seconds", "Seconds since the master last answered PING validly.", "master")
	descMasterInfo         = desc("sentinel_master_info",
		"1, with the master's current address (the promoted replica once a failover reached reconf_slaves).", "master", "address")
	descQuorum       = desc("sentinel_master_quorum", "The master's configured quorum.", "master")
	descDownAfter    = desc("sentinel_master_down_after_seconds", "The master's down-after-milliseconds, in seconds.", "master")
	descFOTimeout    = desc("sentinel_master_failover_timeout_seconds", "The master's failover-timeout, in seconds.", "master")
	descParallel     = desc("sentinel_master_parallel_syncs", "The master's parallel-syncs.", "master")
	descReachable    = desc("sentinel_master_reachable_sentinels", "Sentinels not SDOWN/ODOWN, this one included, as SENTINEL CKQUORUM counts them.", "master")
	descQuorumOK     = desc("sentinel_master_quorum_ok", "1 when SENTINEL CKQUORUM would answer OK: the reachable sentinels reach the quorum and are a majority.", "master")
	descPromotable   = desc("sentinel_master_promotable_replicas", "Replicas that the replica selection would accept now.", "master")
	descUnpromotable = desc("sentinel_master_unpromotable_replicas",
		"Replicas the replica selection would refuse now, by the first rule that refuses them.", "master", "reason")
	descNextAttempt = desc("sentinel_master_next_failover_allowed_timestamp_seconds",
		"Unix time from which this sentinel may start (or vote for) another failover of the master: the last attempt's start + 2 × failover-timeout. 0 when no attempt was made.", "master")
	descPausedUntil = desc("sentinel_master_paused_until_timestamp_seconds",
		"Unix time a SENTINEL PAUSE of the master ends (0: not paused): until then this sentinel starts no failover of it and votes for none.", "master")
	descInstanceInfo = desc("sentinel_instance_info",
		"1 for every instance known for a master: kind is what this sentinel takes it for (master, slave, sentinel), role what its last INFO said (master, slave, unknown; sentinel for peers).",
		"master", "address", "kind", "role")
	descInstanceLink = desc("sentinel_instance_link_up",
		"1 while this sentinel's links to the instance work (the command link and, for data nodes, the hello subscription): the disconnected flag cleared.",
		"master", "address", "kind")
	descInstanceDown = desc("sentinel_instance_sdown", "1 while the instance is subjectively down.", "master", "address", "kind")
	descEpoch        = desc("sentinel_current_epoch", "The sentinel's current epoch.")
	descTilt         = desc("sentinel_tilt", "1 while in TILT mode.")
	descTiltSince    = desc("sentinel_tilt_since_timestamp_seconds", "Unix time TILT was last entered (0: never).")
	descTiltDelta    = desc("sentinel_tilt_last_delta_seconds", "The gap between two ticks that caused the last TILT (negative: the clock went back; 0: never in TILT).")
	descTilts        = desc("sentinel_tilt_entered_total", "Times TILT mode was entered.")
	descMasters      = desc("sentinel_masters", "Masters monitored.")
)

var allStateDescs = []*prometheus.Desc{descMasterStatus, descMasterReplicas, descMasterSentinels,
	descConfigEpoch, descFailoverInProgress, descLastOKPing, descMasterInfo, descQuorum, descDownAfter,
	descFOTimeout, descParallel, descReachable, descQuorumOK, descPromotable, descUnpromotable,
	descNextAttempt, descPausedUntil, descInstanceInfo, descInstanceLink, descInstanceDown,
	descEpoch, descTilt, descTiltSince, descTiltDelta, descTilts, descMasters}

func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allStateDescs {
		ch <- d
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	if s == nil {
		return
	}
	gauge(ch, descEpoch, float64(s.CurrentEpoch))
	gauge(ch, descTilt, b2f(s.Tilt))
	gauge(ch, descTiltSince, unixSeconds(s.TiltSince))
	gauge(ch, descTiltDelta, s.TiltDelta.Seconds())
	ch <- prometheus.MustNewConstMetric(descTilts, prometheus.CounterValue, float64(s.TiltCount))
	gauge(ch, descMasters, float64(len(s.Masters)))
	for i := range s.Masters {
		collectMaster(ch, &s.Masters[i], s.At, c.timers)
	}
}

// exclusionReasons are the reasons of sentinel_master_unpromotable_replicas.
var exclusionReasons = []election.Exclusion{election.ExcludeDown, election.ExcludeDisconnected,
	election.ExcludeStalePing, election.ExcludePriorityZero, election.ExcludeStaleInfo,
	election.ExcludeLinkDownTooLong, election.ExcludeNotReplica}

func collectMaster(ch chan<- prometheus.Metric, m *monitor.MasterView, at time.Time, t monitor.Timers) {
	n := m.Name
	state := pubsub.MasterStatus(m)
	for _, st := range []string{"ok", "sdown", "odown"} {
		gauge(ch, descMasterStatus, b2f(st == state), n, st)
	}
	gauge(ch, descMasterReplicas, float64(len(m.Replicas)), n)
	gauge(ch, descMasterSentinels, float64(len(m.Sentinels)+1), n)
	gauge(ch, descConfigEpoch, float64(m.ConfigEpoch), n)
	gauge(ch, descFailoverInProgress, b2f(m.FailoverState != monitor.FailoverNone), n)
	if !m.LastOKPing.IsZero() {
		gauge(ch, descLastOKPing, at.Sub(m.LastOKPing).Seconds(), n)
	}
	gauge(ch, descMasterInfo, 1, n, m.CurrentAddr.String())
	gauge(ch, descQuorum, float64(m.Quorum), n)
	gauge(ch, descDownAfter, m.DownAfter.Seconds(), n)
	gauge(ch, descFOTimeout, m.FailoverTimeout.Seconds(), n)
	gauge(ch, descParallel, float64(m.ParallelSyncs), n)
	r := monitor.ReadinessOf(m, at, t)
	gauge(ch, descReachable, float64(r.Usable), n)
	gauge(ch, descQuorumOK, b2f(r.QuorumReachable && r.Authorized), n)
	gauge(ch, descNextAttempt, unixSeconds(r.NextAttempt), n)
	gauge(ch, descPausedUntil, unixSeconds(m.PausedUntil), n)
	counts := map[election.Exclusion]int{}
	for _, e := range r.Replicas {
		counts[e]++
	}
	gauge(ch, descPromotable, float64(r.Promotable), n)
	for _, e := range exclusionReasons {
		gauge(ch, descUnpromotable, float64(counts[e]), n, e.String())
	}
	instance(ch, n, "master", m.RoleReported.String(), &m.InstanceView)
	for k := range m.Replicas {
		instance(ch, n, "slave", m.Replicas[k].RoleReported.String(), &m.Replicas[k].InstanceView)
	}
	for k := range m.Sentinels {
		instance(ch, n, "sentinel", "sentinel", &m.Sentinels[k].InstanceView)
	}
}

func instance(ch chan<- prometheus.Metric, master, kind, role string, v *monitor.InstanceView) {
	addr := v.Addr.String()
	gauge(ch, descInstanceInfo, 1, master, addr, kind, role)
	gauge(ch, descInstanceLink, b2f(v.Flags&monitor.FlagDisconnected == 0), master, addr, kind)
	gauge(ch, descInstanceDown, b2f(v.Flags&monitor.FlagSDown != 0), master, addr, kind)
}

// newBuildInfo is sentinel_build_info: the version given to the
// supervisor, the Go version and the VCS revision the binary was built from.
func newBuildInfo(version string) prometheus.Collector {
	revision := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	if version == "" {
		version = "unknown"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "sentinel_build_info",
		Help:        "1, with the build's version, Go version and VCS revision as labels.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version(), "revision": revision},
	})
	g.Set(1)
	return g
}
