package supervisor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// raftProc is one of our sentinels in raft mode as a real process (the
// binary built by buildBinary), so that it can be SIGKILLed by PID.
type raftProc struct {
	t       *testing.T
	bin     string
	id      string
	yaml    string
	port    int
	metrics string // host:port of its metrics listener
	cmd     *exec.Cmd
	exited  chan struct{}
	log     string // path of its stdout+stderr
}

func newRaftProc(t *testing.T, bin, id, yaml string, port int) *raftProc {
	p := &raftProc{t: t, bin: bin, id: id, yaml: yaml, port: port,
		metrics: fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t)),
		log:     filepath.Join(filepath.Dir(yaml), "log")}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("%s's log:\n%s", p.id, lastLines(string(b), 60))
		}
	})
	return p
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// start runs the binary and waits until it answers PING.
func (p *raftProc) start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.bin, "--config", p.yaml, "--metrics-addr", p.metrics)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		p.t.Fatalf("%s: %v", p.id, err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	exited := p.exited
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	c := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	datanodetest.Eventually(p.t, 15*time.Second, 20*time.Millisecond, func() bool {
		select {
		case <-exited:
			p.t.Fatalf("%s exited at start-up", p.id)
		default:
		}
		return c.Ping(p.t.Context()).Err() == nil
	}, "%s should answer PING", p.id)
}

// stop sends SIGTERM to this process (by PID) and waits for it to exit.
func (p *raftProc) stop() {
	p.t.Helper()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.t.Errorf("%s did not stop on SIGTERM within 15 s", p.id)
		p.kill()
	}
	p.cmd = nil
}

// kill SIGKILLs this process (by PID) and waits for it.
func (p *raftProc) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.cmd = nil
}

func (p *raftProc) addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

// raftStatus reads the raft object of its /status; nil when unreachable.
func (p *raftProc) raftStatus() *RaftStatus {
	resp, err := http.Get("http://" + p.metrics + "/status?events=0")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var v struct{ Raft *RaftStatus }
	if json.NewDecoder(resp.Body).Decode(&v) != nil {
		return nil
	}
	return v.Raft
}

// masterAddr is its answer to SENTINEL GET-MASTER-ADDR-BY-NAME mymaster
// ("" for null or an error).
func (p *raftProc) masterAddr() string {
	sc := redis.NewSentinelClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	defer sc.Close()
	a, err := sc.GetMasterAddrByName(p.t.Context(), "mymaster").Result()
	if err != nil {
		return ""
	}
	return a[0] + ":" + a[1]
}

