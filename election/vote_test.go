package election

import "testing"

func TestVote_SentinelVoteLeaderBranches(t *testing.T) {
	tests := []struct {
		name     string
		state    VoteState
		reqEpoch uint64
		runID    string
		want     VoteResult
	}{
		{
			name:     "higher epoch is adopted and voted for",
			state:    VoteState{CurrentEpoch: 5, LeaderEpoch: 5, Leader: "old"},
			reqEpoch: 7, runID: "cand",
			want: VoteResult{
				State:        VoteState{CurrentEpoch: 7, LeaderEpoch: 7, Leader: "cand"},
				EpochAdopted: true, Voted: true,
			},
		},
		{
			name:     "same epoch not yet voted in: vote without adopting",
			state:    VoteState{CurrentEpoch: 7, LeaderEpoch: 6, Leader: "old"},
			reqEpoch: 7, runID: "cand",
			want: VoteResult{
				State: VoteState{CurrentEpoch: 7, LeaderEpoch: 7, Leader: "cand"},
				Voted: true,
			},
		},
		{
			name:     "repeat request in the same epoch by another candidate keeps the first vote",
			state:    VoteState{CurrentEpoch: 7, LeaderEpoch: 7, Leader: "first"},
			reqEpoch: 7, runID: "second",
			want: VoteResult{State: VoteState{CurrentEpoch: 7, LeaderEpoch: 7, Leader: "first"}},
		},
		{
			name:     "repeat request by the same candidate is not a new vote",
			state:    VoteState{CurrentEpoch: 7, LeaderEpoch: 7, Leader: "first"},
			reqEpoch: 7, runID: "first",
			want: VoteResult{State: VoteState{CurrentEpoch: 7, LeaderEpoch: 7, Leader: "first"}},
		},
		{
			name:     "lower-epoch request changes nothing and replies with our vote",
			state:    VoteState{CurrentEpoch: 9, LeaderEpoch: 8, Leader: "mine"},
			reqEpoch: 6, runID: "late",
			want: VoteResult{State: VoteState{CurrentEpoch: 9, LeaderEpoch: 8, Leader: "mine"}},
		},
		{
			// Redis refuses this (current_epoch > req_epoch); the epoch 9
			// may belong to another master's election (issue 14).
			name:     "request below current but above our last vote for this master is voted for",
			state:    VoteState{CurrentEpoch: 9, LeaderEpoch: 3, Leader: "mine"},
			reqEpoch: 8, runID: "late",
			want: VoteResult{
				State: VoteState{CurrentEpoch: 9, LeaderEpoch: 8, Leader: "late"},
				Voted: true,
			},
		},
		{
			name:     "request at or below the master's config epoch is refused",
			state:    VoteState{CurrentEpoch: 9, LeaderEpoch: 3, Leader: "mine", ConfigEpoch: 8},
			reqEpoch: 8, runID: "late",
			want: VoteResult{State: VoteState{CurrentEpoch: 9, LeaderEpoch: 3, Leader: "mine", ConfigEpoch: 8}},
		},
		{
			name:     "request above the config epoch and below current is voted for",
			state:    VoteState{CurrentEpoch: 12, LeaderEpoch: 3, Leader: "mine", ConfigEpoch: 8},
			reqEpoch: 9, runID: "next",
			want: VoteResult{
				State: VoteState{CurrentEpoch: 12, LeaderEpoch: 9, Leader: "next", ConfigEpoch: 8},
				Voted: true,
			},
		},
		{
			name:     "fresh state votes in epoch 1",
			state:    VoteState{},
			reqEpoch: 1, runID: "cand",
			want: VoteResult{
				State:        VoteState{CurrentEpoch: 1, LeaderEpoch: 1, Leader: "cand"},
				EpochAdopted: true, Voted: true,
			},
		},
		{
			name:     "epoch 0 request never votes",
			state:    VoteState{},
			reqEpoch: 0, runID: "cand",
			want: VoteResult{State: VoteState{}},
		},
		{
			name:     "empty run id adopts the epoch but casts no vote",
			state:    VoteState{CurrentEpoch: 2, LeaderEpoch: 2, Leader: "x"},
			reqEpoch: 4, runID: "",
			want: VoteResult{
				State:        VoteState{CurrentEpoch: 4, LeaderEpoch: 2, Leader: "x"},
				EpochAdopted: true,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Vote(tc.state, tc.reqEpoch, tc.runID)
			if got != tc.want {
				t.Fatalf("Vote(%+v, %d, %q) = %+v, want %+v", tc.state, tc.reqEpoch, tc.runID, got, tc.want)
			}
		})
	}
}

func TestVote_OneVotePerEpochUnderAnySequence(t *testing.T) {
	// Drive one sentinel through many interleaved requests and check the
	// invariants: epochs never decrease and at most one candidate is ever
	// voted for in any epoch.
	type req struct {
		epoch uint64
		runID string
	}
	seq := []req{{1, "a"}, {1, "b"}, {3, "b"}, {2, "a"}, {3, "a"}, {3, "c"}, {4, "c"}, {4, "a"}, {1, "c"}, {5, ""}, {5, "b"}, {5, "a"}}
	votedFor := map[uint64]string{}
	var s VoteState
	for _, r := range seq {
		before := s
		res := Vote(s, r.epoch, r.runID)
		s = res.State
		if s.CurrentEpoch < before.CurrentEpoch || s.LeaderEpoch < before.LeaderEpoch {
			t.Fatalf("epoch went down: %+v -> %+v", before, s)
		}
		if res.EpochAdopted != (s.CurrentEpoch > before.CurrentEpoch) {
			t.Fatalf("EpochAdopted=%v but %d -> %d", res.EpochAdopted, before.CurrentEpoch, s.CurrentEpoch)
		}
		if res.Voted {
			if prev, ok := votedFor[s.LeaderEpoch]; ok {
				t.Fatalf("second vote in epoch %d: %q after %q", s.LeaderEpoch, s.Leader, prev)
			}
			votedFor[s.LeaderEpoch] = s.Leader
		}
	}
	want := map[uint64]string{1: "a", 3: "b", 4: "c", 5: "b"}
	if len(votedFor) != len(want) {
		t.Fatalf("votes = %v, want %v", votedFor, want)
	}
	for e, c := range want {
		if votedFor[e] != c {
			t.Fatalf("votes = %v, want %v", votedFor, want)
		}
	}
}
