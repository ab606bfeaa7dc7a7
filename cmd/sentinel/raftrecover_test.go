package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRaftRecoverRefusals: raft-recover checks its arguments before it
// touches a data directory: a vote-mode file, a voter set without this
// node or at another address, and a directory without raft state.
func TestRaftRecoverRefusals(t *testing.T) {
	raftYAML := writeFile(t, "s.yaml", `election:
  mode: raft
  node_id: s1
  bind: 127.0.0.1:7001
  peers:
    - {id: s1, address: 127.0.0.1:7001}
    - {id: s2, address: 127.0.0.1:7002}
  data_dir: raft
masters:
  - name: m
    address: 127.0.0.1:6379
    quorum: 1
`)
	voteYAML := writeFile(t, "v.yaml", "masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 1\n")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"--config", raftYAML}, 2, "usage"},
		{[]string{"--config", voteYAML, "--peers", "s1=127.0.0.1:7001"}, 1, "not in raft mode"},
		{[]string{"--config", raftYAML, "--peers", "s2=127.0.0.1:7002"}, 2, "must list this node"},
		{[]string{"--config", raftYAML, "--peers", "s1=127.0.0.1:7009"}, 2, "advertises 127.0.0.1:7001"},
		{[]string{"--config", raftYAML, "--peers", "s1=db:7001"}, 2, "must be an IP address"},
		{[]string{"--config", raftYAML, "--peers", "s1"}, 2, "want id=ip:port"},
		{[]string{"--config", raftYAML, "--peers", "s1=127.0.0.1:7001"}, 1, "holds no raft state"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := raftRecover(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(strings.ToLower(errb.String()), strings.ToLower(tc.want)) {
			t.Errorf("raft-recover %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
