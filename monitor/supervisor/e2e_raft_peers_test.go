package supervisor

import (
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// raftLeaderOf waits for one leader in group that knows mymaster.
func raftLeaderOf(t *testing.T, group []*raftSentinel) *raftSentinel {
	t.Helper()
	var leader *raftSentinel
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
		if !oneRaftLeader(group) {
			return false
		}
		for _, s := range group {
			if s.sup.raft.node.IsLeader() {
				leader = s
			}
		}
		return true
	}, "one raft leader, mymaster applied on every node")
	return leader
}

// TestRaftPeerLag: the leader's /metrics and /status show each follower's
// acknowledged index, lag and last contact; a stopped follower's contact
// ages and its lag grows with new entries, while the other stays at 0.
// Followers show no peers. Each peer's run id is learned from its INFO.
// The raft families pass promtool check metrics.
func TestRaftPeerLag(t *testing.T) {
	requireRedis(t)
	topo := datanodetest.StartTopology(t, 1)
	group := startRaftGroup(t, addrOf(topo.Master), time.Second, 2)
	leader := raftLeaderOf(t, group)
	var followers []*raftSentinel
	for _, s := range group {
		if s != leader {
			followers = append(followers, s)
		}
	}
	peerOf := func(st *RaftStatus, id string) *RaftPeerStatus {
		for i := range st.Peers {
			if st.Peers[i].ID == id {
				return &st.Peers[i]
			}
		}
		return nil
	}
	status := func(s *raftSentinel) *RaftStatus {
		var v struct{ Raft *RaftStatus }
		if err := json.Unmarshal([]byte(scrapeRaft(t, s, "/status?events=0")), &v); err != nil || v.Raft == nil {
			t.Fatalf("/status: %v", err)
		}
		return v.Raft
	}
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		st := status(leader)
		for _, f := range followers {
			p := peerOf(st, f.id)
			if p == nil || p.LagEntries != 0 || p.MatchIndex != st.LastLogIndex || p.LastContactMs < 0 || p.LastContactMs > 500 || p.Suffrage != "Voter" ||
				p.RunID != f.sup.Snapshot().MyID {
				return false
			}
		}
		return len(st.Peers) == 2
	}, "the leader should show both followers caught up")
	if st := status(followers[0]); len(st.Peers) != 0 {
		t.Fatalf("a follower shows peers: %+v", st.Peers)
	}

	text := scrapeRaft(t, leader, "/metrics")
	for _, f := range followers {
		for _, name := range []string{"sentinel_raft_peer_match_index", "sentinel_raft_peer_lag_entries", "sentinel_raft_peer_last_contact_seconds"} {
			if !strings.Contains(text, name+`{peer_id="`+f.id+`"}`) {
				t.Errorf("/metrics lacks %s for %s", name, f.id)
			}
		}
	}
	promtoolCheck(t, text)

	// One follower stops; new entries leave it behind.
	gone, stays := followers[0], followers[1]
	gone.stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for range 3 {
		if err := leader.sup.raft.node.Barrier(ctx); err != nil {
			t.Fatal(err)
		}
	}
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		st := status(leader)
		g, s := peerOf(st, gone.id), peerOf(st, stays.id)
		return g != nil && s != nil && g.LagEntries >= 3 && g.LastContactMs > 1000 && s.LagEntries == 0 && s.LastContactMs < 500
	}, "the stopped follower should fall behind, the other not")
	text = scrapeRaft(t, leader, "/metrics")
	lag := regexp.MustCompile(`sentinel_raft_peer_lag_entries\{peer_id="` + gone.id + `"\} (\d+)`).FindStringSubmatch(text)
	if lag == nil || lag[1] == "0" {
		t.Fatalf("/metrics lag of %s: %v", gone.id, lag)
	}
}

// promtoolCheck runs promtool check metrics on the sentinel_raft_
// families of a scrape (skipped without promtool).
func promtoolCheck(t *testing.T, scrape string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("no promtool: metrics lint skipped")
		return
	}
	var raft []string
	for _, line := range strings.Split(scrape, "\n") {
		if strings.Contains(line, "sentinel_raft_") {
			raft = append(raft, line)
		}
	}
	cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(strings.Join(raft, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
