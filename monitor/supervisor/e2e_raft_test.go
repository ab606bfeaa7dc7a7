package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// raftSentinel is one of our sentinels in raft mode, run in this test
// process from a YAML file as the binary would run it.
type raftSentinel struct {
	t      testing.TB
	id     string
	yaml   string
	port   int
	cancel context.CancelFunc
	done   chan error
	sup    *Supervisor
}

// raftYAML is one raft-mode sentinel's configuration file.
func raftYAML(t *testing.T, id string, port int, raftAddr, peers string, bootstrap bool, master monitor.Addr, quorum int, downAfter time.Duration) string {
	t.Helper()
	text := fmt.Sprintf(`sentinel:
  bind: [127.0.0.1]
  port: %d
election:
  mode: raft
  node_id: %s
  bind: %q
  peers:
%s  data_dir: raft
  bootstrap: %t
masters:
  - name: mymaster
    address: %s
    quorum: %d
    down_after: %s
    failover_timeout: 10s
`, port, id, raftAddr, peers, bootstrap, master, quorum, downAfter)
	path := filepath.Join(t.TempDir(), "sentinel.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startRaftGroup writes three YAML files (one raft group on loopback, each
// node with its own data directory) and starts the three sentinels.
func startRaftGroup(t *testing.T, master monitor.Addr, downAfter time.Duration, quorum int) []*raftSentinel {
	t.Helper()
	const n = 3
	ids := make([]string, n)
	ports := make([]int, n)
	raftAddrs := make([]string, n)
	var peers strings.Builder
	for i := range n {
		ids[i] = fmt.Sprintf("s%d", i+1)
		ports[i] = datanodetest.FreePort(t)
		raftAddrs[i] = fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t))
		fmt.Fprintf(&peers, "    - {id: %s, address: %q}\n", ids[i], raftAddrs[i])
	}
	var out []*raftSentinel
	for i := range n {
		path := raftYAML(t, ids[i], ports[i], raftAddrs[i], peers.String(), true, master, quorum, downAfter)
		s := &raftSentinel{t: t, id: ids[i], yaml: path, port: ports[i]}
		s.start()
		t.Cleanup(s.stop)
		out = append(out, s)
	}
	return out
}

func (s *raftSentinel) start() {
	s.t.Helper()
	cfg, err := configs.LoadFile(s.yaml)
	if err != nil {
		s.t.Fatalf("LoadFile: %v", err)
	}
	// A fresh metrics port at every start: a restart must not depend on
	// getting the old one back.
	cfg.Sentinel.MetricsAddr = fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(s.t))
	sup, err := New(Options{Config: cfg, Logger: testLogger(s.t, "["+s.id+"] "), Version: "test"})
	if err != nil {
		s.t.Fatalf("supervisor.New: %v", err)
	}
	s.sup = sup
	s.cancel, s.done = runInBackground(sup)
}

func (s *raftSentinel) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	waitStopped(s.t, "sentinel "+s.id, s.done, 15*time.Second)
	s.cancel = nil
}

