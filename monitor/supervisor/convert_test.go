package supervisor

import (
	"testing"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// TestMasterFromView_DuringFailover: from reconf_slaves on, the state names
// the promoted replica as the master and the old master as a replica, so a
// restart in that window comes back on the right side of the new epoch.
func TestMasterFromView_DuringFailover(t *testing.T) {
	old := monitor.Addr{Host: "10.0.0.1", Port: 6379}
	promoted := monitor.Addr{Host: "10.0.0.2", Port: 6379}
	other := monitor.Addr{Host: "10.0.0.3", Port: 6379}
	v := &monitor.MasterView{
		InstanceView:  monitor.InstanceView{Name: "mymaster", Addr: old},
		CurrentAddr:   promoted,
		ConfigEpoch:   7,
		FailoverState: monitor.FailoverReconfReplicas,
		Replicas: []monitor.ReplicaView{
			{InstanceView: monitor.InstanceView{Addr: promoted}},
			{InstanceView: monitor.InstanceView{Addr: other}},
		},
	}
	m := masterFromView(v)
	if m.Addr != (configs.Addr{Host: "10.0.0.2", Port: 6379}) || m.ConfigEpoch != 7 {
		t.Fatalf("master recorded as %v epoch %d, want the promoted replica at epoch 7", m.Addr, m.ConfigEpoch)
	}
	got := map[configs.Addr]bool{}
	for _, r := range m.KnownReplicas {
		got[r] = true
	}
	if len(got) != 2 || !got[configs.Addr{Host: "10.0.0.1", Port: 6379}] || !got[configs.Addr{Host: "10.0.0.3", Port: 6379}] {
		t.Fatalf("known replicas %v, want the old master and the other replica", m.KnownReplicas)
	}

	// Outside a failover nothing moves.
	v.CurrentAddr, v.FailoverState = old, monitor.FailoverNone
	if m := masterFromView(v); m.Addr != (configs.Addr{Host: "10.0.0.1", Port: 6379}) {
		t.Fatalf("master recorded as %v outside a failover", m.Addr)
	}
}

type captureStore struct{ saved []configs.State }

func (c *captureStore) Save(st configs.State) error { c.saved = append(c.saved, st); return nil }
func (c *captureStore) Path() string                { return "mem" }

// TestPersist_AuthPassFileStaysAFile: a password read from auth_pass_file is
// recorded as the file, not copied into the state; one changed at run time
// (SENTINEL SET auth-pass) is recorded as a value.
func TestPersist_AuthPassFileStaysAFile(t *testing.T) {
	store := &captureStore{}
	p := &storePersister{store: store, passFiles: map[string]passFile{"mymaster": {path: "/etc/sentinel/pass", pass: "s3cret"}}}
	snap := &monitor.Snapshot{Masters: []monitor.MasterView{{InstanceView: monitor.InstanceView{Name: "mymaster", Addr: monitor.Addr{Host: "10.0.0.1", Port: 6379}}, MasterSettings: settings.MasterSettings{AuthPass: "s3cret"}}}}
	if err := p.Persist(snap); err != nil {
		t.Fatal(err)
	}
	if m := store.saved[0].Masters[0]; m.AuthPassFile != "/etc/sentinel/pass" {
		t.Fatalf("state records auth_pass_file %q", m.AuthPassFile)
	}
	snap.Masters[0].AuthPass = "changed"
	if err := p.Persist(snap); err != nil {
		t.Fatal(err)
	}
	if m := store.saved[1].Masters[0]; m.AuthPassFile != "" || m.AuthPass.Reveal() != "changed" {
		t.Fatalf("after SENTINEL SET the state records file %q pass %q", m.AuthPassFile, m.AuthPass.Reveal())
	}
}

// TestCoreConfig_Limits: the YAML discovery limits reach the core, and
// configs' defaults are the core's own.
func TestCoreConfig_Limits(t *testing.T) {
	def := configs.Default()
	if got := coreConfig(def, "", 26379).Limits; got != monitor.DefaultLimits() {
		t.Fatalf("configs defaults give the core %+v, the core's defaults are %+v", got, monitor.DefaultLimits())
	}
	cfg, err := configs.Load([]byte("sentinel:\n  limits:\n    max_replicas_per_master: 3\n    max_sentinels_per_master: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := coreConfig(cfg, "", 26379).Limits; got != (monitor.Limits{MaxReplicas: 3, MaxSentinels: 2}) {
		t.Fatalf("core limits %+v, want 3 replicas and 2 sentinels", got)
	}
}
