// Package election owns the pure election rules of Sentinel's vote mode:
// replica ranking (sentinelSelectSlave and compareSlavesForPromotion),
// one vote per epoch (sentinelVoteLeader) and the leader tally
// (sentinelGetLeader). It will also own raft mode, in election/raftmode.
//
// Everything in this package is a plain function of its arguments. It must
// never do I/O, read the clock, use global randomness, start a goroutine, or
// import anything outside the standard library; purity_test.go enforces this.
// The caller (the deterministic core in monitor) stamps every duration and
// threshold, so the rules can be tested exhaustively without timers.
//
// A sketch of use from the core:
//
//	rules := election.SelectionRules{
//		MaxPingAge:        5 * pingPeriod,
//		MaxInfoAge:        5 * time.Second, // master is SDOWN
//		MaxMasterLinkDown: sinceSDown + 10*downAfter,
//	}
//	best, ok := election.Select(candidates, rules)
//
//	res := election.Vote(state, reqEpoch, reqRunID)
//	if res.Voted { /* persist, then emit +vote-for-leader */ }
//
//	winner, ok := election.Tally(votes, len(knownSentinels)+1, quorum)
package election
