package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// SIGHUP re-reads the configuration file (Options.Load) and applies what
// can change at run time through the doors the runtime commands use: the
// log level, the settings SENTINEL CONFIG SET changes (plus
// deny-scripts-reconfig) and, for masters in both the file and the core,
// the settings SENTINEL SET changes. Masters added to or removed from the
// file are named in a warning and left alone (the file is also the state
// file, and SENTINEL MONITOR/REMOVE are the way to change the set);
// settings read only at start are named as needing a restart. A file that
// does not load changes nothing.

// watchReloads serves SIGHUP until ctx ends: the TLS files, then the
// configuration.
func (s *Supervisor) watchReloads(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.opts.Reload:
			s.reloadTLS()
			if s.opts.Load != nil {
				s.reloadConfig(ctx)
			}
		}
	}
}

func (s *Supervisor) reloadTLS() {
	t := s.tls
	if t == nil {
		s.log.Debug("reload requested (SIGHUP): no TLS files to reload")
		return
	}
	if err := t.config.Reload(); err != nil {
		t.log.Warn("TLS reload (SIGHUP) failed; the previous certificates stay in use", "err", err)
		return
	}
	t.log.Info("TLS certificates reloaded (SIGHUP)")
}

// reloadConfig applies the file as it is now; see the comment above.
func (s *Supervisor) reloadConfig(ctx context.Context) {
	log := s.log.With("component", "reload")
	next, err := s.opts.Load()
	if err != nil {
		log.Error("configuration reload (SIGHUP) failed; nothing changed", "err", err)
		return
	}
	raw := next
	if next, err = mergeState(raw); err != nil {
		log.Error("configuration reload (SIGHUP): state file unreadable; nothing changed", "err", err)
		return
	}
	plan, err := s.planReload(next)
	if err != nil {
		log.Error("configuration reload (SIGHUP) refused; nothing changed", "err", err)
		return
	}
	for _, w := range restartOnly(s.cfg, next) {
		log.Warn("setting changed in the file needs a restart; the running value stays", "setting", w)
	}
	for _, name := range plan.added {
		log.Warn("master in the file is not monitored; SIGHUP does not add masters (use SENTINEL MONITOR)", "master", name)
	}
	for _, name := range plan.removed {
		log.Warn("monitored master is missing from the file; SIGHUP does not remove masters (use SENTINEL REMOVE)", "master", name)
	}
	if sf, ok := s.store.(*configs.StateFile); ok && raw.Source == configs.SourceYAML {
		// The YAML as applied becomes the base of the state, so a
		// runtime change after this reload survives the next one and a
		// restart (configs.Merge).
		snap := s.loop.Snapshot()
		sf.Rebase(raw, func(name string) bool { return snap.Master(name) != nil })
	}
	if err := s.applyReload(ctx, plan, log); err != nil {
		log.Error("configuration reload (SIGHUP) stopped part way", "err", err)
		return
	}
	log.Info("configuration reloaded (SIGHUP)", "level", plan.level, "global_changes", len(plan.globals), "masters_changed", len(plan.masters))
}

// reloadPlan is what a reload changes, checked before anything applies.
type reloadPlan struct {
	level    slog.Level
	levelSet bool
	globals  []monitor.Setting
	deny     *bool // deny-scripts-reconfig, when it changes
	masters  map[string][]monitor.Setting
	order    []string // masters in the order they apply
	added    []string
	removed  []string
}

