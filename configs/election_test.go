package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const raftBase = `
election:
  mode: raft
  node_id: s1
  bind: 127.0.0.1:7001
  peers:
    - {id: s1, address: 127.0.0.1:7001}
    - {id: s2, address: 127.0.0.1:7002}
    - {id: s3, address: 127.0.0.1:7003}
  data_dir: raft
masters:
  - {name: m, address: 127.0.0.1:6379, quorum: 2}
`

// TestRaftElectionValidation: every rule of the election block, each
// reported with its field path.
func TestRaftElectionValidation(t *testing.T) {
	tests := []struct {
		name    string
		replace [2]string // in raftBase
		want    string    // "" for valid
	}{
		{"valid", [2]string{}, ""},
		{"mode vote explicit, no other field", [2]string{"mode: raft\n  node_id: s1\n  bind: 127.0.0.1:7001\n  peers:\n    - {id: s1, address: 127.0.0.1:7001}\n    - {id: s2, address: 127.0.0.1:7002}\n    - {id: s3, address: 127.0.0.1:7003}\n  data_dir: raft", "mode: vote"}, ""},
		{"bad mode", [2]string{"mode: raft", "mode: paxos"}, `election.mode: must be vote or raft, got "paxos"`},
		{"vote with raft fields", [2]string{"mode: raft", "mode: vote"}, "election.node_id: is used only with mode: raft"},
		{"empty node id", [2]string{"node_id: s1", "node_id: ''"}, `election.node_id: must be 1-64`},
		{"node id with space", [2]string{"node_id: s1", "node_id: 's 1'"}, `election.node_id: must be 1-64`},
		{"missing bind", [2]string{"bind: 127.0.0.1:7001", "bind: ''"}, "election.bind: is required"},
		{"bind without port", [2]string{"bind: 127.0.0.1:7001", "bind: 127.0.0.1"}, "election.bind: must be ip:port"},
		{"bind port 0", [2]string{"bind: 127.0.0.1:7001", "bind: 127.0.0.1:0"}, "election.bind: \"127.0.0.1:0\": port"},
		{"bind host name", [2]string{"bind: 127.0.0.1:7001", "bind: localhost:7001"}, "election.bind: \"localhost:7001\": host must be an IP"},
		{"wildcard bind needs advertise", [2]string{"bind: 127.0.0.1:7001", "bind: 0.0.0.0:7001"}, "election.advertise: is required when bind listens on every address"},
		{"empty-host bind needs advertise", [2]string{"bind: 127.0.0.1:7001", "bind: ':7001'"}, "election.advertise: is required"},
		{"wildcard bind with advertise", [2]string{"bind: 127.0.0.1:7001", "bind: 0.0.0.0:7001\n  advertise: 127.0.0.1:7001"}, ""},
		{"advertise unspecified", [2]string{"bind: 127.0.0.1:7001", "bind: 0.0.0.0:7001\n  advertise: 0.0.0.0:7001"}, "election.advertise: must be an address peers can dial"},
		{"advertise differs from own peer entry", [2]string{"bind: 127.0.0.1:7001", "bind: 127.0.0.1:7001\n  advertise: 127.0.0.2:7001"}, `election.peers[0].address: this node (s1) advertises "127.0.0.2:7001"`},
		{"missing data dir", [2]string{"data_dir: raft", ""}, "election.data_dir: is required"},
		{"no peers", [2]string{"peers:\n    - {id: s1, address: 127.0.0.1:7001}\n    - {id: s2, address: 127.0.0.1:7002}\n    - {id: s3, address: 127.0.0.1:7003}", "peers: []"}, "election.peers: must list every voter"},
		{"self not listed", [2]string{"node_id: s1", "node_id: s9"}, `election.peers: must list this node (node_id "s9")`},
		{"duplicate id", [2]string{"id: s3", "id: s2"}, `election.peers[2].id: "s2" is already peers[1]`},
		{"duplicate address", [2]string{"127.0.0.1:7003", "127.0.0.1:7002"}, `election.peers[2].address: "127.0.0.1:7002" is already the address of peers[1]`},
		{"peer host name", [2]string{"127.0.0.1:7003", "db3:7003"}, `election.peers[2].address: "db3:7003": host must be an IP`},
		{"peer zone", [2]string{"127.0.0.1:7003", "'[fe80::1%eth0]:7003'"}, `election.peers[2].address: "[fe80::1%eth0]:7003": host must be an IP address without a zone`},
		{"peer without address", [2]string{", address: 127.0.0.1:7003", ""}, `election.peers[2].address: must be ip:port, got ""`},
		{"peer port out of range", [2]string{"127.0.0.1:7003", "127.0.0.1:70000"}, `election.peers[2].address: "127.0.0.1:70000": port`},
		{"unknown field", [2]string{"data_dir: raft", "data_dir: raft\n  heartbeat: 1s"}, "election.heartbeat: field heartbeat not found"},
		{"ipv6", [2]string{"bind: 127.0.0.1:7001", "bind: '[::1]:7001'"}, `election.peers[0].address: this node (s1) advertises "[::1]:7001"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := raftBase
			if tc.replace[0] != "" {
				if !strings.Contains(doc, tc.replace[0]) {
					t.Fatalf("base lacks %q", tc.replace[0])
				}
				doc = strings.Replace(doc, tc.replace[0], tc.replace[1], 1)
			}
			cfg, err := Load([]byte(doc))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load: %v\n%s", err, doc)
				}
				assertYAMLRoundTrip(t, cfg)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRaftElectionDefaultsAndPaths(t *testing.T) {
	cfg, err := Load([]byte("masters:\n  - {name: m, address: 127.0.0.1:6379, quorum: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Election.Raft() || cfg.Election.Mode != "" {
		t.Fatalf("default election = %+v, want vote mode", cfg.Election)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte(raftBase), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Election.Raft() || cfg.Election.DataDir != filepath.Join(dir, "raft") {
		t.Fatalf("election = %+v, want raft with data_dir resolved against %s", cfg.Election, dir)
	}
	if cfg.Election.AdvertiseAddr() != "127.0.0.1:7001" {
		t.Fatalf("AdvertiseAddr = %q", cfg.Election.AdvertiseAddr())
	}
	clone := cfg.Clone()
	clone.Election.Peers[0].ID = "changed"
	if cfg.Election.Peers[0].ID != "s1" {
		t.Fatal("Clone shares the peer list")
	}
}

// TestRaftModeFromConfIsAnError: sentinel.conf has no election directives,
// and a Config that came from one cannot select raft mode.
func TestRaftModeFromConfIsAnError(t *testing.T) {
	cfg, err := ParseConf([]byte("sentinel monitor m 127.0.0.1 6379 1\n"), "sentinel.conf")
	if err != nil {
		t.Fatal(err)
	}
	yamlCfg, err := Load([]byte(raftBase))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Election = yamlCfg.Election.Clone()
	err = cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "election.mode: raft mode needs a YAML configuration") {
		t.Fatalf("Validate of a sentinel.conf config in raft mode = %v", err)
	}
}

func TestRaftExampleLoads(t *testing.T) {
	cfg, err := LoadFile("sentinel.raft.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Election.Raft() || len(cfg.Election.Peers) != 3 || !cfg.Election.Bootstrap {
		t.Errorf("unexpected raft example election: %+v", cfg.Election)
	}
}

func TestRaftCheckMember(t *testing.T) {
	for _, tc := range []struct {
		id, addr string
		ok       bool
	}{
		{"s4", "127.0.0.1:7004", true},
		{"s4", "[::1]:7004", true},
		{"", "127.0.0.1:7004", false},
		{"-s4", "127.0.0.1:7004", false},
		{"s4", "db4:7004", false},
		{"s4", "0.0.0.0:7004", false},
		{"s4", "127.0.0.1", false},
		{"s4", "127.0.0.1:0", false},
	} {
		if err := CheckRaftMember(tc.id, tc.addr); (err == nil) != tc.ok {
			t.Errorf("CheckRaftMember(%q, %q) = %v, want ok=%v", tc.id, tc.addr, err, tc.ok)
		}
	}
}
