package supervisor

import (
	"encoding/json"
	"os"
	"sort"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/monitor"
)

// This file converts between configs' types (what files say) and the
// core's (what the core runs on), so neither package imports the other.

func toAddr(a configs.Addr) monitor.Addr { return monitor.Addr{Host: a.Host, Port: a.Port} }

func fromAddr(a monitor.Addr) configs.Addr { return configs.Addr{Host: a.Host, Port: a.Port} }

// masterConfig turns one configured master into the core's form.
func masterConfig(m configs.Master) monitor.MasterConfig {
	mc := monitor.MasterConfig{
		Name:           m.Name,
		Addr:           toAddr(m.Addr),
		MasterSettings: m.MasterSettings.Clone(),
		ConfigEpoch:    m.ConfigEpoch,
		LeaderEpoch:    m.LeaderEpoch,
		Leader:         m.Leader,
	}
	for _, r := range m.KnownReplicas {
		mc.KnownReplicas = append(mc.KnownReplicas, toAddr(r))
	}
	for _, s := range m.KnownSentinels {
		mc.KnownSentinels = append(mc.KnownSentinels, monitor.KnownSentinel{Addr: toAddr(s.Addr), RunID: s.RunID})
	}
	return mc
}

// coreConfig builds the core's configuration from a loaded file.
func coreConfig(c *configs.Config, myID string, port int) monitor.Config {
	mc := monitor.Config{
		MyID:         myID,
		CurrentEpoch: c.Sentinel.CurrentEpoch,
		Announce:     monitor.Addr{Host: c.Sentinel.AnnounceIP, Port: c.Sentinel.AnnouncePort},
		// Replies, events and outgoing addresses show host names, or the
		// IPs they were reached at (the core keeps the names either way).
		AnnounceHostnames: c.Sentinel.AnnounceHostnames,
		Timers:            monitor.DefaultTimers(),
		Limits: monitor.Limits{
			MaxReplicas:  c.Sentinel.Limits.MaxReplicasPerMaster,
			MaxSentinels: c.Sentinel.Limits.MaxSentinelsPerMaster,
		},
	}
	if mc.Announce.Port == 0 {
		mc.Announce.Port = port
	}
	for _, m := range c.Masters {
		mc.Masters = append(mc.Masters, masterConfig(m))
	}
	return mc
}

// masterFromView turns the core's view of a master back into what the
// state file or the rewritten sentinel.conf records.
//
// During a failover that has reached reconf_slaves the promoted replica is
// recorded as the master and the old master as a replica, as Redis's config
// rewrite does (sentinelGetCurrentMasterAddress): a sentinel restarted then
// must come back watching the master that goes with the new config epoch.
func masterFromView(m *monitor.MasterView) configs.Master {
	current := m.Addr
	if !m.CurrentAddr.IsZero() {
		current = m.CurrentAddr
	}
	out := configs.Master{
		Name:           m.Name,
		Addr:           fromAddr(current),
		MasterSettings: m.MasterSettings.Clone(),
		ConfigEpoch:    m.ConfigEpoch,
		LeaderEpoch:    m.LeaderEpoch,
		Leader:         m.Leader,
	}
	for _, r := range m.Replicas {
		a := r.Addr
		if a == current {
			a = m.Addr // the promoted replica's slot goes to the old master
		}
		out.KnownReplicas = append(out.KnownReplicas, fromAddr(a))
	}
	for _, s := range m.Sentinels {
		out.KnownSentinels = append(out.KnownSentinels, configs.KnownSentinel{Addr: fromAddr(s.Addr), RunID: s.RunID})
	}
	sort.Slice(out.KnownReplicas, func(i, j int) bool { return out.KnownReplicas[i].String() < out.KnownReplicas[j].String() })
	sort.Slice(out.KnownSentinels, func(i, j int) bool { return out.KnownSentinels[i].RunID < out.KnownSentinels[j].RunID })
	return out
}

// stateFromSnapshot is what gets persisted.
func stateFromSnapshot(s *monitor.Snapshot) configs.State {
	st := configs.State{MyID: s.MyID, CurrentEpoch: s.CurrentEpoch}
	for i := range s.Masters {
		st.Masters = append(st.Masters, masterFromView(&s.Masters[i]))
	}
	return st
}

// storePersister adapts a configs.Store to the loop's Persister, skipping
// writes when nothing persisted changed (most FlushConfig requests after a
// vote change something; hello-driven flushes often do not).
type storePersister struct {
	store    configs.Store
	settings func() configs.RuntimeSettings
	// passFiles remembers the masters whose auth-pass came from a file (and
	// the value read), so the state records the file, never the secret,
	// while the password is still that one.
	passFiles map[string]passFile
	// users, when set, gives the ACL user lines the state writes.
	users func() []string
	last  string
}

type passFile struct{ path, pass string }

// passFilesOf collects the auth_pass_file masters of a configuration.
func passFilesOf(c *configs.Config) map[string]passFile {
	out := map[string]passFile{}
	for _, m := range c.Masters {
		if m.AuthPassFile != "" {
			out[m.Name] = passFile{path: m.AuthPassFile, pass: m.AuthPass.Reveal()}
		}
	}
	return out
}

func (p *storePersister) Persist(s *monitor.Snapshot) error {
	st := stateFromSnapshot(s)
	for i := range st.Masters {
		m := &st.Masters[i]
		if f, ok := p.passFiles[m.Name]; ok && m.AuthPass.Reveal() == f.pass {
			m.AuthPassFile = f.path
		}
	}
	if p.settings != nil {
		rs := p.settings()
		st.Settings = &rs
	}
	if p.users != nil {
		st.Users = p.users()
	}
	key := stateKey(st)
	if key == p.last && stillThere(p.store.Path()) {
		return nil
	}
	if err := p.store.Save(st); err != nil {
		return err
	}
	p.last = key
	return nil
}

// stillThere reports whether the state file is still a file: one deleted
// (or replaced) since the last write is written again even when nothing
// changed, so the next restart finds it, as Redis rewrites its file.
func stillThere(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// stateKey is a cheap identity of a state, for change detection.
func stateKey(st configs.State) string {
	b, err := json.Marshal(st)
	if err != nil {
		return ""
	}
	return string(b)
}
