package election

// Majority is the smallest number of voters that is more than half of
// voters: what a leader needs (sentinelGetLeader) and what a sentinel
// must reach to act or answer for its group.
func Majority(voters int) int { return voters/2 + 1 }

// Tally counts votes for one epoch (sentinelGetLeader): votes maps each
// voter's run id (including ours) to the run id it voted for in that epoch.
// voters is the number of sentinels known for the master plus one. The winner
// needs > voters/2 votes AND >= quorum.
//
// Entries with an empty candidate are abstentions. If voters is smaller than
// the number of votes cast (a caller bug), the number of votes is used
// instead, which can only make winning harder; with that, two candidates can
// never both hold a majority, so the result does not depend on tie-breaking.
func Tally(votes map[string]string, voters, quorum int) (winner string, ok bool) {
	counts := make(map[string]int, len(votes))
	cast := 0
	for _, candidate := range votes {
		if candidate == "" {
			continue
		}
		counts[candidate]++
		cast++
	}
	winner, top := mostVoted(counts)
	if winner == "" {
		return "", false
	}
	voters = max(voters, cast)
	if top < Majority(voters) || top < quorum {
		return "", false
	}
	return winner, true
}

// MostVoted returns the candidate with most votes (ties: smallest run id), or
// "" if none — what we vote for ourselves when asked to pick
// (sentinelGetLeader votes for the most voted, else itself).
func MostVoted(votes map[string]string) string {
	counts := make(map[string]int, len(votes))
	for _, candidate := range votes {
		if candidate != "" {
			counts[candidate]++
		}
	}
	winner, _ := mostVoted(counts)
	return winner
}

// mostVoted picks the highest count; a tie goes to the smallest run id so the
// answer does not depend on map iteration order (Redis uses dict order).
func mostVoted(counts map[string]int) (winner string, top int) {
	for candidate, n := range counts {
		if n > top || (n == top && candidate < winner) {
			winner, top = candidate, n
		}
	}
	return winner, top
}

// Lost reports that nobody can win this epoch any more: even if every voter
// whose vote is not in votes had voted for the front-runner, it would stay
// short of a majority or of the quorum. Only then is it safe for a candidate
// to try again in a new epoch at once: each voter casts one vote per epoch,
// so no sentinel can hold (or later collect) the votes to act in this one.
//
// votes and voters have Tally's meaning; abstentions ("" candidates) count
// as known votes that went to nobody.
func Lost(votes map[string]string, voters, quorum int) bool {
	counts := make(map[string]int, len(votes))
	for _, candidate := range votes {
		if candidate != "" {
			counts[candidate]++
		}
	}
	_, top := mostVoted(counts)
	unknown := max(voters-len(votes), 0)
	voters = max(voters, len(votes))
	best := top + unknown
	return best < Majority(voters) || best < quorum
}
