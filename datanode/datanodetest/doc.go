// Package datanodetest starts and stops real redis-server and sentinel
// processes on loopback for tests, the benchmark (cmd/sentinel-bench) and the
// demo (cmd/sentinel-demo).
//
// It owns: launching redis-server, redis-sentinel and our own sentinel binary
// (which reads the same sentinel.conf) on 127.0.0.1 with fresh ports and
// fresh directories; waiting until they answer PING; killing, stopping and
// restarting them by PID; reading their log tails; whole clusters (master,
// replicas, sentinels; LaunchCluster) and waiting for them to settle;
// recording every event the sentinels publish (WatchEvents); and small test
// helpers (RequireBinary, FreePort, Eventually, StartTopology).
//
// The core (LaunchRedis, LaunchRedisSentinel, LaunchTopology, Poll) needs no
// testing.T, so commands can use it; the Start* wrappers bind a process's
// lifetime to a test through t.Cleanup.
//
// It must never: listen on or bind anything but loopback; signal a process it
// did not start (it only ever signals the PID it recorded); leave a process
// running after Close or after the test that started it; wait without a
// deadline; or log through slog.Default.
package datanodetest
