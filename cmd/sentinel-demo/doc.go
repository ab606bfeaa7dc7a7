// Command sentinel-demo shows a failover on loopback: it starts a master,
// two replicas and three sentinels (ours by default, bin/sentinel reading a
// Redis sentinel.conf; Debian's redis-sentinel with -redis-sentinel), prints
// the topology, subscribes to every sentinel's events and prints them live
// with times relative to the kill, SIGKILLs the master, reports the failover
// (sdown, odown, election, promotion, switch-master) and the new master,
// restarts the old master and shows it come back as a replica, then stops
// everything it started.
//
//	make build && go run ./cmd/sentinel-demo
//	go run ./cmd/sentinel-demo -redis-sentinel
//
// It owns only its flags and what it prints. Processes are started and
// killed through datanode/datanodetest, by PID, on 127.0.0.1. It must never
// leave a process running (also on Ctrl-C) or wait without a bound.
package main
