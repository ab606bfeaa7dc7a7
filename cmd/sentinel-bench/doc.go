// Command sentinel-bench measures failover with Debian's redis-sentinel and
// with our sentinel binary on the same loopback topology (1 master, 2
// replicas, 3 sentinels, quorum 2, down-after 1 s) and prints the failover
// figures side by side: when +sdown, +odown and +switch-master arrive,
// when every sentinel agrees on the new master, when a go-redis failover
// client first writes to it, when the other replica is repointed, how long a
// restarted old master stays a standalone master, how many second failovers
// happen, and how many acknowledged writes are lost.
//
//	go run ./cmd/sentinel-bench -trials 5 -impl both -ours bin/sentinel
//
// It owns only its flags, the trial procedure and the report. Processes are
// started and killed through datanode/datanodetest, by PID, on 127.0.0.1.
// It must never: leave a process running (every trial closes its cluster,
// also on Ctrl-C), wait without a bound, or turn a measurement into a
// pass/fail verdict other than "did not fail over".
package main
