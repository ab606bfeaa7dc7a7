package supervisor

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// testLogger logs at info level to t.Log, each line prefixed.
func testLogger(t testing.TB, prefix string) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t, prefix}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// runInBackground starts sup.Run on its own goroutine; the caller owns it
// through the returned cancel and waits on done (see waitStopped).
func runInBackground(sup *Supervisor) (context.CancelFunc, chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	return cancel, done
}

// waitStopped waits up to within for Run to return on done, reporting
// (not failing fast) an error or a sentinel that does not stop.
func waitStopped(t testing.TB, name string, done <-chan error, within time.Duration) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	case <-time.After(within):
		t.Errorf("%s did not stop within %v", name, within)
	}
}

// oneRaftLeader reports whether the group has exactly one raft leader and
// mymaster is applied on every node.
func oneRaftLeader(group []*raftSentinel) bool {
	leaders := 0
	for _, s := range group {
		if s.sup.raft.node.IsLeader() {
			leaders++
		}
		if _, ok := s.sup.raft.node.State().Masters["mymaster"]; !ok {
			return false
		}
	}
	return leaders == 1
}

// redisTLSArgs are redis-server flags for a TLS port with f's certificate
// and TLS replication.
func redisTLSArgs(f tlstest.Files, port int) []string {
	return []string{"--tls-port", strconv.Itoa(port), "--tls-cert-file", f.Cert, "--tls-key-file", f.Key,
		"--tls-ca-cert-file", f.CA, "--tls-replication", "yes"}
}

// nodeTLSFiles writes a CA and a "node" certificate it issued to a temp dir.
func nodeTLSFiles(t *testing.T) tlstest.Files {
	ca := tlstest.NewCA(t, "ca")
	return tlstest.Write(t, t.TempDir(), "node", ca, ca.Issue(t, "node", tlstest.IssueOptions{}))
}

// replicasAsMaster counts the replicas whose INFO replication says
// role:master (one that does not answer is not counted).
func replicasAsMaster(ctx context.Context, replicas []*datanodetest.Process) int {
	masters := 0
	for _, r := range replicas {
		info, err := r.Client().Info(ctx, "replication").Result()
		if err == nil && datanodetest.InfoValue(info, "role") == "master" {
			masters++
		}
	}
	return masters
}
