// Package notify owns the side effects Sentinel triggers for humans and
// other systems: the notification-script and client-reconfig-script (run
// the way Redis runs them, with Redis's argument order) and JSON webhooks.
//
// It must never block its callers: Scripts.Notify, Scripts.ClientReconfig,
// Scripts.Enqueue and Webhook.Enqueue only append to bounded queues, and
// when a queue is full they drop (the oldest waiting job) and count the
// drop. All work happens in the Run(ctx) owner loops, which stop their
// children and wait for them before returning. It must never run a script
// through a shell (arguments go straight to exec, so event text cannot
// inject commands), never log or return a webhook URL's credentials or
// query string, and never use the global Prometheus registerer or slog
// default logger: both are injected.
//
// Sketch:
//
//	metrics := notify.NewMetrics(registry)
//	scripts := notify.NewScripts(notify.ScriptOptions{
//		Logger:  logger,
//		Metrics: metrics,
//		Lookup:  func(master string) (notification, reconfig string) { ... },
//		Report:  func(e monitor.Event) { ... }, // -script-error, -script-timeout
//	})
//	hooks, err := notify.NewWebhook(notify.WebhookOptions{URLs: urls, Logger: logger, Metrics: metrics})
//	wg.Go(func() { scripts.Run(ctx) })
//	wg.Go(func() { hooks.Run(ctx) })
//	router := notify.NewRouter(scripts, hooks)
//	router.Notify(event) // never blocks; Router decides who gets it
package notify
