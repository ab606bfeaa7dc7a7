package pubsub

import (
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

func names(fs []Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name+"="+f.Value)
	}
	return out
}

// TestRaftFields: nothing in vote mode; in raft mode the master's term and
// leader, and per sentinel its node id, suffrage, last contact and match
// index, with "?" and -1 for what this node cannot know.
func TestRaftFields(t *testing.T) {
	if f := RaftMasterFields(nil); f != nil {
		t.Fatalf("vote mode master fields %v", f)
	}
	if f := RaftSentinelFields(nil, &monitor.RaftPeerView{NodeID: "s2"}); f != nil {
		t.Fatalf("vote mode sentinel fields %v", f)
	}
	r := &monitor.RaftView{Term: 7, LeaderID: "s1"}
	check := func(got []Field, want ...string) {
		t.Helper()
		g := names(got)
		if len(g) != len(want) {
			t.Fatalf("fields %v, want %v", g, want)
		}
		for i := range want {
			if g[i] != want[i] {
				t.Fatalf("fields %v, want %v", g, want)
			}
		}
	}
	check(RaftMasterFields(r), "raft-term=7", "raft-leader=s1")
	check(RaftMasterFields(&monitor.RaftView{Term: 3}), "raft-term=3", "raft-leader=?")
	check(RaftSentinelFields(r, &monitor.RaftPeerView{NodeID: "s2", Suffrage: "Voter", MatchIndex: 42, LastContact: 30 * time.Millisecond}),
		"raft-node-id=s2", "raft-suffrage=voter", "raft-last-contact-ms=30", "raft-match-index=42")
	check(RaftSentinelFields(r, &monitor.RaftPeerView{NodeID: "s9", LastContact: -1}),
		"raft-node-id=s9", "raft-suffrage=none", "raft-last-contact-ms=-1", "raft-match-index=0")
	check(RaftSentinelFields(r, nil), "raft-node-id=?", "raft-suffrage=?", "raft-last-contact-ms=-1", "raft-match-index=0")
}
