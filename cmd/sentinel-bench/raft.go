package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// raftGroup is the raft-mode configuration of our three sentinels: their
// node ids and raft transport addresses on loopback, picked before the
// sentinels start so every YAML file can list every peer.
type raftGroup struct {
	ids   []string
	addrs []string
}

// newRaftGroup picks n free loopback ports for the raft transports.
func newRaftGroup(n int) (raftGroup, error) {
	var g raftGroup
	for i := range n {
		port, err := datanodetest.PickFreePort()
		if err != nil {
			return g, fmt.Errorf("sentinel-bench: raft port: %w", err)
		}
		g.ids = append(g.ids, fmt.Sprintf("s%d", i+1))
		g.addrs = append(g.addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	return g, nil
}

// yaml is the i-th sentinel's configuration: the same master settings as
// the sentinel.conf of vote mode, plus an election block whose data_dir
// (relative to the YAML file) lies in the sentinel's own trial directory.
// The client port comes from --port on the command line.
func (g raftGroup) yaml(i int, cfg trialConfig, masterAddr string) string {
	var peers strings.Builder
	for j := range g.ids {
		fmt.Fprintf(&peers, "    - {id: %s, address: %q}\n", g.ids[j], g.addrs[j])
	}
	return fmt.Sprintf(`sentinel:
  bind: [127.0.0.1]
election:
  mode: raft
  node_id: %s
  bind: %q
  peers:
%s  data_dir: raft
  bootstrap: true
masters:
  - name: %s
    address: %q
    quorum: 2
    down_after: %s
    failover_timeout: %s
    parallel_syncs: 1
`, g.ids[i], g.addrs[i], peers.String(), cfg.masterName, masterAddr, cfg.downAfter, cfg.failoverTimeout)
}

// waitRaftReady waits until every sentinel's INFO names the same raft
// leader and applies the master's configuration (GET-MASTER-ADDR-BY-NAME
// answers only then): raft mode's part of "the sentinels settled".
func waitRaftReady(ctx context.Context, cluster *datanodetest.Cluster, timeout time.Duration) error {
	var last string
	err := datanodetest.Poll(ctx, timeout, 20*time.Millisecond, func() bool {
		leader := ""
		for _, s := range cluster.Sentinels {
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			info, err := s.Client().Info(qctx, "sentinel").Result()
			cancel()
			if err != nil {
				last = fmt.Sprintf("%s: %v", s.Addr(), err)
				return false
			}
			l := infoField(info, "sentinel_raft_leader")
			if l == "" || leader != "" && l != leader {
				last = fmt.Sprintf("%s: raft leader %q", s.Addr(), l)
				return false
			}
			leader = l
		}
		if cluster.AgreedMaster(ctx) == "" {
			last = fmt.Sprintf("master addresses %v", cluster.MasterAddrs(ctx))
			return false
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("sentinel-bench: raft group not ready (last: %s): %w", last, err)
	}
	return nil
}

// infoField returns the value of "name:value" in an INFO reply, or "".
func infoField(info, name string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), name+":"); ok {
			return v
		}
	}
	return ""
}
