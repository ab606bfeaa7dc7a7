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

// Notifier takes every event that may leave the process through scripts or
// webhooks (notify.Router, which decides which go where). Must not block.
type Notifier interface {
	Notify(e monitor.Event)
}

// sink does what sentinelEvent does, from one place: log the event, count
// it, publish it on the channel named after it (all but Debug level), and
// hand it to the notifiers.
type sink struct {
	log     *slog.Logger
	pub     Publisher
	notify  Notifier
	metrics *metrics
	history *historyKeeper
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
	if e.Detail != "" { // the cause, for the log only (+tilt)
		s.log.Log(context.Background(), lvl, e.Type+" "+payload, "event", e.Type, "detail", e.Detail)
	} else {
		s.log.Log(context.Background(), lvl, e.Type+" "+payload, "event", e.Type)
	}
	if s.metrics != nil {
		s.metrics.event(at, e)
	}
	if s.history != nil {
		s.history.Event(at, e)
	}
	if e.Level == monitor.LevelDebug {
		return
	}
	if s.pub != nil {
		s.pub.Publish(e.Type, payload)
	}
	if s.notify != nil {
		s.notify.Notify(e)
	}
}
