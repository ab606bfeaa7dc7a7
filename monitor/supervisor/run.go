package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/notify"
	"github.com/sentinelgo/sentinel/pubsub"
)

// Options configure a sentinel process.
type Options struct {
	// Config is the loaded configuration (configs.LoadFile or LoadConf).
	Config *configs.Config
	// Logger receives everything; required.
	Logger *slog.Logger
	// LogLevel, when set, is the level the loggers read (sentinel.conf's
	// loglevel; SENTINEL CONFIG does not change it, as in Redis 7.0).
	LogLevel *slog.LevelVar
	// Registry receives the metrics and serves /metrics; nil makes a new one.
	Registry *prometheus.Registry
	// Version is reported in INFO server.
	Version string
	// Seed seeds the core's randomness; 0 picks a random seed.
	Seed uint64
	// Timers, when set, replaces the core's timer defaults (tests).
	Timers *monitor.Timers
	// LookupHost, when set, resolves the host names of data nodes and
	// peers instead of the system resolver (tests use private names).
	LookupHost datanode.LookupHost
	// Reload, when set, delivers SIGHUP: the TLS certificate files are
	// read again (tls.go) and, with Load, the configuration (reload.go).
	Reload <-chan struct{}
	// Load, when set, reads the configuration file again as at start
	// (with the same command-line overrides); SIGHUP applies what can
	// change at run time.
	Load func() (*configs.Config, error)
}

// Supervisor is one running sentinel: the owner loop, the links to data
// nodes and peers, the client-facing server, notifications and metrics.
type Supervisor struct {
	opts    Options
	log     *slog.Logger
	cfg     *configs.Config
	store   configs.Store
	loop    *Loop
	ctrl    *controller
	pool    *datanode.Pool
	server  *pubsub.Server
	scripts *notify.Scripts
	webhook *notify.Webhook // nil without webhooks
	globals *globals
	reg     *prometheus.Registry
	tls     *tlsSetup   // nil without a tls-port
	raft    *raftDriver // nil in vote mode (raft.go)
	history *historyKeeper
	status  *statusSource

	// runCtx is Run's context; set before any goroutine that reads it starts.
	runCtx   context.Context
	stopOnce sync.Once
	stop     chan struct{} // closed by SHUTDOWN
}

