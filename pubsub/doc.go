// Package pubsub is the client-facing side of the sentinel: the RESP server
// on the sentinel port (26379), its command table, and the event bus that
// fans Sentinel events out to SUBSCRIBE / PSUBSCRIBE clients.
//
// It owns:
//   - Server: the accept loop and one goroutine per busy connection (both
//     owned and waited for by Run), pipelining, AUTH/HELLO/CLIENT/COMMAND/INFO/
//     ROLE/SHUTDOWN/PUBLISH/QUIT, every SENTINEL subcommand with Redis's
//     argument checks and error texts, and RESP2/RESP3 rendering;
//   - the command table (cmdtable.go): redis-sentinel 7.0.15's, generated
//     once from its COMMAND / COMMAND DOCS replies (cmdtable_gen.go,
//     internal/cmdgen, testdata/redis-7.0.15), which COMMAND shows byte for
//     byte, plus our additions, which dispatch but COMMAND does not list;
//     one handler per full name ("client|kill");
//   - the reply formatters of SENTINEL MASTER(S)/REPLICAS/SENTINELS and
//     INFO sentinel (format.go): pure functions of a monitor.Snapshot,
//     golden-tested against captures of Debian's redis-sentinel 7.0.15;
//   - the event bus (bus.go): Publish never blocks; every subscriber's
//     pending output is accounted in bytes against Redis's
//     client-output-buffer-limit pubsub (32 MB hard, 8 MB for 60 s), and a
//     subscriber over it, or whose write fails or times out, is
//     disconnected and counted
//     (sentinel_pubsub_slow_subscribers_disconnected_total).
//   - per-connection memory: a connection idle for 50 ms is parked (Linux,
//     park.go): no goroutine, no stack, no reader, ≈ 1 KB of heap, resumed
//     on a fresh goroutine when the client speaks; elsewhere an idle
//     connection holds a 2 KB goroutine stack. Reply and input buffers come
//     from pools only while a command is read or answered.
//
// It must never: touch the monitor core directly (state is read through
// Controller.Snapshot, changes go through the Controller methods), block
// Publish on a client, log or render secrets (passwords, auth-pass), or
// start a goroutine that Run does not wait for.
//
// Usage:
//
//	srv, err := pubsub.New(pubsub.Options{
//		Addrs:      []string{"127.0.0.1:26379"},
//		Logger:     logger,
//		Controller: supervisor,
//		Registerer: registry,
//	})
//	if err != nil { ... }
//	go srv.Run(ctx) // returns after ctx is cancelled and every connection is closed
//	srv.Publish("+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6379")
package pubsub