func (s *raftSentinel) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// TestRaftFailoverThreeOfOurs: three of our sentinels in raft mode, a real
// master with two replicas, the master SIGKILLed. Exactly one promotion,
// every sentinel publishes +switch-master once and answers the new master,
// and a go-redis failover client keeps writing.
func TestRaftFailoverThreeOfOurs(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 2)
	group := startRaftGroup(t, addrOf(topo.Master), time.Second, 2)

	var addrs []string
	var recs []*eventRecorder
	for _, s := range group {
		waitSettled(t, s.addr(), 2, 2)
		addrs = append(addrs, s.addr())
		recs = append(recs, recordEvents(t, s.addr()))
	}
	// One leader, and the master is raft state on every node.
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool { return oneRaftLeader(group) }, "one raft leader, mymaster applied on every node")

	w := startWriter(t, addrs)
	datanodetest.Eventually(t, 5*time.Second, 10*time.Millisecond, func() bool { return w.ackedCount() > 10 }, "writer should be writing")

	old := topo.Master
	killed := time.Now()
	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	oldPrefix := "mymaster " + strings.Replace(old.Addr(), ":", " ", 1) + " "
	var first time.Time
	datanodetest.Eventually(t, 30*time.Second, 10*time.Millisecond, func() bool {
		for _, r := range recs {
			e, ok := r.first("+switch-master", oldPrefix)
			if !ok {
				return false
			}
			if first.IsZero() || e.at.Before(first) {
				first = e.at
			}
		}
		return true
	}, "+switch-master on every sentinel")
	t.Logf("raft mode: first +switch-master %v after the kill (down-after 1s)", first.Sub(killed).Round(time.Millisecond))

	sw, _ := recs[0].first("+switch-master", oldPrefix)
	parts := strings.Fields(sw.payload)
	if len(parts) != 5 {
		t.Fatalf("+switch-master payload %q", sw.payload)
	}
	newAddr := parts[3] + ":" + parts[4]
	if newAddr != topo.Replicas[0].Addr() && newAddr != topo.Replicas[1].Addr() {
		t.Fatalf("new master %s is not one of the replicas", newAddr)
	}
	for _, s := range group {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
		t.Cleanup(func() { sc.Close() })
		datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
			a, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
			return err == nil && a[0]+":"+a[1] == newAddr
		}, "sentinel %s should answer the new master", s.id)
		st := s.sup.RaftStatus()
		if st == nil || st.Masters["mymaster"] != newAddr+" epoch 1" || st.LeaderID == "" || st.AppliedIndex == 0 || st.Voters != 3 {
			t.Errorf("raft status on %s: %+v, want mymaster at %s epoch 1", s.id, st, newAddr)
		}
	}
	before := w.ackedCount()
	datanodetest.Eventually(t, 10*time.Second, 10*time.Millisecond, func() bool { return w.ackedCount() > before+10 }, "writer should write again")
	for _, r := range topo.Replicas {
		if r.Addr() != newAddr {
			if err := datanodetest.WaitReplicaOf(ctx, r, newAddr, 15*time.Second); err != nil {
				t.Fatalf("replica %s: %v", r.Addr(), err)
			}
		}
	}

	// Exactly one promotion: one leader elected, one replica promoted, one
	// switch per sentinel, and no vote ever asked for or cast.
	promoted, elected := 0, 0
	for i, r := range recs {
		promoted += r.count("+promoted-slave")
		elected += r.count("+elected-leader")
		if n := r.count("+switch-master"); n != 1 {
			t.Errorf("%s published %d +switch-master, want 1", group[i].id, n)
		}
		if n := r.count("+vote-for-leader"); n != 0 {
			t.Errorf("%s published %d +vote-for-leader in raft mode", group[i].id, n)
		}
	}
	if promoted != 1 || elected != 1 {
		t.Fatalf("+promoted-slave %d, +elected-leader %d across the group, want 1 and 1", promoted, elected)
	}
	if masters := replicasAsMaster(ctx, topo.Replicas); masters != 1 {
		t.Fatalf("%d replicas report role:master, want 1", masters)
	}
	t.Logf("acked writes %d, write errors %d", w.ackedCount(), w.errs.Load())

	// The raft counters are on /metrics, the raft view on /status.
	text := scrapeRaft(t, group[0], "/metrics")
	for _, want := range []string{`sentinel_raft_voters 3`, `sentinel_raft_state{state="Leader"}`, `sentinel_raft_commit_index`, `sentinel_raft_last_contact_seconds`} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var status struct{ Raft *RaftStatus }
	if err := json.Unmarshal([]byte(scrapeRaft(t, group[1], "/status")), &status); err != nil {
		t.Fatalf("/status: %v", err)
	}
	if r := status.Raft; r == nil || r.NodeID != "s2" || r.Masters["mymaster"] != newAddr+" epoch 1" || r.Term == 0 {
		t.Errorf("/status raft view: %+v", r)
	}
	// And INFO shows the raft view.
	ic := redis.NewClient(&redis.Options{Addr: group[2].addr(), MaxRetries: -1})
	t.Cleanup(func() { ic.Close() })
	datanodetest.Eventually(t, 5*time.Second, 20*time.Millisecond, func() bool {
		info, err := ic.Info(ctx, "sentinel").Result()
		return err == nil && strings.Contains(info, "sentinel_election_mode:raft\r\n") &&
			strings.Contains(info, "sentinel_raft_node_id:s3\r\n") && strings.Contains(info, "sentinel_raft_voters:3\r\n") &&
			!strings.Contains(info, "sentinel_raft_leader:\r\n")
	}, "INFO sentinel should show the raft view")
}