// Run builds a sentinel and runs it until ctx ends or a client sends
// SHUTDOWN. It returns once every goroutine it started has stopped.
func Run(ctx context.Context, o Options) error {
	s, err := New(o)
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// New builds every part of a sentinel; nothing runs until Run. A state
// location that is missing or not writable is an error here, before
// anything starts, as in Redis.
func New(o Options) (*Supervisor, error) {
	if o.Config == nil || o.Logger == nil {
		return nil, errors.New("supervisor: Config and Logger are required")
	}
	if o.LogLevel == nil {
		o.LogLevel = new(slog.LevelVar)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		// The runtime and process series every Go service exports.
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	cfg, store, myID, err := loadState(o.Config, o.Logger)
	if err != nil {
		return nil, err
	}
	s := &Supervisor{
		opts:    o,
		log:     o.Logger,
		cfg:     cfg,
		store:   store,
		reg:     o.Registry,
		stop:    make(chan struct{}),
		globals: newGlobals(cfg, o.LogLevel),
	}

	// The listener comes first: with port 0 (tests) the core must announce
	// the port actually bound.
	// Relative script paths, from the file or SENTINEL SET, name files in
	// the sentinel's dir, as in Redis (configs.Config.WorkDir).
	workDir := cfg.WorkDir()
	ctrl := &controller{globals: s.globals, shutdown: s.shutdown, workDir: workDir}
	s.ctrl = ctrl
	aclCfg, err := s.newServer(ctrl, myID)
	if err != nil {
		return nil, err
	}
	// undo releases, in reverse order, what was built so far when a later
	// part fails; nothing will Run it.
	var undo []func()
	built := false
	defer func() {
		if !built {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	undo = append(undo, func() { _ = s.server.Close() })
	port := cfg.Sentinel.Port
	if tcp, ok := s.server.Addr().(*net.TCPAddr); ok {
		port = tcp.Port
	}
	port = s.tls.announcePort(port)
	ctrl.selfAddr = monitor.Addr{Host: "127.0.0.1", Port: port}

	s.scripts = s.newScripts(workDir)

	coreCfg := coreConfig(cfg, myID, port)
	if o.Timers != nil {
		coreCfg.Timers = *o.Timers
	}
	s.scripts.SetTimers(coreCfg.Timers.ScriptMaxRuntime, coreCfg.Timers.ScriptRetryDelay)
	ctrl.scriptTimers = s.scripts.SetTimers
	s.history = newHistoryKeeper(o.Logger, store.Path(), myID)
	snk := &sink{log: o.Logger, pub: s.server, history: s.history}
	if s.webhook, err = newWebhook(cfg, o); err != nil {
		return nil, err
	}
	snk.notify = notify.NewRouter(s.scripts, s.webhook)
	journal, err := openVoteJournal(store.Path())
	if err != nil {
		return nil, err
	}
	undo = append(undo, func() { _ = journal.Close() })
	s.loop, err = NewLoop(LoopOptions{
		Logger:      o.Logger,
		Core:        coreCfg,
		Sink:        snk,
		Scripts:     s.scripts,
		Persist:     &storePersister{store: store, settings: s.globals.runtimeSettings, passFiles: passFilesOf(cfg), users: aclCfg.usersFunc(s.server)},
		ScriptsView: func() monitor.ScriptsView { return scriptsView(s.scripts.Pending()) },
		Seed:        o.Seed,
		Journal:     journal,
	})
	if err != nil {
		return nil, err
	}
	ctrl.loop = s.loop
	ctrl.tlsReady, ctrl.relink = s.tls.clientReady, s.relinkMaster
	ctrl.history = s.history
	s.history.keep(s.loop.Snapshot())
	s.status = &statusSource{loop: s.loop, history: s.history, timers: coreCfg.Timers, version: o.Version}
	snk.metrics = newMetrics(o.Registry, s.loop, o.Version, coreCfg.Timers)

	s.pool = s.newPool(myID)
	s.loop.exec = s.pool
	if err := s.setupRaft(context.Background()); err != nil {
		return nil, err
	}
	built = true
	return s, nil
}

// loadState opens the state location (refusing one that cannot be
// written, removing the temp files of a write a crash cut short), merges
// a YAML configuration with its state file, and returns the run id,
// generated when neither has one.
func loadState(cfg *configs.Config, log *slog.Logger) (*configs.Config, configs.Store, string, error) {
	store := configs.NewStore(cfg)
	if err := configs.CheckWritable(store.Path()); err != nil {
		return nil, nil, "", fmt.Errorf("supervisor: cannot persist state: %w", err)
	}
	// Temp files of writes cut short by an earlier crash: nothing else
	// ever removes them.
	stale, err := configs.RemoveStaleTemps(store.Path())
	for _, f := range stale {
		log.Info("removed a temp file left by an earlier crash", "file", f)
	}
	if err != nil {
		log.Warn("cannot remove stale temp files", "err", err)
	}
	if cfg, err = mergeState(cfg); err != nil {
		return nil, nil, "", fmt.Errorf("supervisor: state: %w", err)
	}
	// Votes answered since the last state write (votejournal.go).
	votes, err := readVoteJournal(store.Path())
	if err != nil {
		return nil, nil, "", err
	}
	if len(votes) > 0 {
		cfg = cfg.Clone()
		applyVotes(cfg, votes)
		log.Info("applied the vote journal", "votes", len(votes))
	}
	myID := cfg.Sentinel.ID
	if myID == "" {
		if myID, err = configs.NewRunID(); err != nil {
			return nil, nil, "", fmt.Errorf("supervisor: %w", err)
		}
	}
	return cfg, store, myID, nil
}

// mergeState is cfg as a restart sees it: a YAML configuration merged
// with its state file (configs.Merge), so the runtime changes stay unless
// the YAML value was edited since. No state file yet (first start): cfg.
func mergeState(cfg *configs.Config) (*configs.Config, error) {
	if cfg.Source != configs.SourceYAML {
		return cfg, nil
	}
	st, err := configs.LoadState(cfg.StatePath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return cfg, nil
	case err != nil:
		return nil, err
	}
	return configs.Merge(cfg, st), nil
}

// newGlobals holds the process-wide settings as loaded.
func newGlobals(cfg *configs.Config, level *slog.LevelVar) *globals {
	g := &globals{level: level, g: Globals{
		AnnounceIP:          cfg.Sentinel.AnnounceIP,
		AnnouncePort:        cfg.Sentinel.AnnouncePort,
		AnnounceHostnames:   cfg.Sentinel.AnnounceHostnames,
		ResolveHostnames:    cfg.Sentinel.ResolveHostnames,
		SentinelUser:        cfg.Sentinel.SentinelUser,
		SentinelPass:        cfg.Sentinel.SentinelPass.Reveal(),
		DenyScriptsReconfig: cfg.Sentinel.DenyScriptsReconfig,
	}}
	g.requirePass = cfg.Sentinel.RequirePass.Reveal()
	return g
}

// newServer builds the client-facing server on the configured addresses,
// with its users; the returned ACL setup also gives the state the user
// lines to persist.
func (s *Supervisor) newServer(ctrl *controller, myID string) (*aclSetup, error) {
	o, cfg := s.opts, s.cfg
	addrs, err := listenAddrs(cfg, o.Logger, probeListen)
	if err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	aclCfg, err := newACLSetup(cfg)
	if err != nil {
		return nil, err
	}
	if s.tls, err = newTLSSetup(cfg, o.Logger, probeListen); err != nil {
		return nil, err
	}
	popts := pubsub.Options{
		Addrs:       addrs,
		Logger:      o.Logger.With("component", "pubsub"),
		Controller:  ctrl,
		RequirePass: cfg.Sentinel.RequirePass.Reveal(),
		RunID:       myID,
		ConfigFile:  cfg.Path,
		Version:     o.Version,
		Registerer:  o.Registry,
		// Like Redis 7.0: whatever the bind addresses (the server applies
		// it while the default user has no password).
		ProtectedMode:  cfg.Sentinel.ProtectedMode,
		OnUsersChanged: usersChangedFlush(o.Logger, ctrl.FlushConfig),
	}
	aclCfg.apply(&popts, cfg)
	s.tls.apply(&popts, cfg)
	if s.server, err = pubsub.New(popts); err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	return aclCfg, nil
}

// newScripts builds the script queue; it finds a master's scripts in the
// latest snapshot, relative paths resolved against workDir.
func (s *Supervisor) newScripts(workDir string) *notify.Scripts {
	return notify.NewScripts(notify.ScriptOptions{
		Logger:     s.opts.Logger.With("component", "notify"),
		Registerer: s.opts.Registry,
		Report:     func(e monitor.Event) { s.reportEvent(e) },
		Lookup: func(master string) (string, string) {
			if m := s.loop.Snapshot().Master(master); m != nil {
				return configs.ResolvePath(workDir, m.NotificationScript), configs.ResolvePath(workDir, m.ClientReconfigScript)
			}
			return "", ""
		},
	})
}

// newWebhook builds the webhook notifier, or nil when none is configured.
func newWebhook(cfg *configs.Config, o Options) (*notify.Webhook, error) {
	if len(cfg.Sentinel.Webhooks) == 0 {
		return nil, nil
	}
	w, err := notify.NewWebhook(notify.WebhookOptions{
		URLs:       cfg.Sentinel.Webhooks,
		Logger:     o.Logger.With("component", "webhook"),
		Registerer: o.Registry,
	})
	if err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	return w, nil
}

// newPool builds the links to data nodes and peers; what they see goes
// into the owner loop's inbox.
func (s *Supervisor) newPool(myID string) *datanode.Pool {
	return datanode.New(datanode.Options{
		Logger:          s.opts.Logger,
		Registerer:      s.opts.Registry,
		MyID:            myID,
		DialTimeout:     time.Second,
		CommandTimeout:  time.Second,
		Credentials:     s.credentials,
		PeerCredentials: s.globals.peerCredentials,
		Renames:         s.renames,
		DownAfter:       s.downAfter,
		LookupHost:      s.opts.LookupHost,
		TLSConfig:       s.tls.clientConfig(),
		TLSFor:          s.dataNodeTLS,
		Deliver: func(in monitor.Input) {
			s.loop.Deliver(s.runCtx, in)
		},
	})
}

// shutdownTimeout bounds each stage of Run's shutdown: a part that has not
// stopped by then is reported and left behind, so the process can exit.
const shutdownTimeout = 10 * time.Second

// Run runs every part until ctx ends or SHUTDOWN; it returns after all of
// them have stopped. State is flushed once at start (so a generated run id
// is on disk before anyone sees it) and once at the end.
//
// Shutdown is ordered, in stages, each bounded by shutdownTimeout: first
// the client server (no command arrives after the core stopped), then the
// owner loop (its last state flush), then everything the loop drives
// (links, notifications, metrics).
func (s *Supervisor) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.runCtx = ctx

	errs := make(chan error, 8)
	// stage is one step of the shutdown: its parts share a context that is
	// cancelled only when the stage's turn comes (or a part fails).
	type stage struct {
		ctx    context.Context
		cancel context.CancelFunc
		wg     sync.WaitGroup
		names  []string
	}
	stages := make([]*stage, 3)
	for i := range stages {
		st := &stage{}
		st.ctx, st.cancel = context.WithCancel(context.WithoutCancel(ctx))
		defer st.cancel()
		stages[i] = st
	}
	start := func(st *stage, name string, f func(context.Context) error) {
		st.names = append(st.names, name)
		st.wg.Go(func() {
			if err := f(st.ctx); err != nil && !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		})
	}
	server, loop, rest := stages[0], stages[1], stages[2]
	start(loop, "core loop", s.loop.Run)
	start(rest, "datanode", s.pool.Run)
	start(server, "server", s.server.Run)
	if s.opts.Reload != nil {
		start(rest, "reload", s.watchReloads)
	}
	start(rest, "notify", s.scripts.Run)
	if s.raft != nil {
		start(rest, "raft", s.raft.Run)
	}
	start(rest, "history", s.history.Run)
	if s.webhook != nil {
		start(rest, "webhooks", s.webhook.Run)
	}
	if addr := s.cfg.Sentinel.MetricsAddr; addr != "" {
		start(rest, "metrics", func(ctx context.Context) error {
			return serveHTTP(ctx, s.log, addr, s.reg, s.status, s.cfg.Sentinel.Pprof, s.cfg.Sentinel.WebConfigFile)
		})
	}
	s.log.Info("sentinel started", "myid", s.loop.Snapshot().MyID, "addr", s.server.Addr().String(), "masters", len(s.cfg.Masters))
	select {
	case <-ctx.Done():
	case <-s.stop:
		s.log.Warn("user requested shutdown")
		cancel()
	}
	var stuck []error
	for _, st := range stages {
		st.cancel()
		done := make(chan struct{})
		go func() { st.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(shutdownTimeout):
			stuck = append(stuck, fmt.Errorf("supervisor: %v did not stop within %v", st.names, shutdownTimeout))
			s.log.Error("part did not stop in time", "parts", st.names, "timeout", shutdownTimeout)
		}
	}
	// A stuck part may still report later, so errs is drained, not closed.
	all := stuck
	for {
		select {
		case err := <-errs:
			all = append(all, err)
		default:
			return errors.Join(all...)
		}
	}
}

// Addr is the address the RESP server listens on.
func (s *Supervisor) Addr() net.Addr { return s.server.Addr() }

// Snapshot is the latest published state.
func (s *Supervisor) Snapshot() *monitor.Snapshot { return s.loop.Snapshot() }

func (s *Supervisor) shutdown() { s.stopOnce.Do(func() { close(s.stop) }) }

// credentials reads auth-user/auth-pass from the current state, so SENTINEL
// SET auth-pass takes effect on the next connection.
func (s *Supervisor) credentials(master string) (string, string) {
	if m := s.loop.Snapshot().Master(master); m != nil {
		return m.AuthUser, m.AuthPass.Reveal()
	}
	return "", ""
}

func (s *Supervisor) renames(master string) map[string]string {
	if m := s.loop.Snapshot().Master(master); m != nil {
		return m.RenameCommands
	}
	return nil
}

// downAfter is a master's down-after: it sets how long a command may stay
// pending on the links of its instances (datanode.Options.DownAfter).
func (s *Supervisor) downAfter(master string) time.Duration {
	if m := s.loop.Snapshot().Master(master); m != nil {
		return m.DownAfterPeriod
	}
	return 0
}

// reportEvent lets notify report script failures as events; they go
// through the same sink as the core's.
func (s *Supervisor) reportEvent(e monitor.Event) {
	s.loop.sink.Event(time.Now(), e)
}

// listenAddrs turns bind into the server's listen addresses the way Redis
// 7's listenToPort treats them. "*" is every IPv4 address and "::*" every
// IPv6 one (the server listens on each family apart, as Redis does). An
// address the host cannot have is skipped, with a warning, when it is
// optional (a leading '-'); an address family or protocol the host does
// not support is skipped whether optional or not, as Redis does. Anything
// else is left for the server to fail on with the real error. No address
// left is an error ("Configured to not listen anywhere").
//
// Whether an address can be had is learned by listening on it at port 0
// (probe) and closing at once: the real port is never taken twice, and the
// RESP server stays unaware of optional addresses.
func listenAddrs(c *configs.Config, log *slog.Logger, probe func(addr string) error) ([]string, error) {
	port := strconv.Itoa(c.Sentinel.Port)
	if len(c.Sentinel.Bind) == 0 {
		return []string{net.JoinHostPort("", port)}, nil
	}
	var out []string
	for _, b := range c.Sentinel.Bind {
		host, optional := strings.CutPrefix(b, "-")
		switch host {
		case "*":
			host = "0.0.0.0"
		case "::*":
			host = "::"
		}
		addr := net.JoinHostPort(host, port)
		if err := probe(net.JoinHostPort(host, "0")); err != nil && skippableBind(err, optional) {
			log.Warn("could not listen on a bind address, skipped", "addr", addr, "optional", optional, "err", err)
			continue
		}
		out = append(out, addr)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bind %v: no address can be listened on (configured to not listen anywhere)", c.Sentinel.Bind)
	}
	return out, nil
}

// probeListen reports whether addr can be listened on, on the network the
// server would use.
func probeListen(addr string) error {
	ln, err := net.Listen(pubsub.ListenNetwork(addr), addr)
	if err != nil {
		return err
	}
	return ln.Close()
}

// skippableBind is Redis's rule for a bind address that fails: an
// optional one the host does not have, or any whose family or protocol
// the host does not support.
func skippableBind(err error, optional bool) bool {
	if optional && errors.Is(err, syscall.EADDRNOTAVAIL) {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.ENOPROTOOPT, syscall.EPROTONOSUPPORT, syscall.ESOCKTNOSUPPORT, syscall.EPFNOSUPPORT, syscall.EAFNOSUPPORT} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// scriptsView converts notify's queue into the snapshot's form.
func scriptsView(jobs []notify.PendingScript) monitor.ScriptsView {
	v := monitor.ScriptsView{Queued: len(jobs)}
	for _, j := range jobs {
		if j.Running {
			v.Running++
		}
		v.Jobs = append(v.Jobs, monitor.ScriptJob{
			Args: j.Args, Running: j.Running, PID: j.PID,
			RunTime: j.RunTime, RunDelay: j.RunDelay, Retries: j.Retries,
		})
	}
	return v
}
