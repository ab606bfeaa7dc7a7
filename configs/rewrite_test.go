package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	testID  = "0123456789abcdef0123456789abcdef01234567"
	peerID  = "89abcdef0123456789abcdef0123456789abcdef"
	peerID2 = "fedcba9876543210fedcba9876543210fedcba98"
)

func TestRewriteGolden(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(st *State)
	}{
		{"debian", func(st *State) {
			// A first run: an id, an epoch, discovered replicas and a peer.
			st.MyID = testID
			st.CurrentEpoch = 1
			m := &st.Masters[0]
			m.ConfigEpoch = 1
			m.KnownReplicas = []Addr{{"127.0.0.1", 6380}, {"127.0.0.1", 6381}}
			m.KnownSentinels = []KnownSentinel{{Addr: Addr{"127.0.0.1", 26380}, RunID: peerID}}
		}},
		{"edited", func(st *State) {
			// After a failover of "main" to 6380, "old" removed, "new"
			// added with SENTINEL MONITOR, announce-ip unset, a password
			// with a space set with SENTINEL SET.
			st.CurrentEpoch = 5
			var main Master
			for _, m := range st.Masters {
				if m.Name == "main" {
					main = m
				}
			}
			main.Addr = Addr{"127.0.0.1", 6380}
			main.ConfigEpoch, main.LeaderEpoch = 5, 5
			main.KnownReplicas = []Addr{{"127.0.0.1", 6379}, {"127.0.0.1", 6381}}
			main.KnownSentinels = append(main.KnownSentinels, KnownSentinel{Addr: Addr{"127.0.0.1", 26382}, RunID: peerID2})
			main.AuthPass = "new pass"
			added := DefaultMaster()
			added.Name, added.Addr, added.Quorum, added.DownAfter = "new", Addr{"127.0.0.1", 8000}, 2, 2*time.Second
			added.RenameCommands = map[string]string{"CONFIG": "XCONFIG", "AUTH": "XAUTH"}
			st.Masters = []Master{main, added}
			st.Settings.AnnounceIP = ""
			st.Settings.AnnouncePort = 36379
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := filepath.Join("testdata/rewrite", tt.name+".conf")
			old, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := ParseConf(old, in)
			if err != nil {
				t.Fatal(err)
			}
			st := StateOf(cfg)
			tt.mutate(&st)
			got := RewriteConf(old, st)
			golden := filepath.Join("testdata/rewrite", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("missing golden (run with -update): %v", err)
			}
			if string(got) != string(want) {
				t.Errorf("rewrite differs from %s\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
			assertConfHolds(t, got, st)
			// A second rewrite with the same state changes nothing.
			if again := RewriteConf(got, st); string(again) != string(got) {
				t.Errorf("rewrite is not idempotent\n--- first\n%s\n--- second\n%s", got, again)
			}
		})
	}
}

func TestRewriteKeepsOperatorLines(t *testing.T) {
	old, err := os.ReadFile("testdata/rewrite/debian.conf")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConf(old, "debian.conf")
	if err != nil {
		t.Fatal(err)
	}
	out := string(RewriteConf(old, StateOf(cfg)))
	for _, line := range []string{"protected-mode no", "pidfile /run/sentinel/redis-sentinel.pid", "acllog-max-len 128",
		"# sentinel notification-script <master-name> <script-path>", "sentinel down-after-milliseconds mymaster 30000"} {
		if !strings.Contains(out, "\n"+line+"\n") {
			t.Errorf("rewrite lost %q", line)
		}
	}
	if strings.Index(out, "port 26379") > strings.Index(out, "sentinel monitor mymaster") {
		t.Error("rewrite reordered the operator's lines")
	}
}

func TestRewriteEmptyFile(t *testing.T) {
	st := State{MyID: testID, CurrentEpoch: 3, Masters: []Master{func() Master {
		m := DefaultMaster()
		m.Name, m.Addr, m.Quorum = "m", Addr{"127.0.0.1", 6379}, 1
		return m
	}()}}
	out := RewriteConf(nil, st)
	if !strings.HasPrefix(string(out), rewriteSignature+"\n") {
		t.Errorf("new lines must follow the signature:\n%s", out)
	}
	assertConfHolds(t, out, st)
}

// assertConfHolds parses conf and checks it holds st.
func assertConfHolds(t *testing.T, conf []byte, st State) {
	t.Helper()
	cfg, err := ParseConf(conf, "rewritten.conf")
	if err != nil {
		t.Fatalf("rewritten file does not load: %v\n%s", err, conf)
	}
	got := confView(StateOf(cfg))
	want := confView(st)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rewritten file holds\n%+v\nwant\n%+v\n%s", got, want, conf)
	}
	if st.Settings != nil {
		if gs := SettingsOf(cfg.Sentinel); !reflect.DeepEqual(gs, *st.Settings) {
			t.Fatalf("settings = %+v, want %+v", gs, *st.Settings)
		}
	}
}

// confView drops what sentinel.conf does not keep (the leader's run id,
// peers without a run id) and the difference between nil and empty.
func confView(st State) State {
	out := State{MyID: st.MyID, CurrentEpoch: st.CurrentEpoch}
	for _, m := range st.Masters {
		m = m.Clone()
		m.Leader = ""
		m.AuthPassFile = ""
		m.RenameCommands = normMap(m.RenameCommands)
		var peers []KnownSentinel
		for _, k := range m.KnownSentinels {
			if k.RunID != "" {
				peers = append(peers, k)
			}
		}
		m.KnownSentinels = peers
		if len(m.KnownReplicas) == 0 {
			m.KnownReplicas = nil
		}
		// config-epoch lifts current-epoch when loading, as in Redis.
		out.CurrentEpoch = max(out.CurrentEpoch, m.ConfigEpoch)
		out.Masters = append(out.Masters, m)
	}
	return out
}