// scrapeRaft reads path from the sentinel's metrics listener.
func scrapeRaft(t *testing.T, s *raftSentinel, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + s.sup.cfg.Sentinel.MetricsAddr + path)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return string(b)
}

// TestRaftRestartOneByOne restarts each sentinel of a raft-mode group in
// turn, the leader among them: the agreed master survives every restart
// (replayed from the node's data directory), a leader is always found
// again, and nobody fails the healthy master over.
func TestRaftRestartOneByOne(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 2)
	group := startRaftGroup(t, addrOf(topo.Master), time.Second, 2)
	var recs []*eventRecorder
	for _, s := range group {
		waitSettled(t, s.addr(), 2, 2)
		recs = append(recs, recordEvents(t, s.addr()))
	}
	oneLeader := func() bool { return oneRaftLeader(group) }
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, oneLeader, "one raft leader, mymaster applied on every node")
	masterAddr := topo.Master.Addr()

	for _, s := range group {
		term := s.sup.RaftStatus().Term
		s.stop()
		s.start()
		// The log comes back from the data directory; hashicorp/raft applies
		// it once a leader confirms the commit index.
		datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
			return s.sup.raft.node.State().Masters["mymaster"].Addr == masterAddr
		}, "%s should apply mymaster again after its restart", s.id)
		datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, oneLeader, "a raft leader after restarting %s", s.id)
		if st := s.sup.RaftStatus(); st.Term < term {
			t.Fatalf("%s: term went back from %d to %d", s.id, term, st.Term)
		}
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
		datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
			a, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
			return err == nil && a[0]+":"+a[1] == masterAddr
		}, "%s should answer the master after its restart", s.id)
		sc.Close()
		waitSettled(t, s.addr(), 2, 2)
	}
	for i, r := range recs {
		for _, ch := range []string{"+try-failover", "+switch-master", "+odown", "-raft-hello-ignored"} {
			if n := r.count(ch); n != 0 {
				t.Errorf("%s published %s %d times during the restarts", group[i].id, ch, n)
			}
		}
	}
	info, err := topo.Master.Client().Info(ctx, "replication").Result()
	if err != nil || datanodetest.InfoValue(info, "role") != "master" {
		t.Fatalf("the master is no longer master: %v %q", err, datanodetest.InfoValue(info, "role"))
	}
}

// TestRaftMinorityNeverPromotes: with quorum 1 a lone sentinel holds a dead
// master ODOWN by itself, but cut off from the raft majority it gets no
// lease, so it promotes nothing and keeps answering the old master. When
// the majority comes back, the group fails over exactly once.
func TestRaftMinorityNeverPromotes(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 2)
	group := startRaftGroup(t, addrOf(topo.Master), time.Second, 1)
	for _, s := range group {
		waitSettled(t, s.addr(), 2, 2)
	}
	lone := group[0]
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
		_, ok := lone.sup.raft.node.State().Masters["mymaster"]
		return ok
	}, "mymaster applied on %s", lone.id)
	group[1].stop()
	group[2].stop()
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		return !lone.sup.raft.node.IsLeader()
	}, "%s should not lead without a majority", lone.id)
	rec := recordEvents(t, lone.addr())

	old := topo.Master
	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	oldPrefix := "master mymaster " + strings.Replace(old.Addr(), ":", " ", 1)
	datanodetest.Eventually(t, 15*time.Second, 10*time.Millisecond, func() bool {
		_, ok := rec.firstPrefix("+odown", oldPrefix)
		return ok
	}, "%s should hold the master ODOWN alone (quorum 1)", lone.id)
	// ODOWN is where vote mode would start at once; watch a while longer
	// than its whole failover takes.
	sc := redis.NewSentinelClient(&redis.Options{Addr: lone.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { sc.Close() })
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, ch := range []string{"+try-failover", "+promoted-slave", "+switch-master"} {
			if n := rec.count(ch); n != 0 {
				t.Fatalf("the minority published %s", ch)
			}
		}
		// Cut off from the raft majority, it cannot vouch for any master:
		// null, as for an unknown one, so clients ask the next sentinel.
		if a, err := sc.GetMasterAddrByName(ctx, "mymaster").Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("the minority answers %v (%v), want null", a, err)
		}
		for _, r := range topo.Replicas {
			info, err := r.Client().Info(ctx, "replication").Result()
			if err == nil && datanodetest.InfoValue(info, "role") == "master" {
				t.Fatalf("replica %s was promoted by a minority", r.Addr())
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}

	// The majority is back: one failover.
	group[1].start()
	group[2].start()
	datanodetest.Eventually(t, 30*time.Second, 20*time.Millisecond, func() bool {
		_, ok := rec.first("+switch-master", "mymaster "+strings.Replace(old.Addr(), ":", " ", 1)+" ")
		return ok
	}, "the group should fail over once a majority is back")
	if masters := replicasAsMaster(ctx, topo.Replicas); masters != 1 {
		t.Fatalf("%d replicas report role:master, want 1", masters)
	}
}

