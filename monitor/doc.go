// Package monitor owns Sentinel's decision logic as a deterministic state
// machine (Core): PING/INFO/hello cadence, SDOWN and ODOWN, TILT, hello
// processing, epochs and votes, the failover state machine of sentinel.c,
// replica discovery and the enforcement of the replication layout. It also
// holds the shared vocabulary (inputs, actions, events, snapshots) the other
// packages speak.
//
// The core must never do I/O, read the clock, sleep, start a goroutine, log,
// or use global randomness: every input carries its own time, all
// randomness comes from the injected *rand.Rand, and everything the outside
// world must do comes out of Ready as actions. purity_test.go enforces this.
// It is not safe for concurrent use; one goroutine (monitor/supervisor) owns
// it.
//
// Use:
//
//	c, err := monitor.New(cfg, rand.New(rand.NewPCG(seed, seed)))
//	for {
//		c.Step(monitor.Tick{At: time.Now()}) // 10–19 times a second
//		// ... and every PingResult, InfoResult, HelloReceived, PeerReply, LinkBroken
//		rd := c.Ready()
//		// perform rd.Actions (FlushConfig first), publish rd.Events
//	}
//
// Ranking and vote rules come from the pure election package.
package monitor
