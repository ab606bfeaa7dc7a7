package election

// VoteState is one sentinel's voting memory for one master.
type VoteState struct {
	CurrentEpoch uint64 // the sentinel's current epoch (global)
	LeaderEpoch  uint64 // epoch of the last vote cast for this master
	Leader       string // run id voted for in LeaderEpoch
	ConfigEpoch  uint64 // the master's config epoch: no vote at or below it
}

// VoteResult says what Vote changed.
type VoteResult struct {
	State        VoteState
	EpochAdopted bool // CurrentEpoch went up (+new-epoch)
	Voted        bool // a new vote was cast now (+vote-for-leader); persist before replying
}

// Vote is sentinelVoteLeader with one change: the epoch floor is per
// master, not global. A higher request epoch is adopted as the current
// epoch (as in Redis), and a vote for runID is cast when the request epoch
// is above the last epoch we voted in for this master (LeaderEpoch) and
// above the master's config epoch (ConfigEpoch): one vote per
// (master, epoch), first come first served. The reply to the requester is
// always State.Leader and State.LeaderEpoch, which may be an earlier vote.
//
// Redis also refuses a request below its current epoch. Epochs are global
// but elections are per master, so when several masters fail at once every
// sentinel sees the others' epochs in its own order and refuses the lower
// ones: the elections fail and run again. Dropping that refusal changes no
// per-master guarantee: a voter still votes at most once per epoch of a
// master and never at or below an epoch it voted in or a configuration it
// holds for that master, so at most one leader per (master, epoch) and a
// master's configurations stay ordered by epoch. Stock sentinels in a mixed
// group keep their own rule; this only changes what we answer.
//
// An empty runID is not a candidate: the epoch is still adopted, but no vote
// is cast (Redis would record an empty leader, which no tally can count).
func Vote(s VoteState, reqEpoch uint64, runID string) VoteResult {
	res := VoteResult{State: s}
	if reqEpoch > res.State.CurrentEpoch {
		res.State.CurrentEpoch = reqEpoch
		res.EpochAdopted = true
	}
	if runID != "" && res.State.LeaderEpoch < reqEpoch && res.State.ConfigEpoch < reqEpoch {
		res.State.Leader = runID
		res.State.LeaderEpoch = reqEpoch
		res.Voted = true
	}
	return res
}
