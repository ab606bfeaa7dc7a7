package pubsub

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/sentinelgo/sentinel/promdef"
)

// metrics are the server's own series. Labels never carry client
// addresses (unbounded cardinality); commands are labelled by their table
// name, with everything unknown folded into "unknown".
type metrics struct {
	slowSubscribers   prometheus.Counter
	connections       prometheus.Counter
	rejected          prometheus.Counter
	protocolErrors    prometheus.Counter
	clients           prometheus.Gauge
	commands          *prometheus.CounterVec
	published         prometheus.Counter
	deliveredMessages prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		// A private registry keeps the code paths identical when the
		// caller does not export metrics.
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	m := &metrics{
		slowSubscribers:   promdef.Counter(f, "sentinel_pubsub_slow_subscribers_disconnected_total", "Subscribers disconnected because their message queue was full."),
		connections:       promdef.Counter(f, "sentinel_pubsub_connections_total", "Client connections accepted on the sentinel port."),
		rejected:          promdef.Counter(f, "sentinel_pubsub_rejected_connections_total", "Client connections refused because maxclients was reached."),
		protocolErrors:    promdef.Counter(f, "sentinel_pubsub_protocol_errors_total", "Connections closed because of malformed RESP input."),
		clients:           promdef.Gauge(f, "sentinel_pubsub_clients", "Client connections currently open."),
		commands:          promdef.CounterVec(f, "sentinel_pubsub_commands_total", "Commands received, by command name.", "command"),
		published:         promdef.Counter(f, "sentinel_pubsub_published_events_total", "Events handed to Publish."),
		deliveredMessages: promdef.Counter(f, "sentinel_pubsub_queued_messages_total", "Messages queued to subscribers (one event can reach many)."),
	}
	return m
}