// TestRaftMembershipOverHTTP adds a fourth sentinel to a running raft
// group through the leader's /raft/members, then removes one of the
// originals: the newcomer applies the agreed master, followers refuse
// changes with the leader's name, and the healthy master is never failed
// over.
func TestRaftMembershipOverHTTP(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 1)
	group := startRaftGroup(t, addrOf(topo.Master), time.Second, 2)
	var leader *raftSentinel
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
		leader = nil
		for _, s := range group {
			if s.sup.raft.node.IsLeader() {
				leader = s
			}
		}
		return leader != nil && leader.sup.raft.node.State().Masters["mymaster"].Addr != ""
	}, "a raft leader that knows mymaster")
	var follower *raftSentinel

	raftAddr := fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t))
	var peers strings.Builder
	for _, s := range group {
		fmt.Fprintf(&peers, "    - {id: %s, address: %q}\n", s.id, s.sup.cfg.Election.AdvertiseAddr())
	}
	fmt.Fprintf(&peers, "    - {id: s4, address: %q}\n", raftAddr)
	s4 := &raftSentinel{t: t, id: "s4", port: datanodetest.FreePort(t)}
	s4.yaml = raftYAML(t, "s4", s4.port, raftAddr, peers.String(), false, addrOf(topo.Master), 2, time.Second)
	s4.start()
	t.Cleanup(s4.stop)
	rec := recordEvents(t, s4.addr())

	body := fmt.Sprintf(`{"id": "s4", "address": %q}`, raftAddr)
	// A follower refuses and names the leader. Leadership may move on a
	// loaded machine (every call meant for the leader goes to whichever
	// node leads then): a refusal naming another node is asked again.
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
		leader, follower = nil, nil
		for _, s := range group {
			if s.sup.raft.node.IsLeader() {
				leader = s
			} else if follower == nil {
				follower = s
			}
		}
		if leader == nil || follower == nil {
			return false
		}
		code, text := raftHTTP(t, follower, http.MethodPost, "/raft/members", body)
		if code == http.StatusNoContent && !follower.sup.raft.node.IsLeader() {
			t.Fatalf("POST to follower %s was accepted", follower.id)
		}
		return code == http.StatusConflict && strings.Contains(text, leader.id)
	}, "a follower should refuse POST /raft/members and name the leader")
	if code, text := raftHTTP(t, leader, http.MethodPost, "/raft/members", `{"id": "s4", "address": "db:1"}`); code != http.StatusBadRequest {
		t.Fatalf("POST with a host name: %d %s", code, text)
	}
	if code, text, _ := raftLeaderHTTP(t, group, http.MethodPost, "/raft/snapshot", ""); code != http.StatusNoContent {
		t.Fatalf("POST /raft/snapshot: %d %s", code, text)
	}
	// The newcomer may get the snapshot instead of the log.
	if code, text, _ := raftLeaderHTTP(t, group, http.MethodPost, "/raft/members", body); code != http.StatusNoContent {
		t.Fatalf("POST to the leader: %d %s", code, text)
	}
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
		return s4.sup.raft.node.State().Masters["mymaster"].Addr == topo.Master.Addr() && s4.sup.RaftStatus().Voters == 4
	}, "s4 should apply the agreed master as a fourth voter")

	// Remove one of the first three (the leader itself, if it is the one
	// picked: it steps down once the change commits).
	if code, text, _ := raftLeaderHTTP(t, append(append([]*raftSentinel{}, group...), s4), http.MethodDelete, "/raft/members/"+follower.id, ""); code != http.StatusNoContent {
		t.Fatalf("DELETE %s: %d %s", follower.id, code, text)
	}
	follower.stop()
	var members raftMembersReply
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		code, text := raftHTTP(t, s4, http.MethodGet, "/raft/members", "")
		return code == http.StatusOK && json.Unmarshal([]byte(text), &members) == nil && len(members.Members) == 3
	}, "three voters after the removal")
	for _, m := range members.Members {
		if m.ID == follower.id {
			t.Fatalf("removed %s still listed: %+v", follower.id, members)
		}
	}
	sc := redis.NewSentinelClient(&redis.Options{Addr: s4.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { sc.Close() })
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		a, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
		return err == nil && a[0]+":"+a[1] == topo.Master.Addr()
	}, "s4 should answer the master")
	for _, ch := range []string{"+try-failover", "+switch-master", "+odown"} {
		if n := rec.count(ch); n != 0 {
			t.Errorf("s4 published %s %d times", ch, n)
		}
	}
}

