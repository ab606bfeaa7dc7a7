package supervisor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// buildBinary compiles cmd/sentinel once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sentinel")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "../../cmd/sentinel")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestE2E_SentinelKilledMidFailoverKeepsItsVote: a sentinel SIGKILLed right
// after voting in an election comes back with the epoch and the vote on
// disk, and refuses to vote for anyone else in that epoch.
func TestE2E_SentinelKilledMidFailoverKeepsItsVote(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	bin := buildBinary(t)
	// Replicas that may never be promoted: the election happens, the
	// failover then aborts, and the master keeps its address.
	topo, err := datanodetest.LaunchTopology(ctx, datanodetest.TopologyOptions{Replicas: 2, RedisArgs: []string{"--replica-priority", "0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { topo.Close() })
	master := addrOf(topo.Master)
	startOurs(t, master, 2, time.Second, "")
	startOurs(t, master, 2, time.Second, "")

	// The third sentinel is a real process we can SIGKILL.
	dir := t.TempDir()
	port := datanodetest.FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor mymaster %s %d 2\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 10000\n",
		port, master.Host, master.Port)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, conf)
		logf, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			logf.Close()
			if t.Failed() {
				b, _ := os.ReadFile(filepath.Join(dir, "log"))
				t.Logf("killed sentinel's log:\n%s", b)
			}
		})
		return cmd
	}
	proc := start()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitSettled(t, addr, 2, 2)
	sc := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer sc.Close()

	ps := sc.Subscribe(ctx, "+vote-for-leader")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := topo.Master.Kill(); err != nil {
		t.Fatal(err)
	}
	var leader, epoch string
	select {
	case m := <-ps.Channel():
		f := strings.Fields(m.Payload)
		leader, epoch = f[0], f[1]
	case <-time.After(20 * time.Second):
		t.Fatal("the process sentinel never voted")
	}
	// The vote is on disk before it is published: kill at once.
	if err := proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()

	// The state file, with the vote journal beside it (votejournal.go),
	// holds the epoch and the vote's epoch: what a restart reads.
	saved, err := configs.LoadConf(conf)
	if err != nil {
		t.Fatal(err)
	}
	votes, err := readVoteJournal(conf)
	if err != nil {
		t.Fatal(err)
	}
	applyVotes(saved, votes)
	voteEpoch, _ := strconv.ParseUint(epoch, 10, 64)
	if m := saved.Master("mymaster"); m == nil || m.LeaderEpoch < voteEpoch || saved.Sentinel.CurrentEpoch < voteEpoch {
		t.Fatalf("after the kill the state file and its journal (%d votes) have current-epoch %d, vote %+v; the vote was in epoch %s", len(votes), saved.Sentinel.CurrentEpoch, m, epoch)
	}

	start()
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		return sc.Ping(ctx).Err() == nil
	}, "the restarted sentinel should answer")
	// Another candidate asks for a vote in the same epoch: refused, and the
	// reply names the leader voted for before the kill.
	intruder := strings.Repeat("f", 40)
	cmd := redis.NewSliceCmd(ctx, "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", master.Host, fmt.Sprint(master.Port), epoch, intruder)
	if err := sc.Process(ctx, cmd); err != nil {
		t.Fatalf("is-master-down-by-addr: %v", err)
	}
	reply := cmd.Val()
	// sentinel.conf keeps the vote's epoch, not whom it went to (exactly as
	// Redis), so the reply may name "*" — but never the intruder. The other
	// sentinels may already have started a newer epoch (the candidate was
	// killed) and the restarted one voted in it: then the reply names that
	// newer vote, which is just as much a refusal.
	if len(reply) != 3 || fmt.Sprint(reply[1]) == intruder {
		t.Fatalf("after restart the vote in epoch %s is %v; want no new vote (leader %s or *)", epoch, reply, leader)
	}
	wantEpoch, _ := strconv.ParseUint(epoch, 10, 64)
	gotEpoch, _ := strconv.ParseUint(fmt.Sprint(reply[2]), 10, 64)
	sameEpoch := gotEpoch == wantEpoch && (fmt.Sprint(reply[1]) == "*" || fmt.Sprint(reply[1]) == leader)
	if !sameEpoch && gotEpoch <= wantEpoch {
		t.Fatalf("after restart the vote in epoch %s is %v; want no new vote (leader %s or *, or a vote in a later epoch)", epoch, reply, leader)
	}
	if ok, _ := regexp.MatchString(`^[0-9a-f]{40}$`, leader); !ok {
		t.Fatalf("leader %q is not a run id", leader)
	}
}
