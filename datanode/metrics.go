package datanode

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/promdef"
)

// Command labels of sentinel_datanode_command_errors_total.
const (
	cmdPing       = "ping"
	cmdInfo       = "info"
	cmdPublish    = "publish"
	cmdAskPeer    = "is-master-down-by-addr"
	cmdReplicaOf  = "replicaof"
	cmdFailover   = "failover"
	cmdScriptKill = "script-kill"
	cmdSubscribe  = "subscribe"
)

// Reasons of sentinel_datanode_hello_dropped_total.
const helloMalformed = "malformed"

// Reasons of sentinel_datanode_actions_dropped_total.
const (
	dropCoalesced = "coalesced" // a Ping or Info for the target was already queued
	dropQueueFull = "queue_full"
	dropUnwatched = "unwatched" // the target has no Watch
	dropStopped   = "stopped"   // Run has returned
)

// Link labels of sentinel_datanode_links.
const (
	linkCommand = "command"
	linkPubSub  = "pubsub"
)

// metrics holds every series this package exports; one instance per Pool.
type metrics struct {
	pingDuration   *prometheus.HistogramVec
	commandErrors  *prometheus.CounterVec
	helloDropped   *prometheus.CounterVec
	actionsDropped *prometheus.CounterVec
	links          *prometheus.GaugeVec // open connections, counted by openConn
	targets        prometheus.Gauge

	dials           *prometheus.CounterVec
	dialsDeferred   *prometheus.CounterVec
	repliesRejected *prometheus.CounterVec
	panics          prometheus.Counter
}

func newMetrics(r prometheus.Registerer) *metrics {
	f := promauto.With(r)
	m := &metrics{
		pingDuration: promdef.HistogramVec(f, "sentinel_datanode_ping_duration_seconds", "Round-trip time of PING to data nodes and peer sentinels, by role (master, slave, sentinel).",
			[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}, "role"),
		commandErrors:   promdef.CounterVec(f, "sentinel_datanode_command_errors_total", "Commands to data nodes and peers that did not get a normal reply, by command and reply kind.", "command", "kind"),
		helloDropped:    promdef.CounterVec(f, "sentinel_datanode_hello_dropped_total", "Messages on __sentinel__:hello that were not delivered, by reason.", "reason"),
		actionsDropped:  promdef.CounterVec(f, "sentinel_datanode_actions_dropped_total", "Actions not executed, by action and reason (coalesced, queue_full, unwatched, stopped).", "action", "reason"),
		links:           promdef.GaugeVec(f, "sentinel_datanode_links", "Connections open now to data nodes and peers, by link type (command, pubsub); a command link may hold two (the PING lane and the command lane).", "link"),
		targets:         promdef.Gauge(f, "sentinel_datanode_targets", "Instances watched (data nodes and peers), whether their links are open or not."),
		dials:           promdef.CounterVec(f, "sentinel_datanode_dials_total", "Connections opened (attempted) to data nodes and peers, by link type (command, pubsub).", "link"),
		dialsDeferred:   promdef.CounterVec(f, "sentinel_datanode_dials_deferred_total", "Connection attempts refused by the reconnect backoff of a link that keeps failing, by link type.", "link"),
		repliesRejected: promdef.CounterVec(f, "sentinel_datanode_replies_rejected_total", "Replies from data nodes and peers refused for breaking RESP2 or a reply limit (the link is closed), by reason.", "reason"),
		panics:          promdef.Counter(f, "sentinel_datanode_panics_recovered_total", "Panics recovered on link goroutines (the link is dropped; a bug or a hostile node)."),
	}
	// Pre-initialise the series operators alert on, so they exist at zero.
	for _, k := range []monitor.InstanceKind{monitor.KindMaster, monitor.KindReplica, monitor.KindSentinel} {
		m.pingDuration.WithLabelValues(k.String())
	}
	m.helloDropped.WithLabelValues(helloMalformed)
	m.links.WithLabelValues(linkCommand)
	m.links.WithLabelValues(linkPubSub)
	for _, l := range []string{linkCommand, linkPubSub} {
		m.dials.WithLabelValues(l)
		m.dialsDeferred.WithLabelValues(l)
	}
	for _, r := range []string{rejectMalformed, rejectReplyTooLarge, rejectTooMany, rejectTooDeep, rejectLineTooLong} {
		m.repliesRejected.WithLabelValues(r)
	}
	return m
}

func (m *metrics) commandError(command string, kind monitor.ReplyKind) {
	m.commandErrors.WithLabelValues(command, kind.String()).Inc()
}