// raftHTTP sends one request to a sentinel's metrics listener.
func raftHTTP(t *testing.T, s *raftSentinel, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://"+s.sup.cfg.Sentinel.MetricsAddr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// raftTakeoverTTL is the failover_timeout, so the lease TTL, of
// TestRaftLeaderStoppedMidFailover: long enough that a new leader waiting
// for its predecessor's lease to expire would miss raftTakeoverWithin.
const (
	raftTakeoverTTL    = 60 * time.Second
	raftTakeoverWithin = 20 * time.Second
)

// TestRaftLeaderStoppedMidFailover: three of our sentinels as processes,
// failover_timeout 60 s (the lease's TTL), the master SIGKILLed. The raft
// leader is frozen (SIGSTOP) the moment it publishes
// +failover-state-wait-promotion — REPLICAOF NO ONE issued, its switch not
// proposed yet — and SIGKILLed once a replica reports role:master (after
// 1 s if none does: the command never left). The next leader takes the
// unexpired lease over in its own term (ADR 0003 rule 1) instead of
// waiting the TTL, reads the roles afresh (+raft-predecessor) and
// finishes that promotion: both survivors name one new master well before
// the TTL, and exactly one data node reports role:master.
func TestRaftLeaderStoppedMidFailover(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	bin := buildBinary(t)
	topo := datanodetest.StartTopology(t, 2)
	procs := raftProcsWithTimeout(t, bin, addrOf(topo.Master), raftTakeoverTTL)
	recs := map[*raftProc]*eventRecorder{}
	for _, p := range procs {
		waitSettled(t, p.addr(), 2, 2)
		recs[p] = recordEvents(t, p.addr())
	}
	var leader *raftProc
	datanodetest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() bool {
		leader = nil
		for _, p := range procs {
			st := p.raftStatus()
			if st == nil || st.Masters["mymaster"] == "" || (st.State == "Leader" && leader != nil) {
				return false
			}
			if st.State == "Leader" {
				leader = p
			}
		}
		return leader != nil
	}, "one raft leader, mymaster applied everywhere")
	var rest []*raftProc
	for _, p := range procs {
		if p != leader {
			rest = append(rest, p)
		}
	}

	old := topo.Master.Addr()
	if err := topo.Master.Kill(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 30*time.Second, time.Millisecond, func() bool {
		_, ok := recs[leader].first("+failover-state-wait-promotion", "")
		return ok
	}, "the leader %s should send REPLICAOF NO ONE", leader.id)
	if err := leader.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	oldEpoch := recs[leader].lastEpoch()
	promoted := promotedReplica(ctx, topo.Replicas, time.Second)
	leader.kill()
	killedAt := time.Now()
	t.Logf("SIGKILLed the raft leader %s (failover epoch %d) after REPLICAOF NO ONE; promoted replica: %q", leader.id, oldEpoch, promoted)

	var agreed string
	datanodetest.Eventually(t, raftTakeoverWithin, 20*time.Millisecond, func() bool {
		agreed = rest[0].masterAddr()
		if agreed == "" || agreed == old || rest[1].masterAddr() != agreed {
			return false
		}
		for _, p := range rest {
			if _, ok := recs[p].first("+switch-master", "mymaster"); !ok {
				return false
			}
		}
		return true
	}, "the two survivors should name one new master within %v (the lease TTL is %v)", raftTakeoverWithin, raftTakeoverTTL)
	for _, p := range rest {
		e, _ := recs[p].first("+switch-master", "mymaster")
		t.Logf("%s: +switch-master %v after the SIGKILL", p.id, e.at.Sub(killedAt).Round(time.Millisecond))
	}
	if promoted != "" && agreed != promoted {
		t.Fatalf("the survivors name %s, but the old leader had promoted %s", agreed, promoted)
	}
	if n := replicasAsMaster(ctx, topo.Replicas); n != 1 {
		t.Fatalf("%d replicas report role:master, want 1", n)
	}
	st := rest[0].raftStatus()
	if st == nil {
		t.Fatal("no raft status from a survivor")
	}
	epoch := raftStatusEpoch(t, st.Masters["mymaster"])
	if epoch == oldEpoch {
		// Frozen after its switch committed: nothing was left to take over.
		t.Logf("the old leader's switch (epoch %d) committed before it was frozen: no takeover to check", epoch)
		return
	}
	var pred bool
	for _, p := range rest {
		if e, ok := recs[p].first("+raft-predecessor", leader.id); ok {
			pred = true
			t.Logf("%s: +raft-predecessor %v after the SIGKILL: %s", p.id, e.at.Sub(killedAt).Round(time.Millisecond), e.payload)
		}
	}
	if !pred {
		t.Fatalf("no survivor published +raft-predecessor naming %s (switch at epoch %d, the old lease's %d)", leader.id, epoch, oldEpoch)
	}
}

