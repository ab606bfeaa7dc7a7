package supervisor

import (
	"context"
	"encoding/json"
	"fmt"
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
//
// The three sentinels share one process: on a loaded machine a pause
// longer than LeaderLeaseTimeout (250 ms) deposes the leader, and with
// one follower stopped either survivor may lead the next term. So every
// look is at whichever node leads at that moment. A leader of a later
// term has had no answer from the stopped follower at all (last contact
// -1, "none in this term"), which is as stale as an aged contact.
func TestRaftPeerLag(t *testing.T) {
	requireRedis(t)
	topo := datanodetest.StartTopology(t, 1)
	group := startRaftGroup(t, addrOf(topo.Master), time.Second, 2)
	raftLeaderOf(t, group)
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
	// leaderAmong is the node of alive that leads now, and the others.
	leaderAmong := func(alive []*raftSentinel) (*raftSentinel, []*raftSentinel) {
		var l *raftSentinel
		var rest []*raftSentinel
		for _, s := range alive {
			if l == nil && s.sup.raft.node.IsLeader() {
				l = s
			} else {
				rest = append(rest, s)
			}
		}
		return l, rest
	}
	var leader *raftSentinel
	var followers []*raftSentinel
	var term uint64 // of the leader that showed both caught up
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
		leader, followers = leaderAmong(group)
		if leader == nil {
			return false
		}
		st := status(leader)
		for _, f := range followers {
			p := peerOf(st, f.id)
			if p == nil || p.LagEntries != 0 || p.MatchIndex != st.LastLogIndex || p.LastContactMs < 0 || p.LastContactMs > 500 || p.Suffrage != "Voter" ||
				p.RunID != f.sup.Snapshot().MyID {
				return false
			}
		}
		term = st.Term
		return len(st.Peers) == 2
	}, "the leader should show both followers caught up")
	if st := status(followers[0]); st.State != "Leader" && len(st.Peers) != 0 {
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

	// One follower stops; new entries (three barriers, each committed by
	// whichever of the two left leads) leave it behind.
	gone := followers[0]
	gone.stop()
	alive := []*raftSentinel{leader, followers[1]}
	committed := 0
	datanodetest.Eventually(t, 20*time.Second, 20*time.Millisecond, func() bool {
		l, _ := leaderAmong(alive)
		if l == nil {
			return false
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		if l.sup.raft.node.Barrier(ctx) == nil {
			committed++
		}
		return committed >= 3
	}, "three barriers committed without %s", gone.id)
	var last string
	err := datanodetest.Poll(t.Context(), 10*time.Second, 50*time.Millisecond, func() bool {
		l, rest := leaderAmong(alive)
		if l == nil {
			return false
		}
		st := status(l)
		g, s := peerOf(st, gone.id), peerOf(st, rest[0].id)
		if g == nil || s == nil {
			return false
		}
		last = fmt.Sprintf("leader %s term %d: %s %+v, %s %+v", l.id, st.Term, gone.id, *g, rest[0].id, *s)
		// Never contacted is stale only for a leader of a later term.
		stale := g.LastContactMs > 1000 || (g.LastContactMs == -1 && st.Term > term)
		if g.LagEntries < 3 || !stale || s.LagEntries != 0 || s.LastContactMs < 0 || s.LastContactMs >= 500 {
			return false
		}
		lag := regexp.MustCompile(`sentinel_raft_peer_lag_entries\{peer_id="` + gone.id + `"\} (\d+)`).FindStringSubmatch(scrapeRaft(t, l, "/metrics"))
		return lag != nil && lag[1] != "0"
	})
	if err != nil {
		t.Fatalf("the stopped follower should fall behind on /status and /metrics, the other not: %v; last seen: %s", err, last)
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
