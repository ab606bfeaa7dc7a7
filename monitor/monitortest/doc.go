// Package monitortest runs scenario scripts against monitor.Core: text files
// in monitor/testdata that interleave commands with the actions and events
// the core must produce. It owns the script grammar and its rendering; it
// must never read the clock, sleep or touch the network, so every script is
// deterministic.
//
// A script is a sequence of blocks. A block is one or more command lines, a
// line "----", then the expected output, ending at a blank line (or end of
// file). Lines starting with '#' outside expected output are comments.
// `go test ./monitor -run Scenario -update` rewrites the expected outputs.
//
// Times are offsets from a fixed origin, written as Go durations (1s,
// 1.5s, 250ms). The harness keeps "now": tick sets it, every other input
// happens at now unless it has at=<offset>.
//
// Commands:
//
//	init myid=<id> [epoch=N] [seed=N] [desync=<dur>] [<debug-name>=<dur>...]
//	master <name> <host:port> quorum=N [down-after=D] [failover-timeout=D]
//	       [parallel-syncs=N] [reboot-down-after=D] [config-epoch=N]
//	       [leader-epoch=N] [leader=<id>] [replicas=h:p,h:p] [sentinels=id@h:p,...]
//	start                      build the core from init + master lines
//	tick <t>                   one Tick at t
//	ticks <from> <to> <step>   Ticks from..to inclusive
//	ping <h:p> <kind> [at=t]   kind: pong loading masterdown busy timeout connerr other
//	info <h:p> [kind] [role=master|slave] [runid=R] [replicas=h:p,...]
//	       [master=h:p] [link=up|down] [link-down=D] [priority=N] [offset=N]
//	       [announced=0|1] [at=t]
//	hello via=<h:p> from=<id>@<h:p> epoch=N master=<name>@<h:p> config-epoch=N [at=t]
//	peer <master> <id> <down|up|fail> [leader=<id> leader-epoch=N] [at=t]
//	monitor <name> <h:p> quorum=N [down-after=D] ...
//	remove <name> | reset <pattern> | failover <name> | ckquorum <name>
//	set <name> <opt> <val> [<opt> <val>...]   (rename-command takes two values)
//	is-master-down <h:p> <epoch> <runid|*>
//	debug [<name> <ms>...]
//	hide <kind,...> / show <kind,...>   filter action kinds from the output
//	auto-pong <h:p,...> | -<h:p> | off  answer PINGs to these at once
//	auto-peer <id>=down|up|vote|off    answer is-master-down asks at once
//	state [<master>]            dump the snapshot
//
// Raft mode (init raft=1; see raft.go): raft-leader, lease, committed,
// switch-failed.
//
// Output lines are "action ...", "event <type> <payload>", "result ..." and
// state dumps.
package monitortest
