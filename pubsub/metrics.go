package pubsub

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
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
		slowSubscribers: f.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_pubsub_slow_subscribers_disconnected_total",
			Help: "Subscribers disconnected because their message queue was full.",
		}),
		connections: f.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_pubsub_connections_total",
			Help: "Client connections accepted on the sentinel port.",
		}),
		rejected: f.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_pubsub_rejected_connections_total",
			Help: "Client connections refused because maxclients was reached.",
		}),
		protocolErrors: f.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_pubsub_protocol_errors_total",
			Help: "Connections closed because of malformed RESP input.",
		}),
		clients: f.NewGauge(prometheus.GaugeOpts{
			Name: "sentinel_pubsub_clients",
			Help: "Client connections currently open.",
		}),
		commands: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_pubsub_commands_total",
			Help: "Commands received, by command name.",
		}, []string{"command"}),
		published: f.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_pubsub_published_events_total",
			Help: "Events handed to Publish.",
		}),
		deliveredMessages: f.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_pubsub_queued_messages_total",
			Help: "Messages queued to subscribers (one event can reach many).",
		}),
	}
	return m
}
