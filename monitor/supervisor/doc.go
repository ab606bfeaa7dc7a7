// Package supervisor runs one sentinel: it owns the goroutine that drives
// the deterministic core (monitor.Core), wires the adapters around it —
// datanode links, the client-facing pubsub server, notify, the state store
// from configs, Prometheus — and converts between their types.
//
// What it owns:
//   - the owner loop (Loop): the only goroutine that touches the core; it
//     steps ticks, adapter inputs and operator calls, performs the actions
//     of each Ready (persisting state first, so a vote or an epoch is on
//     disk before anything that depends on it leaves), and publishes an
//     immutable snapshot for readers;
//   - the pubsub.Controller implementation (operator commands and peer
//     vote requests become calls on the owner loop);
//   - the event sink (log, publish, notify, metrics, from one place);
//   - /metrics, /healthz and /status.
//
// What it must never do: make Sentinel decisions (they are the core's),
// block the owner loop on the network, or leave a goroutine running after
// Run returns.
//
// Use:
//
//	cfg, _ := configs.LoadConf("/etc/redis/sentinel.conf")
//	err := supervisor.Run(ctx, supervisor.Options{Config: cfg, Logger: logger})
package supervisor
