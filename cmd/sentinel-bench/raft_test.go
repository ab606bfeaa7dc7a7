package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/configs"
)

// TestRaftGroupYAML: every node's YAML loads with the configs package as
// the binary loads it, in raft mode, with its own id and all three peers,
// and the master settings of the trial.
func TestRaftGroupYAML(t *testing.T) {
	g := raftGroup{ids: []string{"s1", "s2", "s3"}, addrs: []string{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"}}
	cfg := trialConfig{masterName: "mymaster", downAfter: time.Second, failoverTimeout: 10 * time.Second}
	for i := range g.ids {
		path := filepath.Join(t.TempDir(), "sentinel.yaml")
		if err := os.WriteFile(path, []byte(g.yaml(i, cfg, "127.0.0.1:6379")), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := configs.LoadFile(path)
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		e := c.Election
		if e.Mode != "raft" || e.NodeID != g.ids[i] || len(e.Peers) != 3 || !e.Bootstrap {
			t.Errorf("node %d: election %+v", i, e)
		}
		if len(c.Masters) != 1 || c.Masters[0].Name != "mymaster" || c.Masters[0].Quorum != 2 {
			t.Errorf("node %d: masters %+v", i, c.Masters)
		}
	}
}

func TestInfoField(t *testing.T) {
	info := "# Sentinel\r\nsentinel_raft_state:leader\r\nsentinel_raft_leader:s2\r\n"
	if got := infoField(info, "sentinel_raft_leader"); got != "s2" {
		t.Errorf("leader = %q", got)
	}
	if got := infoField(info, "sentinel_raft_term"); got != "" {
		t.Errorf("missing field = %q", got)
	}
}
