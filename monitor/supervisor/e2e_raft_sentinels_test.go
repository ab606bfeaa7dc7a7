package supervisor

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub"
)

// fieldNames reads a SENTINEL reply element (RESP2: a flat array) as its
// field names in order and a map.
func fieldNames(t *testing.T, v any) ([]string, map[string]string) {
	t.Helper()
	flat, ok := v.([]any)
	if !ok || len(flat)%2 != 0 {
		t.Fatalf("reply element %#v", v)
	}
	var order []string
	m := map[string]string{}
	for i := 0; i < len(flat); i += 2 {
		k, _ := flat[i].(string)
		val, _ := flat[i+1].(string)
		order = append(order, k)
		m[k] = val
	}
	return order, m
}

// TestRaftSentinelsAndMasterShowRaft: in raft mode SENTINEL SENTINELS keeps
// every stock field in the stock order and appends each peer's raft node
// id, suffrage, last contact and match index (match and contact as the
// leader sees them; on a follower, the leader's last contact); SENTINEL
// MASTER and MASTERS append the raft term and leader.
func TestRaftSentinelsAndMasterShowRaft(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 1)
	group := startRaftGroup(t, addrOf(topo.Master), time.Second, 2)
	for _, s := range group {
		waitSettled(t, s.addr(), 1, 2)
	}
	leader := raftLeaderOf(t, group)
	var follower *raftSentinel
	for _, s := range group {
		if s != leader {
			follower = s
			break
		}
	}
	stockSentinel := fieldNamesOf(pubsub.SentinelFields(&monitor.SentinelView{}, time.Now()))
	raftTail := []string{"raft-node-id", "raft-suffrage", "raft-last-contact-ms", "raft-match-index"}

	sentinels := func(s *raftSentinel) []map[string]string {
		c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, Protocol: 2})
		defer c.Close()
		v, err := c.Do(ctx, "SENTINEL", "SENTINELS", "mymaster").Slice()
		if err != nil {
			t.Fatalf("SENTINEL SENTINELS on %s: %v", s.id, err)
		}
		var out []map[string]string
		for _, e := range v {
			order, m := fieldNames(t, e)
			if !slices.Equal(order, append(slices.Clone(stockSentinel), raftTail...)) {
				t.Fatalf("SENTINEL SENTINELS fields on %s:\n%v\nwant the stock fields then %v", s.id, order, raftTail)
			}
			out = append(out, m)
		}
		return out
	}
	// The leader: every peer by node id, a voter, acknowledged, heard from.
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		ids := map[string]bool{}
		for _, m := range sentinels(leader) {
			contact, _ := strconv.Atoi(m["raft-last-contact-ms"])
			match, _ := strconv.Atoi(m["raft-match-index"])
			if m["raft-suffrage"] != "voter" || contact < 0 || contact > 1000 || match == 0 {
				return false
			}
			ids[m["raft-node-id"]] = true
		}
		return len(ids) == 2 && !ids[leader.id]
	}, "the leader's SENTINEL SENTINELS should show both peers' raft view")
	// A follower: the leader's last contact; the other follower a voter
	// with no contact it can know.
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		seenLeader := false
		for _, m := range sentinels(follower) {
			if m["raft-node-id"] == leader.id {
				contact, _ := strconv.Atoi(m["raft-last-contact-ms"])
				seenLeader = contact >= 0 && contact < 1000
			} else if m["raft-node-id"] == "?" || m["raft-last-contact-ms"] != "-1" || m["raft-suffrage"] != "voter" {
				return false
			}
		}
		return seenLeader
	}, "a follower's SENTINEL SENTINELS should show the leader's last contact")

	stockMaster := fieldNamesOf(pubsub.MasterFields(&monitor.MasterView{}, time.Now()))
	c := redis.NewClient(&redis.Options{Addr: follower.addr(), MaxRetries: -1, Protocol: 2})
	t.Cleanup(func() { c.Close() })
	v, err := c.Do(ctx, "SENTINEL", "MASTER", "mymaster").Slice()
	if err != nil {
		t.Fatal(err)
	}
	order, m := fieldNames(t, v)
	n := len(order)
	if n < 2 || order[n-2] != "raft-term" || order[n-1] != "raft-leader" || m["raft-leader"] != leader.id || m["raft-term"] == "0" {
		t.Fatalf("SENTINEL MASTER: %v %v", order, m)
	}
	for _, f := range stockMaster {
		if !slices.Contains(order[:n-2], f) {
			t.Fatalf("SENTINEL MASTER lost stock field %s: %v", f, order)
		}
	}
	ms, err := c.Do(ctx, "SENTINEL", "MASTERS").Slice()
	if err != nil || len(ms) != 1 {
		t.Fatalf("SENTINEL MASTERS: %v %v", ms, err)
	}
	if order, _ := fieldNames(t, ms[0]); order[len(order)-1] != "raft-leader" {
		t.Fatalf("SENTINEL MASTERS fields: %v", order)
	}
}

func fieldNamesOf(fs []pubsub.Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}
