// Command sentinel-bench measures failover with Debian's redis-sentinel and
// with our sentinel binary on the same loopback topology (1 master, 2
// replicas, 3 sentinels, quorum 2, down-after 1 s) and prints the failover
// figures side by side: when +sdown, +odown and +switch-master arrive,
// when every sentinel agrees on the new master, when a go-redis failover
// client first writes to it, when the other replica is repointed, how long a
// restarted old master stays a standalone master, how many second failovers
// happen, and how many acknowledged writes are lost.
//
// By default each trial kills the master at its own moment, 0-12 s after
// the sentinels settle (stratified over 2 s buckets, the same list for both
// implementations), so every phase of the sentinels' PING, hello and 10 s
// INFO cadences is hit; the report then gives, per bucket and overall, the
// median, p90 and max of the first +switch-master and of agreement, and
// counts stalls, -failover-abort-* events, split votes and sentinels that
// did not publish +sdown, +odown and +switch-master. -kill-window 0 kills
// at the old fixed moment, about 1 s after settling.
//
//	go run ./cmd/sentinel-bench -trials 12 -impl both -ours bin/sentinel -rejoin=false
//
// -election raft (with -impl ours) runs our three sentinels in raft mode
// instead: each from a YAML file with an election: block, one raft group on
// loopback ports, its raft data in the trial directory; a trial settles
// once every sentinel names the same raft leader. Compare it with a run
// without the flag (vote mode) on the same -seed.
//
//	go run ./cmd/sentinel-bench -impl ours -election raft -trials 12 -seed 42 -rejoin=false
//
// -scale N is the scale mode: N masters with one replica each, monitored
// by three sentinels of each implementation in turn (the same data nodes);
// it reports the time until every sentinel knows every replica and peer,
// the sentinels that entered TILT, the +sdown events (every node is alive,
// so all are spurious), and CPU and RSS per sentinel over -scale-window,
// with ratios. -profile-dir saves a CPU profile of our start-up.
// -scale-replicas 0 starts lone masters instead (half the data nodes, so
// that 1,000 masters fit on a small machine); the settled check then wants
// no replica, and -mass-kill, which needs one to promote, is refused.
//
//	go run ./cmd/sentinel-bench -scale 100 -ours bin/sentinel
//	go run ./cmd/sentinel-bench -scale 1000 -scale-replicas 0 -impl ours -query-rounds 1
//
// It owns only its flags, the trial procedure and the report. Processes are
// started and killed through datanode/datanodetest, by PID, on 127.0.0.1.
// It must never: leave a process running (every trial closes its cluster,
// also on Ctrl-C), wait without a bound, or turn a measurement into a
// pass/fail verdict other than "did not fail over".
package main