// planReload works out the changes and checks every value through the
// runtime commands' rules; any refusal refuses the whole reload.
func (s *Supervisor) planReload(next *configs.Config) (*reloadPlan, error) {
	p := &reloadPlan{masters: map[string][]monitor.Setting{}}
	if err := p.level.UnmarshalText([]byte(next.Sentinel.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", next.Sentinel.LogLevel, err)
	}
	p.levelSet = p.level != s.opts.LogLevel.Level()
	cur := s.globals.snapshot()
	p.globals = globalChanges(cur, next.Sentinel)
	for _, g := range p.globals {
		if err := configs.CheckRuntimeSetting(g.Name, g.Value); err != nil {
			return nil, err
		}
	}
	if next.Sentinel.DenyScriptsReconfig != cur.DenyScriptsReconfig {
		d := next.Sentinel.DenyScriptsReconfig
		p.deny = &d
	}
	snap := s.loop.Snapshot()
	inFile := map[string]bool{}
	for _, m := range next.Masters {
		inFile[m.Name] = true
		view := snap.Master(m.Name)
		if view == nil {
			p.added = append(p.added, m.Name)
			continue
		}
		changes, err := masterChanges(view.MasterSettings, m.MasterSettings)
		if err != nil {
			return nil, fmt.Errorf("master %q: %w", m.Name, err)
		}
		if len(changes) == 0 {
			continue
		}
		if err := s.ctrl.checkSet(changes, false); err != nil {
			return nil, fmt.Errorf("master %q: %w", m.Name, err)
		}
		// Checked here too, not only when applying: a refused TLS choice
		// must refuse the whole reload before any master has changed.
		if err := s.ctrl.checkTLSChoice(m.Name, changes); err != nil {
			return nil, fmt.Errorf("master %q: %w", m.Name, err)
		}
		p.masters[m.Name] = changes
		p.order = append(p.order, m.Name)
	}
	for _, m := range snap.Masters {
		if !inFile[m.Name] {
			p.removed = append(p.removed, m.Name)
		}
	}
	return p, nil
}

// applyReload applies a checked plan through the runtime doors.
func (s *Supervisor) applyReload(ctx context.Context, p *reloadPlan, log *slog.Logger) error {
	if p.levelSet {
		s.opts.LogLevel.Set(p.level)
		log.Info("log level changed", "level", p.level)
	}
	if p.deny != nil {
		s.globals.setDenyScriptsReconfig(*p.deny)
		log.Info("deny-scripts-reconfig changed", "value", yesNo(*p.deny))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if len(p.globals) > 0 {
		if err := s.ctrl.ConfigSet(ctx, p.globals); err != nil {
			return fmt.Errorf("sentinel config set: %w", err)
		}
		log.Info("sentinel settings changed", "settings", names(p.globals))
	}
	for _, name := range p.order {
		if err := s.ctrl.set(ctx, name, p.masters[name], false); err != nil {
			return fmt.Errorf("sentinel set %s: %w", name, err)
		}
		log.Info("master settings changed", "master", name, "settings", names(p.masters[name]))
	}
	return nil
}

func names(ss []monitor.Setting) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}

// globalChanges are the SENTINEL CONFIG SET parameters whose file value
// differs from the running one.
func globalChanges(cur Globals, next configs.Sentinel) []monitor.Setting {
	var out []monitor.Setting
	add := func(name, was, now string) {
		if was != now {
			out = append(out, monitor.Setting{Name: name, Value: now})
		}
	}
	add("announce-ip", cur.AnnounceIP, next.AnnounceIP)
	add("announce-port", strconv.Itoa(cur.AnnouncePort), strconv.Itoa(next.AnnouncePort))
	add("resolve-hostnames", yesNo(cur.ResolveHostnames), yesNo(next.ResolveHostnames))
	add("announce-hostnames", yesNo(cur.AnnounceHostnames), yesNo(next.AnnounceHostnames))
	add("sentinel-user", cur.SentinelUser, next.SentinelUser)
	add("sentinel-pass", cur.SentinelPass, next.SentinelPass.Reveal())
	return out
}

// masterChanges are the SENTINEL SET settings that turn cur into next.
// A per-master tls choice can be set to yes or no but not back to
// "follow tls-replication": that needs a restart (an error here).
func masterChanges(cur, next settings.MasterSettings) ([]monitor.Setting, error) {
	var out []monitor.Setting
	add := func(name, was, now string) {
		if was != now {
			out = append(out, monitor.Setting{Name: name, Value: now})
		}
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	add("quorum", strconv.Itoa(cur.Quorum), strconv.Itoa(next.Quorum))
	add("down-after-milliseconds", ms(cur.DownAfter), ms(next.DownAfter))
	add("failover-timeout", ms(cur.FailoverTimeout), ms(next.FailoverTimeout))
	add("parallel-syncs", strconv.Itoa(cur.ParallelSyncs), strconv.Itoa(next.ParallelSyncs))
	add("master-reboot-down-after-period", ms(cur.RebootDownAfter), ms(next.RebootDownAfter))
	add("forget-after", ms(cur.ForgetAfter), ms(next.ForgetAfter))
	add("auth-user", cur.AuthUser, next.AuthUser)
	add("auth-pass", cur.AuthPass.Reveal(), next.AuthPass.Reveal())
	add("notification-script", cur.NotificationScript, next.NotificationScript)
	add("client-reconfig-script", cur.ClientReconfigScript, next.ClientReconfigScript)
	add("fencing", yesNo(cur.Fencing), yesNo(next.Fencing))
	if cur.TLS != next.TLS {
		if next.TLS == "" {
			return nil, errors.New("tls: going back to tls-replication's choice needs a restart (set yes or no)")
		}
		out = append(out, monitor.Setting{Name: "tls", Value: next.TLS})
	}
	out = append(out, renameChanges(cur.RenameCommands, next.RenameCommands)...)
	return out, nil
}

// renameChanges are the rename-command settings that turn cur into next:
// a command renamed to itself drops its renaming.
func renameChanges(cur, next map[string]string) []monitor.Setting {
	lower := func(m map[string]string) map[string]string {
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[strings.ToLower(k)] = v
		}
		return out
	}
	c, n := lower(cur), lower(next)
	var out []monitor.Setting
	for k, v := range n {
		if c[k] != v {
			out = append(out, monitor.Setting{Name: "rename-command", Value: k + " " + v})
		}
	}
	for k := range c {
		if _, ok := n[k]; !ok {
			out = append(out, monitor.Setting{Name: "rename-command", Value: k + " " + k})
		}
	}
	slices.SortFunc(out, func(a, b monitor.Setting) int { return strings.Compare(a.Value, b.Value) })
	return out
}

// restartOnly names the settings read only at start whose file value
// differs from the running configuration's.
func restartOnly(cur, next *configs.Config) []string {
	var out []string
	diff := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	a, b := cur.Sentinel, next.Sentinel
	diff("port", a.Port != b.Port)
	diff("bind", !slices.Equal(a.Bind, b.Bind))
	diff("dir", a.Dir != b.Dir)
	diff("tls-port", a.TLS.Port != b.TLS.Port)
	ta, tb := a.TLS, b.TLS
	ta.Port, tb.Port = 0, 0
	// The files named are read again; other paths or options are not.
	diff("tls settings (file paths, protocols, ciphers)", !reflect.DeepEqual(ta, tb))
	diff("election mode", cur.Election.Mode != next.Election.Mode)
	diff("logfile", a.LogFile != b.LogFile)
	diff("log format", a.LogFormat != b.LogFormat)
	diff("metrics address", a.MetricsAddr != b.MetricsAddr)
	diff("requirepass", a.RequirePass.Reveal() != b.RequirePass.Reveal())
	return out
}
