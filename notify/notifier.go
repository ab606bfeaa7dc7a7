package notify

import "github.com/sentinelgo/sentinel/monitor"

// Notifier is one way Sentinel events leave the process: the master's
// notification-script, a webhook. Notify must never block; a notifier
// queues and delivers on its own goroutine (Run).
type Notifier interface {
	Notify(e monitor.Event)
}

// Router is the one place that decides which events go to which notifier.
// The rules are Redis's for scripts (Warning level, about a master's
// instance: sentinelEvent) and ours for webhooks (every Warning-level
// event, TILT included).
type Router struct {
	routes []route
}

type route struct {
	n     Notifier
	wants func(monitor.Event) bool
}

// NewRouter routes to scripts and webhooks; either may be nil.
func NewRouter(scripts *Scripts, webhooks *Webhook) *Router {
	r := &Router{}
	if scripts != nil {
		r.routes = append(r.routes, route{scripts, wantsScript})
	}
	if webhooks != nil {
		r.routes = append(r.routes, route{webhooks, wantsWebhook})
	}
	return r
}

// Notify hands e to every notifier that wants it. It never blocks.
func (r *Router) Notify(e monitor.Event) {
	for _, rt := range r.routes {
		if rt.wants(e) {
			rt.n.Notify(e)
		}
	}
}

func wantsScript(e monitor.Event) bool {
	_, _, ok := NotificationArgs(e)
	return ok
}

func wantsWebhook(e monitor.Event) bool { return e.Level == monitor.LevelWarning }