// raftProcsWithTimeout is raftProcGroup (quorum 2) with failover_timeout
// set to timeout.
func raftProcsWithTimeout(t *testing.T, bin string, master monitor.Addr, timeout time.Duration) []*raftProc {
	t.Helper()
	var peers strings.Builder
	ids := []string{"s1", "s2", "s3"}
	raftAddrs := make([]string, len(ids))
	for i, id := range ids {
		raftAddrs[i] = fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t))
		fmt.Fprintf(&peers, "    - {id: %s, address: %q}\n", id, raftAddrs[i])
	}
	var procs []*raftProc
	for i, id := range ids {
		port := datanodetest.FreePort(t)
		y := raftYAML(t, id, port, raftAddrs[i], peers.String(), true, master, 2, time.Second)
		b, err := os.ReadFile(y)
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.Replace(string(b), "failover_timeout: 10s", "failover_timeout: "+timeout.String(), 1))
		if err := os.WriteFile(y, b, 0o644); err != nil {
			t.Fatal(err)
		}
		p := newRaftProc(t, bin, id, y, port)
		p.start()
		procs = append(procs, p)
	}
	return procs
}

// promotedReplica waits up to within for a replica that reports
// role:master and returns its address ("" when none does).
func promotedReplica(ctx context.Context, replicas []*datanodetest.Process, within time.Duration) string {
	deadline := time.Now().Add(within)
	for {
		for _, r := range replicas {
			info, err := r.Client().Info(ctx, "replication").Result()
			if err == nil && datanodetest.InfoValue(info, "role") == "master" {
				return r.Addr()
			}
		}
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lastEpoch is the epoch of the last +new-epoch event (0 when none).
func (r *eventRecorder) lastEpoch() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var epoch uint64
	for _, e := range r.events {
		if e.channel == "+new-epoch" {
			if n, err := strconv.ParseUint(e.payload, 10, 64); err == nil {
				epoch = n
			}
		}
	}
	return epoch
}

// raftStatusEpoch reads the epoch out of a /status master entry
// ("host:port epoch N").
func raftStatusEpoch(t *testing.T, entry string) uint64 {
	t.Helper()
	_, num, ok := strings.Cut(entry, " epoch ")
	n, err := strconv.ParseUint(num, 10, 64)
	if !ok || err != nil {
		t.Fatalf("raft status master entry %q: want \"host:port epoch N\"", entry)
	}
	return n
}
