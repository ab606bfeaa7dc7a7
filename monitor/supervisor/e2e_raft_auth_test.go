package supervisor

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// TestRaftHTTPChangesNeedCredentials: a one-node raft group whose client
// port has requirepass refuses POST /raft/snapshot and /raft/members
// without credentials (even from loopback), accepts requirepass as user
// default, and accepts an admin user created at run time with ACL SETUSER;
// GET /raft/members stays open like /status.
func TestRaftHTTPChangesNeedCredentials(t *testing.T) {
	requireRedis(t)
	topo := datanodetest.StartTopology(t, 0)
	raftAddr := fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t))
	port := datanodetest.FreePort(t)
	path := raftYAML(t, "s1", port, raftAddr, fmt.Sprintf("    - {id: s1, address: %q}\n", raftAddr), true, addrOf(topo.Master), 1, time.Second)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text = []byte(strings.Replace(string(text), "sentinel:\n", "sentinel:\n  requirepass: rootpw\n", 1))
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	s := &raftSentinel{t: t, id: "s1", yaml: path, port: port}
	s.start()
	t.Cleanup(s.stop)
	datanodetest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() bool {
		_, ok := s.sup.raft.node.State().Masters["mymaster"]
		return s.sup.raft.node.IsLeader() && ok
	}, "s1 leads and has applied mymaster")

	send := func(method, path, body, user, pass string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), method, "http://"+s.sup.cfg.Sentinel.MetricsAddr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if user != "" || pass != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, resp.Header.Get("WWW-Authenticate"))
		return resp.StatusCode, b.String()
	}
	if code, _ := send(http.MethodPost, "/raft/snapshot", "", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("snapshot without credentials: %d", code)
	}
	if code, _ := send(http.MethodPost, "/raft/members", `{"id": "s9", "address": "127.0.0.1:1"}`, "default", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("add member with a wrong password: %d", code)
	}
	if code, _ := send(http.MethodDelete, "/raft/members/s9", "", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("remove member without credentials: %d", code)
	}
	if code, _ := send(http.MethodGet, "/raft/members", "", "", ""); code != http.StatusOK {
		t.Fatalf("GET /raft/members: %d", code)
	}
	if code, _ := send(http.MethodPost, "/raft/snapshot", "", "default", "rootpw"); code != http.StatusNoContent {
		t.Fatalf("snapshot with requirepass: %d", code)
	}

	// Users changed at run time count at once.
	c := redis.NewClient(&redis.Options{Addr: s.addr(), Password: "rootpw", MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	if err := c.Do(t.Context(), "ACL", "SETUSER", "ops", "on", ">opspw", "+@admin").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(t.Context(), "ACL", "SETUSER", "app", "on", ">apppw", "+@read").Err(); err != nil {
		t.Fatal(err)
	}
	// Past the guard; raft may answer that there is nothing new to snapshot.
	if code, _ := send(http.MethodPost, "/raft/snapshot", "", "ops", "opspw"); code == http.StatusUnauthorized || code == http.StatusForbidden {
		t.Fatalf("snapshot as an admin ACL user: %d", code)
	}
	if code, _ := send(http.MethodPost, "/raft/snapshot", "", "app", "apppw"); code != http.StatusForbidden {
		t.Fatalf("snapshot as a read-only ACL user: %d", code)
	}
}
