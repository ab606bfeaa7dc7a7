package election

import "testing"

// FuzzVote checks the vote's invariants for any state and request: epochs
// never go down, a vote is only cast for the requested epoch by the
// requester, above the master's last vote and config epoch, and an epoch
// already voted in is never re-voted.
func FuzzVote(f *testing.F) {
	f.Add(uint64(5), uint64(5), "old", uint64(0), uint64(7), "cand")
	f.Add(uint64(7), uint64(7), "first", uint64(2), uint64(7), "second")
	f.Add(uint64(9), uint64(8), "mine", uint64(0), uint64(6), "late")
	f.Add(uint64(9), uint64(3), "mine", uint64(8), uint64(8), "late")
	f.Add(uint64(0), uint64(0), "", uint64(0), uint64(0), "")
	f.Add(^uint64(0), uint64(3), "x", uint64(1), ^uint64(0), "y")
	f.Fuzz(func(t *testing.T, current, leaderEpoch uint64, leader string, configEpoch, req uint64, runID string) {
		s := VoteState{CurrentEpoch: current, LeaderEpoch: leaderEpoch, Leader: leader, ConfigEpoch: configEpoch}
		res := Vote(s, req, runID)
		got := res.State
		if got.CurrentEpoch < s.CurrentEpoch || got.LeaderEpoch < s.LeaderEpoch {
			t.Fatalf("epoch went down: %+v -> %+v", s, got)
		}
		if res.EpochAdopted != (got.CurrentEpoch != s.CurrentEpoch) {
			t.Fatalf("EpochAdopted=%v for %+v -> %+v", res.EpochAdopted, s, got)
		}
		if res.Voted {
			if got.Leader != runID || got.LeaderEpoch != req || s.LeaderEpoch >= req || s.ConfigEpoch >= req || runID == "" {
				t.Fatalf("bad vote: %+v, req %d %q -> %+v", s, req, runID, got)
			}
		} else if got.Leader != s.Leader || got.LeaderEpoch != s.LeaderEpoch {
			t.Fatalf("vote changed without Voted: %+v -> %+v", s, got)
		}
		// Once a vote exists for the requested epoch, asking again in that
		// epoch never changes it.
		if got.LeaderEpoch == req {
			again := Vote(got, req, runID+"-other")
			if again.Voted || again.State != got {
				t.Fatalf("second request in epoch %d changed %+v to %+v", req, got, again.State)
			}
		}
	})
}

// FuzzTally checks that any winner holds a strict majority of the voters
// and at least quorum votes, whatever the inputs.
func FuzzTally(f *testing.F) {
	f.Add("s1s1s2", 3, 2)
	f.Add("s1s2s3s1", 5, 1)
	f.Add("", 0, 0)
	f.Add("aaaaaaaa", -1, -7)
	f.Fuzz(func(t *testing.T, packed string, voters, quorum int) {
		// Each pair of bytes is one voter's choice; "__" abstains.
		votes := map[string]string{}
		for i := 0; i+1 < len(packed) && i < 64; i += 2 {
			choice := packed[i : i+2]
			if choice == "__" {
				choice = ""
			}
			votes[string(rune('A'+i/2))] = choice
		}
		winner, ok := Tally(votes, voters, quorum)
		if !ok {
			if winner != "" {
				t.Fatalf("no winner but winner=%q", winner)
			}
			return
		}
		n := 0
		for _, c := range votes {
			if c == winner {
				n++
			}
		}
		if 2*n <= max(voters, countCast(votes)) || n < quorum {
			t.Fatalf("winner %q with %d votes of %d voters, quorum %d: %v", winner, n, voters, quorum, votes)
		}
		if MostVoted(votes) != winner {
			t.Fatalf("winner %q is not the most voted %q", winner, MostVoted(votes))
		}
	})
}

func countCast(votes map[string]string) int {
	n := 0
	for _, c := range votes {
		if c != "" {
			n++
		}
	}
	return n
}
