package supervisor

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// TestRaftPeerIDsLearn: each known sentinel is asked once for its node id,
// at most raftPeerIDsPerRound per round, once per run id however many
// masters list it; one that named none (an error, a sentinel without
// raft) is asked again only after raftPeerIDRetry.
func TestRaftPeerIDsLearn(t *testing.T) {
	asked := map[string]int{}
	now := time.Unix(1000, 0)
	p := &raftPeerIDs{byID: map[string]string{}, retryAt: map[string]time.Time{}, now: func() time.Time { return now }, ask: func(_ context.Context, addr string) (string, error) {
		asked[addr]++
		switch addr {
		case "127.0.0.1:1":
			return "", errors.New("connection refused")
		case "127.0.0.1:2":
			return "", nil // vote mode: no sentinel_raft_node_id
		}
		return "n-" + addr, nil
	}}
	snap := &monitor.Snapshot{}
	var sentinels []monitor.SentinelView
	for i := 1; i <= raftPeerIDsPerRound+3; i++ {
		var s monitor.SentinelView
		s.RunID = fmt.Sprintf("run%d", i)
		s.Addr = monitor.Addr{Host: "127.0.0.1", Port: i}
		sentinels = append(sentinels, s)
	}
	var unnamed monitor.SentinelView // no run id yet: never asked
	unnamed.Addr = monitor.Addr{Host: "127.0.0.1", Port: 999}
	snap.Masters = []monitor.MasterView{{Sentinels: append(sentinels, unnamed)}, {Sentinels: sentinels[:2]}}

	p.learn(t.Context(), snap)
	if len(asked) != raftPeerIDsPerRound || asked["127.0.0.1:999"] != 0 {
		t.Fatalf("first round asked %v, want %d sentinels", asked, raftPeerIDsPerRound)
	}
	p.learn(t.Context(), snap)
	p.learn(t.Context(), snap)
	if asked["127.0.0.1:1"] != 1 || asked["127.0.0.1:2"] != 1 {
		t.Fatalf("asked %v: a sentinel that named no node id asked again before the retry time", asked)
	}
	now = now.Add(raftPeerIDRetry)
	p.learn(t.Context(), snap)
	if p.nodeID("run3") != "n-127.0.0.1:3" || p.nodeID("run1") != "" || p.nodeID("run2") != "" {
		t.Fatalf("learned %v", p.byID)
	}
	if asked["127.0.0.1:3"] != 1 || asked["127.0.0.1:1"] != 2 || asked["127.0.0.1:2"] != 2 || asked[fmt.Sprintf("127.0.0.1:%d", raftPeerIDsPerRound+3)] != 1 {
		t.Fatalf("asked %v: a known sentinel again, or an unknown one not again", asked)
	}
}
