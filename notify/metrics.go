package notify

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/sentinelgo/sentinel/promdef"
)

// Label values used by the metrics. They are pre-initialised so that every
// series exists at zero from the start.
const (
	integrationScript  = "script"
	integrationWebhook = "webhook"

	reasonExit    = "exit"    // the script exited with a non-zero code
	reasonSignal  = "signal"  // the script died from a signal we did not send
	reasonTimeout = "timeout" // we killed it after the maximum run time
	reasonStart   = "start"   // it could not be started at all

	resultSuccess = "success" // 2xx
	resultRetry   = "retry"   // failed, will be tried again
	resultFailed  = "failed"  // failed, given up
)

// Metrics are the notify counters. One value may be shared by Scripts and
// Webhook; NewMetrics may also be called more than once on the same
// registerer (the second call reuses the registered collectors).
type Metrics struct {
	scriptsRun      *prometheus.CounterVec
	scriptFailures  *prometheus.CounterVec
	dropped         *prometheus.CounterVec
	webhookRequests *prometheus.CounterVec
}

// NewMetrics creates the counters and registers them with r (nil: not
// registered, which suits tests and callers without metrics).
//
// It registers the counters itself, not through promauto, which panics
// when a collector is registered twice: Scripts and Webhook are often
// built from the same registerer independently.
func NewMetrics(r prometheus.Registerer) *Metrics {
	m := &Metrics{
		scriptsRun:      counterVec(r, "sentinel_notify_scripts_run_total", "Script executions started, by kind (notification, client_reconfig).", "kind"),
		scriptFailures:  counterVec(r, "sentinel_notify_script_failures_total", "Script executions that did not exit 0, by kind and reason (exit, signal, timeout, start).", "kind", "reason"),
		dropped:         counterVec(r, "sentinel_notify_dropped_total", "Notifications dropped because a bounded queue was full, by integration (script, webhook).", "integration"),
		webhookRequests: counterVec(r, "sentinel_notify_webhook_requests_total", "Webhook HTTP attempts, by result (success, retry, failed).", "result"),
	}
	for _, k := range []ScriptKind{KindNotification, KindClientReconfig} {
		m.scriptsRun.WithLabelValues(k.String())
		for _, r := range []string{reasonExit, reasonSignal, reasonTimeout, reasonStart} {
			m.scriptFailures.WithLabelValues(k.String(), r)
		}
	}
	m.dropped.WithLabelValues(integrationScript)
	m.dropped.WithLabelValues(integrationWebhook)
	for _, r := range []string{resultSuccess, resultRetry, resultFailed} {
		m.webhookRequests.WithLabelValues(r)
	}
	return m
}

// counterVec registers a new vector, or returns the one already registered
// under the same description.
func counterVec(r prometheus.Registerer, name, help string, labels ...string) *prometheus.CounterVec {
	v := promdef.CounterVec(promauto.With(nil), name, help, labels...)
	if r == nil {
		return v
	}
	if err := r.Register(v); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
		// A conflicting description under the same name: keep counting in
		// an unregistered vector rather than panicking; the conflict is a
		// programming error that the registry's own Gather will surface.
		return v
	}
	return v
}
