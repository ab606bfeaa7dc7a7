// Command sentinel is a Redis Sentinel replacement: it supervises Redis or
// Valkey masters and their replicas, fails over when a master dies, and
// answers Sentinel clients on its own port.
//
//	sentinel /etc/redis/sentinel.conf        # like redis-sentinel
//	sentinel --config /etc/sentinel.yaml     # native YAML
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode"
	"github.com/sentinelgo/sentinel/monitor/supervisor"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	tuneGC(os.Getenv)
	if len(os.Args) > 1 {
		if tool, ok := tools[os.Args[1]]; ok {
			os.Exit(tool(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("sentinel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	yamlPath := fs.String("config", "", "YAML configuration file")
	logFormat := fs.String("log-format", "", "log format: text or json (overrides the config)")
	logLevel := fs.String("log-level", "", "log level: debug, info, warn, error (overrides the config)")
	metricsAddr := fs.String("metrics-addr", "", "listen address for the status page, /metrics, /healthz and /status (overrides the config)")
	pprofOn := fs.Bool("pprof", false, "serve /debug/pprof on the metrics listener (overrides the config)")
	port := fs.Int("port", 0, "client port (overrides the config's port, as redis-sentinel's --port)")
	redisLogLevel := fs.String("loglevel", "", "Redis log level: debug, verbose, notice, warning, nothing (as redis-sentinel's --loglevel)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sentinel /path/to/sentinel.conf [flags]\n       sentinel --config /path/to/sentinel.yaml [flags]\n       sentinel check-config FILE\n       sentinel convert-config sentinel.conf > sentinel.yaml\n       sentinel raft-recover --config sentinel.yaml --peers id=ip:port,...\n")
		fs.PrintDefaults()
	}
	// redis-sentinel takes the config file first; accept it before or after flags.
	var confPath string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		confPath, args = args[0], args[1:]
	}
	args, directives := splitDirectives(args, fs) // "--sentinel announce-ip x" and the like
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stderr, "sentinel", version)
		return 0
	}
	if confPath == "" && fs.NArg() == 1 {
		confPath = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if (confPath == "") == (*yamlPath == "") {
		fmt.Fprintln(stderr, "sentinel: give exactly one of a sentinel.conf path or --config file.yaml")
		fs.Usage()
		return 2
	}

	ld := &loader{yamlPath: *yamlPath, confPath: confPath, directives: directives,
		ov: overrides{logFormat: *logFormat, logLevel: *logLevel, metricsAddr: *metricsAddr, redisLogLevel: *redisLogLevel, port: *port, pprof: *pprofOn}}
	cfg, code, err := ld.load()
	if err != nil {
		fmt.Fprintf(stderr, "sentinel: %v\n", err)
		return code
	}

	// redis-sentinel chdirs into dir: scripts run there and any relative
	// path resolves there. The loaded paths are already absolute (resolved
	// against dir by configs), so this only changes what children see.
	if dir := cfg.Sentinel.Dir; dir != "" {
		if err := os.Chdir(dir); err != nil {
			fmt.Fprintf(stderr, "sentinel: can't chdir to %q: %v\n", dir, err)
			return 1
		}
	}

	out := stderr
	if cfg.Sentinel.LogFile != "" {
		f, err := os.OpenFile(cfg.Sentinel.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			fmt.Fprintf(stderr, "sentinel: logfile: %v\n", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	level := new(slog.LevelVar)
	if err := level.UnmarshalText([]byte(cfg.Sentinel.LogLevel)); err != nil {
		fmt.Fprintf(stderr, "sentinel: log level %q: %v\n", cfg.Sentinel.LogLevel, err)
		return 1
	}
	hopts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler = slog.NewTextHandler(out, hopts)
	if cfg.Sentinel.LogFormat == "json" {
		handler = slog.NewJSONHandler(out, hopts)
	}
	logger := slog.New(handler)
	slog.SetDefault(logger)
	// go-redis logs through a process-wide setter; this is the one place we call it.
	redis.SetLogger(datanode.GoRedisLogger(logger))
	for _, d := range cfg.Unsupported {
		logger.Warn("directive parsed but not acted on", "line", d.Line, "directive", d.Name)
	}

	if cfg.Sentinel.PidFile != "" {
		if err := os.WriteFile(cfg.Sentinel.PidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			logger.Error("cannot write pidfile", "path", cfg.Sentinel.PidFile, "err", err)
			return 1
		}
		defer os.Remove(cfg.Sentinel.PidFile)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reload, stopHangups := hangups(ctx)
	defer stopHangups()
	err = supervisor.Run(ctx, supervisor.Options{
		Config:   cfg,
		Logger:   logger,
		LogLevel: level,
		Version:  version,
		Reload:   reload,
		Load:     ld.reload,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("sentinel stopped", "err", err)
		return 1
	}
	return 0
}
