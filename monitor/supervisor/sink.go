package supervisor

import (
	"context"
	"log/slog"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// Publisher fans an event out to subscribed clients (pubsub.Server).
type Publisher interface {
	Publish(channel, message string) int
}

// Notifier hands Warning-level events with an instance to the
// notification script and webhooks (notify). Must not block.
type Notifier interface {
	Notify(at time.Time, e monitor.Event)
}

// sink does what sentinelEvent does, from one place: log the event, publish
// it on the channel named after it (all but Debug level), and hand
// Warning-level events that concern an instance to the notifier.
type sink struct {
	log     *slog.Logger
	pub     Publisher
	notify  Notifier
	metrics *metrics
	// webhook, when set, receives every warning-level event.
	webhook interface{ Enqueue(monitor.Event) }
}

func (s *sink) Event(at time.Time, e monitor.Event) {
	payload := e.Payload()
	lvl := slog.LevelInfo
	switch e.Level {
	case monitor.LevelDebug, monitor.LevelVerbose:
		lvl = slog.LevelDebug
	case monitor.LevelWarning:
		lvl = slog.LevelWarn
	}
	// Events are the sentinel's log lines, as in Redis's log ("+sdown master mymaster ...").
	s.log.Log(context.Background(), lvl, e.Type+" "+payload, "event", e.Type)
	if s.metrics != nil {
		s.metrics.event(e)
	}
	if e.Level == monitor.LevelDebug {
		return
	}
	if s.pub != nil {
		s.pub.Publish(e.Type, payload)
	}
	if e.Level == monitor.LevelWarning && e.MasterName() != "" && s.notify != nil {
		s.notify.Notify(at, e)
	}
	if e.Level == monitor.LevelWarning && s.webhook != nil {
		s.webhook.Enqueue(e)
	}
}