// request sends one HTTP request to its metrics listener.
func (p *raftProc) request(method, path, body string, auth ...string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequestWithContext(p.t.Context(), method, "http://"+p.metrics+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if len(auth) == 2 {
		req.SetBasicAuth(auth[0], auth[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// raftProcGroup writes the YAML files of a three-node raft group and starts
// the three processes.
func raftProcGroup(t *testing.T, bin string, master monitor.Addr, quorum int) (procs []*raftProc, raftAddrs []string) {
	t.Helper()
	var peers strings.Builder
	ids := []string{"s1", "s2", "s3"}
	for _, id := range ids {
		a := fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t))
		raftAddrs = append(raftAddrs, a)
		fmt.Fprintf(&peers, "    - {id: %s, address: %q}\n", id, a)
	}
	for i, id := range ids {
		port := datanodetest.FreePort(t)
		y := raftYAML(t, id, port, raftAddrs[i], peers.String(), true, master, quorum, time.Second)
		p := newRaftProc(t, bin, id, y, port)
		p.start()
		procs = append(procs, p)
	}
	return procs, raftAddrs
}

// TestRaftRecoverFromLostMajority: three of our sentinels (real processes)
// agree on a failover; two are SIGKILLed for good. The survivor cannot
// act; it is stopped, rewritten with "sentinel raft-recover" as a group of
// one, and restarted: it leads, answers the agreed master (not the one in
// its YAML), fails that master over in turn, and a fresh sentinel then
// joins it and receives the agreed state.
func TestRaftRecoverFromLostMajority(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	bin := buildBinary(t)
	topo := datanodetest.StartTopology(t, 2)
	procs, raftAddrs := raftProcGroup(t, bin, addrOf(topo.Master), 2)
	for _, p := range procs {
		waitSettled(t, p.addr(), 2, 2)
	}
	datanodetest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() bool {
		leaders := 0
		for _, p := range procs {
			st := p.raftStatus()
			if st == nil || st.Masters["mymaster"] == "" {
				return false
			}
			if st.State == "Leader" {
				leaders++
			}
		}
		return leaders == 1
	}, "one raft leader, mymaster applied everywhere")

	// An agreed failover first, so the state to keep is not the YAML's.
	oldMaster := topo.Master.Addr()
	if err := topo.Master.Kill(); err != nil {
		t.Fatal(err)
	}
	var agreed string
	datanodetest.Eventually(t, 40*time.Second, 50*time.Millisecond, func() bool {
		agreed = procs[0].masterAddr()
		if agreed == "" || agreed == oldMaster {
			return false
		}
		for _, p := range procs {
			if st := p.raftStatus(); st == nil || st.Masters["mymaster"] != agreed+" epoch 1" {
				return false
			}
		}
		return true
	}, "the group should agree on a new master at epoch 1")
	var promoted, other *datanodetest.Process
	for _, r := range topo.Replicas {
		if r.Addr() == agreed {
			promoted = r
		} else {
			other = r
		}
	}
	if promoted == nil {
		t.Fatalf("agreed master %s is not a replica", agreed)
	}
	if err := datanodetest.WaitReplicaOf(ctx, other, agreed, 20*time.Second); err != nil {
		t.Fatal(err)
	}

	// Two sentinels lost for good.
	survivor := procs[0]
	for _, p := range procs[1:] {
		p.kill()
	}
	t.Logf("SIGKILLed %s and %s", procs[1].id, procs[2].id)
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		st := survivor.raftStatus()
		return st != nil && st.State != "Leader" && survivor.masterAddr() == ""
	}, "the survivor alone neither leads nor vouches for the master")

	// raft-recover refuses to touch a running sentinel's data directory.
	peersFlag := "s1=" + raftAddrs[0]
	out, err := exec.CommandContext(ctx, bin, "raft-recover", "--config", survivor.yaml, "--peers", peersFlag).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("Stop the sentinel first")) {
		t.Fatalf("raft-recover on a running sentinel: %v\n%s", err, out)
	}
	survivor.stop()
	out, err = exec.CommandContext(ctx, bin, "raft-recover", "--config", survivor.yaml, "--peers", peersFlag).CombinedOutput()
	if err != nil {
		t.Fatalf("raft-recover: %v\n%s", err, out)
	}
	t.Logf("raft-recover:\n%s", out)
	if want := fmt.Sprintf("master mymaster at %s, config epoch 1", agreed); !bytes.Contains(out, []byte(want)) {
		t.Fatalf("raft-recover output lacks %q", want)
	}

	survivor.start()
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		st := survivor.raftStatus()
		return st != nil && st.State == "Leader" && st.Voters == 1 && st.Masters["mymaster"] == agreed+" epoch 1"
	}, "the recovered survivor should lead a group of one with the agreed state")
	datanodetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool { return survivor.masterAddr() == agreed },
		"the survivor should answer the agreed master %s", agreed)

	// One sentinel left: the operator lowers the quorum to what it can
	// reach, and the survivor fails the agreed master over by itself.
	sc := redis.NewSentinelClient(&redis.Options{Addr: survivor.addr(), MaxRetries: -1})
	t.Cleanup(func() { sc.Close() })
	if err := sc.Set(ctx, "mymaster", "quorum", "1").Err(); err != nil {
		t.Fatalf("SENTINEL SET quorum 1: %v", err)
	}
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		reps, err := sc.Replicas(ctx, "mymaster").Result()
		for _, r := range reps {
			if r["ip"]+":"+r["port"] == other.Addr() && !strings.Contains(r["flags"], "down") {
				return true
			}
		}
		_ = err
		return false
	}, "the survivor should see %s as a replica", other.Addr())
	if err := promoted.Kill(); err != nil {
		t.Fatal(err)
	}
	// The lease of epoch 1 (failover_timeout, 10 s) may still hold the
	// next epoch off: the failover commits at epoch 2 or later.
	var final string
	datanodetest.Eventually(t, 40*time.Second, 50*time.Millisecond, func() bool {
		st := survivor.raftStatus()
		if st == nil {
			return false
		}
		final = st.Masters["mymaster"]
		return strings.HasPrefix(final, other.Addr()+" epoch ") && final != other.Addr()+" epoch 1" && survivor.masterAddr() == other.Addr()
	}, "the recovered survivor should fail over to %s at a new epoch", other.Addr())
	t.Logf("after recovery: %s", final)
	info, err := other.Client().Info(ctx, "replication").Result()
	if err != nil || datanodetest.InfoValue(info, "role") != "master" {
		t.Fatalf("%s is not master: %v", other.Addr(), err)
	}

	// A fresh sentinel joins: empty data_dir, no bootstrap, added on the
	// leader's /raft/members.
	s4Raft := fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t))
	peers := fmt.Sprintf("    - {id: s1, address: %q}\n    - {id: s4, address: %q}\n", raftAddrs[0], s4Raft)
	s4Port := datanodetest.FreePort(t)
	s4 := newRaftProc(t, bin, "s4", raftYAML(t, "s4", s4Port, s4Raft, peers, false, addrOf(topo.Master), 1, time.Second), s4Port)
	s4.start()
	if code, text := survivor.request(http.MethodPost, "/raft/members", fmt.Sprintf(`{"id": "s4", "address": %q}`, s4Raft)); code != http.StatusNoContent {
		t.Fatalf("POST /raft/members: %d %s", code, text)
	}
	// A group of two needs both for a quorum: on a loaded machine the
	// leader may miss the new member for longer than LeaderLeaseTimeout
	// (250 ms) and step down, and either may win the next election. What
	// is asserted is the agreed state, not who leads: both count two
	// voters, name the same leader (which says so itself), hold the state
	// the survivor had, and answer its master; the survivor's own state
	// never changes (no failover happens through the join).
	var leader string
	datanodetest.Eventually(t, 30*time.Second, 50*time.Millisecond, func() bool {
		s1st, s4st := survivor.raftStatus(), s4.raftStatus()
		if s1st != nil && s1st.Masters["mymaster"] != final {
			t.Fatalf("the survivor's state changed during the join: %q, was %q", s1st.Masters["mymaster"], final)
		}
		if s1st == nil || s4st == nil || s1st.Voters != 2 || s4st.Voters != 2 {
			return false
		}
		if s1st.LeaderID == "" || s1st.LeaderID != s4st.LeaderID || s4st.Masters["mymaster"] != final {
			return false
		}
		byID := map[string]*RaftStatus{"s1": s1st, "s4": s4st}
		if l := byID[s1st.LeaderID]; l == nil || l.State != "Leader" {
			return false
		}
		leader = s1st.LeaderID
		return survivor.masterAddr() == other.Addr() && s4.masterAddr() == other.Addr()
	}, "s4 should join, both agree on one leader and on the state %q, and answer %s", final, other.Addr())
	if leader != "s1" {
		t.Logf("raft leadership moved to %s during the join (the group of two lost contact for over LeaderLeaseTimeout)", leader)
	}
}
