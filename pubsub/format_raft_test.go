package pubsub

import (
	"strings"
	"testing"

	"github.com/sentinelgo/sentinel/monitor"
)

// TestRaftInfoSentinelSection: raft mode adds its view to INFO's Sentinel
// section, before the masters; vote mode's section is unchanged.
func TestRaftInfoSentinelSection(t *testing.T) {
	s := &monitor.Snapshot{}
	if got := InfoSentinelSection(s); strings.Contains(got, "raft") {
		t.Fatalf("vote mode INFO mentions raft:\n%s", got)
	}
	s.Raft = &monitor.RaftView{NodeID: "s1", State: "Leader", Term: 3, LeaderID: "s1", CommitIndex: 12, AppliedIndex: 11, Voters: 3}
	got := InfoSentinelSection(s)
	want := "sentinel_simulate_failure_flags:0\r\nsentinel_election_mode:raft\r\nsentinel_raft_node_id:s1\r\nsentinel_raft_state:leader\r\n" +
		"sentinel_raft_term:3\r\nsentinel_raft_leader:s1\r\nsentinel_raft_commit_index:12\r\nsentinel_raft_applied_index:11\r\nsentinel_raft_voters:3\r\n"
	if !strings.Contains(got, want) {
		t.Fatalf("INFO sentinel section:\n%s\nwant it to contain:\n%s", got, want)
	}
}

func TestRaftViewWithholds(t *testing.T) {
	var vote *monitor.RaftView
	if vote.Withholds() {
		t.Fatal("vote mode (no raft view) withholds")
	}
	if (&monitor.RaftView{State: "Follower", LeaderID: "s1"}).Withholds() {
		t.Fatal("a follower in touch with its leader withholds")
	}
	if !(&monitor.RaftView{State: "Candidate", NoMajority: true}).Withholds() {
		t.Fatal("a node cut off from the majority does not withhold")
	}
}
