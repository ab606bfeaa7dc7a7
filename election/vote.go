package election

// VoteState is one sentinel's voting memory for one master.
type VoteState struct {
	CurrentEpoch uint64 // the sentinel's current epoch (global)
	LeaderEpoch  uint64 // epoch of the last vote cast for this master
	Leader       string // run id voted for in LeaderEpoch
}

// VoteResult says what Vote changed.
type VoteResult struct {
	State        VoteState
	EpochAdopted bool // CurrentEpoch went up (+new-epoch)
	Voted        bool // a new vote was cast now (+vote-for-leader); persist before replying
}

// Vote applies sentinelVoteLeader's rules: adopt a higher epoch; vote for
// runID when LeaderEpoch < reqEpoch and CurrentEpoch <= reqEpoch; one vote per
// epoch, first come first served. The reply to the requester is always
// State.Leader and State.LeaderEpoch, which may be an earlier vote.
//
// An empty runID is not a candidate: the epoch is still adopted, but no vote
// is cast (Redis would record an empty leader, which no tally can count).
func Vote(s VoteState, reqEpoch uint64, runID string) VoteResult {
	res := VoteResult{State: s}
	if reqEpoch > res.State.CurrentEpoch {
		res.State.CurrentEpoch = reqEpoch
		res.EpochAdopted = true
	}
	if runID != "" && res.State.LeaderEpoch < reqEpoch && res.State.CurrentEpoch <= reqEpoch {
		res.State.Leader = runID
		// sentinel.c stores current_epoch here, which equals reqEpoch because
		// the epoch was adopted above and current_epoch <= reqEpoch holds.
		res.State.LeaderEpoch = res.State.CurrentEpoch
		res.Voted = true
	}
	return res
}
