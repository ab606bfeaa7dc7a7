package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/glob"
	"github.com/sentinelgo/sentinel/monitor"
)

// controller implements pubsub.Controller on top of the owner loop.
type controller struct {
	loop     *Loop
	globals  *globals
	shutdown func()
	// selfAddr is the address hellos PUBLISHed to us are recorded as
	// arriving through.
	selfAddr monitor.Addr
	// scriptTimers, when set, receives SENTINEL DEBUG's script-max-runtime
	// and script-retry-delay.
	scriptTimers func(maxRuntime, retryDelay time.Duration)
	// workDir is the sentinel's dir: a relative script path names a file
	// there, as in Redis ("" is the process's working directory).
	workDir string
	// history answers SENTINEL HISTORY.
	history *historyKeeper
	// tlsReady reports whether links can use TLS (the CA and certificate
	// files were loaded), for SENTINEL SET <name> tls yes; nil: never.
	tlsReady func() bool
	// relink re-dials the links to one master's data nodes, after a
	// change of its TLS choice is published; nil in tests without links.
	relink func(master string)
}

func (c *controller) Snapshot() *monitor.Snapshot { return c.loop.ReaderSnapshot() }

func (c *controller) Monitor(ctx context.Context, m monitor.MasterConfig) error {
	// The loaders' own rules, so the state written next loads back.
	if err := configs.CheckMonitor(m.Name, fromAddr(m.Addr), c.globals.snapshot().ResolveHostnames); err != nil {
		return doorError(err)
	}
	return c.persisted(ctx, func(now time.Time, core *monitor.Core) error { return core.Monitor(now, m) })
}

func (c *controller) Remove(ctx context.Context, name string) error {
	return c.persisted(ctx, func(now time.Time, core *monitor.Core) error { return core.Remove(now, name) })
}

func (c *controller) Set(ctx context.Context, name string, settings []monitor.Setting) error {
	return c.set(ctx, name, settings, true)
}

// set is SENTINEL SET; command is false for a configuration reload
// (SIGHUP), which deny-scripts-reconfig does not restrict: it guards the
// scripts against clients, not against the file's owner.
func (c *controller) set(ctx context.Context, name string, settings []monitor.Setting, command bool) error {
	if err := c.checkSet(settings, command); err != nil {
		return err
	}
	if err := c.checkTLSChoice(name, settings); err != nil {
		return err
	}
	if err := c.persisted(ctx, func(now time.Time, core *monitor.Core) error { return core.Set(now, name, settings) }); err != nil {
		return err
	}
	c.relinkOnTLS(name, settings)
	return nil
}

// checkSet is SENTINEL SET's door for settings (the core checks them
// again): the configuration's rules, the scripts' existence and, for a
// command, deny-scripts-reconfig.
func (c *controller) checkSet(settings []monitor.Setting, command bool) error {
	deny := command && c.globals.denyScriptsReconfig()
	for _, s := range settings {
		if err := configs.CheckMasterSetting(s.Name, s.Value); err != nil {
			return doorError(err)
		}
		switch strings.ToLower(s.Name) {
		case "notification-script", "client-reconfig-script":
			if deny {
				return &monitor.CommandError{Code: "ERR", Msg: "Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"}
			}
			// As Redis: the script must exist and be executable (an empty
			// value clears it).
			if s.Value != "" && !executable(configs.ResolvePath(c.workDir, s.Value)) {
				what := "Notification"
				if strings.EqualFold(s.Name, "client-reconfig-script") {
					what = "Client reconfiguration"
				}
				return &monitor.CommandError{Code: "ERR", Msg: what + " script seems non existing or non executable"}
			}
		}
	}
	return nil
}

func (c *controller) Reset(ctx context.Context, pattern string) (int, error) {
	return Invoke(ctx, c.loop, func(now time.Time, core *monitor.Core) (int, error) {
		return core.Reset(now, pattern), nil
	})
}

func (c *controller) Failover(ctx context.Context, name string, coordinated bool) error {
	_, err := Invoke(ctx, c.loop, func(now time.Time, core *monitor.Core) (struct{}, error) {
		return struct{}{}, core.Failover(now, name, coordinated)
	})
	return err
}

func (c *controller) CKQuorum(ctx context.Context, name string) (int, error) {
	return Invoke(ctx, c.loop, func(now time.Time, core *monitor.Core) (int, error) {
		return core.CKQuorum(now, name)
	})
}

