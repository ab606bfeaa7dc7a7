package supervisor

import (
	"encoding/json"
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
		Name:                 m.Name,
		Addr:                 toAddr(m.Addr),
		Quorum:               m.Quorum,
		DownAfter:            m.DownAfter,
		FailoverTimeout:      m.FailoverTimeout,
		ParallelSyncs:        m.ParallelSyncs,
		AuthUser:             m.AuthUser,
		AuthPass:             m.AuthPass.Reveal(),
		NotificationScript:   m.NotificationScript,
		ClientReconfigScript: m.ClientReconfigScript,
		RebootDownAfter:      m.RebootDownAfter,
		ConfigEpoch:          m.ConfigEpoch,
		LeaderEpoch:          m.LeaderEpoch,
		Leader:               m.Leader,
	}
	if len(m.RenameCommands) > 0 {
		mc.RenamedCommands = make(map[string]string, len(m.RenameCommands))
		for k, v := range m.RenameCommands {
			mc.RenamedCommands[k] = v
		}
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
		Timers:       monitor.DefaultTimers(),
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
func masterFromView(m *monitor.MasterView) configs.Master {
	out := configs.Master{
		Name:                 m.Name,
		Addr:                 fromAddr(m.Addr),
		Quorum:               m.Quorum,
		DownAfter:            m.DownAfter,
		FailoverTimeout:      m.FailoverTimeout,
		ParallelSyncs:        m.ParallelSyncs,
		AuthUser:             m.AuthUser,
		AuthPass:             configs.Secret(m.AuthPass),
		NotificationScript:   m.NotificationScript,
		ClientReconfigScript: m.ClientReconfigScript,
		RebootDownAfter:      m.RebootDownAfter,
		ConfigEpoch:          m.ConfigEpoch,
		LeaderEpoch:          m.LeaderEpoch,
		Leader:               m.Leader,
	}
	if len(m.RenamedCommands) > 0 {
		out.RenameCommands = make(map[string]string, len(m.RenamedCommands))
		for k, v := range m.RenamedCommands {
			out.RenameCommands[k] = v
		}
	}
	for _, r := range m.Replicas {
		out.KnownReplicas = append(out.KnownReplicas, fromAddr(r.Addr))
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
	last     string
}

func (p *storePersister) Persist(s *monitor.Snapshot) error {
	st := stateFromSnapshot(s)
	if p.settings != nil {
		rs := p.settings()
		st.Settings = &rs
	}
	key := stateKey(st)
	if key == p.last {
		return nil
	}
	if err := p.store.Save(st); err != nil {
		return err
	}
	p.last = key
	return nil
}

// stateKey is a cheap identity of a state, for change detection.
func stateKey(st configs.State) string {
	b, err := json.Marshal(st)
	if err != nil {
		return ""
	}
	return string(b)
}