func (c *controller) IsMasterDownByAddr(ctx context.Context, req monitor.IsMasterDownRequest) (monitor.IsMasterDownReply, error) {
	// A vote leaves only once it is on disk; if it cannot be written the
	// peer gets an error, which counts as no vote. We stay bound by it in
	// memory, so we never vote twice in the epoch while we run.
	replies, err := invokeVotes(ctx, c.loop, []monitor.IsMasterDownRequest{req})
	if err != nil {
		return monitor.IsMasterDownReply{}, err
	}
	return replies[0], nil
}

// IsMasterDownByAddrs answers several requests (a peer's pipelined
// batch) in one turn of the owner loop: the votes cast are written with
// one state write, before any of the replies leaves.
func (c *controller) IsMasterDownByAddrs(ctx context.Context, reqs []monitor.IsMasterDownRequest) ([]monitor.IsMasterDownReply, error) {
	return invokeVotes(ctx, c.loop, reqs)
}

func (c *controller) FlushConfig(ctx context.Context) error {
	_, err := Invoke(ctx, c.loop, func(now time.Time, _ *monitor.Core) (struct{}, error) {
		if err := c.loop.flush(now); err != nil {
			return struct{}{}, errSaveConfig
		}
		return struct{}{}, nil
	})
	return err
}

// doorError is the reply for a value the configuration's rules refuse.
func doorError(err error) error { return &monitor.CommandError{Code: "ERR", Msg: err.Error()} }

// errSaveConfig is Redis's reply when the config cannot be written.
var errSaveConfig = &monitor.CommandError{Code: "ERR", Msg: "Failed to save config file. Check server logs."}

// persisted runs an operator command that changes the state: like Redis's
// sentinelFlushConfigAndReply, it reports an error when the change could
// not be written.
func (c *controller) persisted(ctx context.Context, fn func(now time.Time, core *monitor.Core) error) error {
	_, err := InvokePersisted(ctx, c.loop, func(now time.Time, core *monitor.Core) (struct{}, error) {
		return struct{}{}, fn(now, core)
	})
	if errors.Is(err, ErrNotPersisted) {
		return errSaveConfig
	}
	return err
}

func (c *controller) ConfigGet(ctx context.Context, pattern string) ([]monitor.Setting, error) {
	var out []monitor.Setting
	for _, s := range c.globals.list() {
		if glob.Match(strings.ToLower(pattern), s.Name) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (c *controller) ConfigSet(ctx context.Context, settings []monitor.Setting) error {
	for _, s := range settings {
		if err := configs.CheckRuntimeSetting(s.Name, s.Value); err != nil {
			return doorError(err)
		}
	}
	if err := c.globals.set(settings); err != nil {
		return err
	}
	g := c.globals.snapshot()
	announce := monitor.Addr{Host: g.AnnounceIP, Port: g.AnnouncePort}
	if announce.Port == 0 {
		announce.Port = c.selfAddr.Port
	}
	_, err := Invoke(ctx, c.loop, func(now time.Time, core *monitor.Core) (struct{}, error) {
		core.SetAnnounce(now, announce)
		core.SetAnnounceHostnames(now, g.AnnounceHostnames)
		return struct{}{}, nil
	})
	if err != nil {
		return err
	}
	return c.FlushConfig(ctx)
}

func (c *controller) Debug(ctx context.Context, settings []monitor.Setting) ([]monitor.Setting, error) {
	type debugResult struct {
		values []monitor.Setting
		timers monitor.Timers
	}
	res, err := Invoke(ctx, c.loop, func(_ time.Time, core *monitor.Core) (debugResult, error) {
		if len(settings) > 0 {
			if err := core.Debug(settings); err != nil {
				return debugResult{}, err
			}
		}
		return debugResult{core.DebugValues(), core.Timers()}, nil
	})
	if err != nil {
		return nil, err
	}
	if len(settings) > 0 && c.scriptTimers != nil {
		// The script timers live in the core's table (so DEBUG lists them)
		// but are used by notify.
		c.scriptTimers(res.timers.ScriptMaxRuntime, res.timers.ScriptRetryDelay)
	}
	return res.values, nil
}

func (c *controller) Hello(ctx context.Context, payload string) error {
	h, err := monitor.ParseHello(payload)
	if err != nil {
		return &monitor.CommandError{Code: "ERR", Msg: fmt.Sprintf("invalid hello message: %v", err)}
	}
	c.loop.Deliver(ctx, monitor.HelloReceived{At: time.Now(), Via: c.selfAddr, Hello: h})
	return nil
}

func (c *controller) Shutdown(ctx context.Context) error {
	if err := c.FlushConfig(ctx); err != nil {
		return err
	}
	c.shutdown()
	return nil
}

// executable reports whether path is a regular file someone may execute.
func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
