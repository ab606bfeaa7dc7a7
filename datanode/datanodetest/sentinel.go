package datanodetest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SentinelOptions describes one sentinel process to launch: Debian's
// redis-sentinel or our binary, which reads the same sentinel.conf.
type SentinelOptions struct {
	// Port to listen on; 0 picks a free loopback port.
	Port int
	// Binary defaults to "redis-sentinel". It is run as
	// `<Binary> <dir>/sentinel.conf <Args...>`.
	Binary string
	// Args are appended after the config path.
	Args []string
	// Dir holds sentinel.conf and the log; empty creates a temp dir that
	// Close removes. Sentinels must not share a Dir.
	Dir string
	// LogPath receives stdout and stderr; empty means <Dir>/sentinel.log.
	LogPath string

	// MasterName and MasterAddr generate a `sentinel monitor` block when
	// MasterName is not empty.
	MasterName string
	MasterAddr string // "host:port"
	// Quorum defaults to 2.
	Quorum int
	// DownAfter defaults to 1 s; FailoverTimeout to 10 s; ParallelSyncs to 1.
	DownAfter       time.Duration
	FailoverTimeout time.Duration
	ParallelSyncs   int

	// ConfText is appended verbatim after the generated lines (bind, port,
	// dir and the monitor block), for directives the fields do not cover.
	ConfText string
	// YAML, when not empty, replaces sentinel.conf: it is written to
	// <Dir>/sentinel.yaml and the sentinel (ours only) runs as
	// `<Binary> --config <Dir>/sentinel.yaml --port <Port> <Args...>`. The
	// monitor fields and ConfText are then unused: YAML names its masters.
	YAML string

	// StartTimeout bounds the wait for PING; 0 means 10 s.
	StartTimeout time.Duration
	// Logger receives debug lines about process starts and ends; nil discards.
	Logger *slog.Logger
}

// binary is the sentinel to run: Binary, or redis-sentinel.
func (o SentinelOptions) binary() string { return cmp.Or(o.Binary, "redis-sentinel") }

// LaunchRedisSentinel writes a fresh, writable sentinel.conf (Redis rewrites
// it while running, so it must be writable), starts the sentinel on
// 127.0.0.1, waits for PING and returns the process. The caller must Close
// it. Restart rewrites the file from the options again, so state learned by
// the previous incarnation is forgotten.
func LaunchRedisSentinel(ctx context.Context, opts SentinelOptions) (*Process, error) {
	if err := validateSentinelOptions(opts); err != nil {
		return nil, err
	}
	binary, dir, ownsDir, err := prepareLaunch(opts.binary(), opts.Dir, "datanodetest-sentinel-")
	if err != nil {
		return nil, err
	}
	pickedPort := opts.Port == 0
	port := opts.Port
	if pickedPort {
		if port, err = PickFreePort(); err != nil {
			return nil, err
		}
	}
	confPath := filepath.Join(dir, "sentinel.conf")
	p := &Process{
		binary:  binary,
		dir:     dir,
		ownsDir: ownsDir,
		logger:  loggerOrDiscard(opts.Logger),
		logPath: opts.LogPath,
	}
	if p.logPath == "" {
		p.logPath = filepath.Join(dir, "sentinel.log")
	}
	if opts.ConfText != "" {
		// requirepass or a "user default" line answer PING with NOAUTH.
		p.pingAnswered = confPingAnswered
	}
	if opts.YAML != "" {
		confPath = filepath.Join(dir, "sentinel.yaml")
	}
	setPort := func(port int) {
		p.port = port
		p.name = fmt.Sprintf("%s :%d", filepath.Base(binary), port)
		p.args = append([]string{confPath}, opts.Args...)
		if opts.YAML != "" {
			p.args = append([]string{"--config", confPath, "--port", strconv.Itoa(port)}, opts.Args...)
		}
	}
	setPort(port)
	p.beforeStart = func() error {
		text := SentinelConf(p.port, dir, opts)
		if opts.YAML != "" {
			text = opts.YAML
		}
		if err := os.WriteFile(confPath, []byte(text), 0o644); err != nil {
			return fmt.Errorf("datanodetest: write %s: %w", confPath, err)
		}
		return nil
	}
	if err := launch(ctx, p, pickedPort, setPort, startTimeout(opts.StartTimeout)); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

func validateSentinelOptions(opts SentinelOptions) error {
	if opts.Port < 0 || opts.Port > 65535 {
		return fmt.Errorf("datanodetest: sentinel port %d out of range", opts.Port)
	}
	if opts.MasterName == "" {
		return nil
	}
	if strings.ContainsAny(opts.MasterName, " \t\r\n\"'") {
		return fmt.Errorf("datanodetest: master name %q contains spaces or quotes", opts.MasterName)
	}
	if _, _, err := SplitAddr(opts.MasterAddr); err != nil {
		return fmt.Errorf("datanodetest: master: %w", err)
	}
	if opts.Quorum < 0 || opts.ParallelSyncs < 0 || opts.DownAfter < 0 || opts.FailoverTimeout < 0 {
		return fmt.Errorf("datanodetest: negative quorum, parallel-syncs or timeout")
	}
	return nil
}

// SentinelConf renders the sentinel.conf LaunchRedisSentinel writes for
// port, dir and opts. Exported so the demo can show it and tests can check it.
func SentinelConf(port int, dir string, opts SentinelOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bind %s\n", Loopback)
	fmt.Fprintf(&b, "port %d\n", port)
	fmt.Fprintf(&b, "dir %q\n", dir)
	if opts.MasterName != "" {
		quorum := opts.Quorum
		if quorum == 0 {
			quorum = 2
		}
		downAfter := opts.DownAfter
		if downAfter == 0 {
			downAfter = time.Second
		}
		failoverTimeout := opts.FailoverTimeout
		if failoverTimeout == 0 {
			failoverTimeout = 10 * time.Second
		}
		parallelSyncs := opts.ParallelSyncs
		if parallelSyncs == 0 {
			parallelSyncs = 1
		}
		name := opts.MasterName
		host, port, _ := SplitAddr(opts.MasterAddr) // validated by LaunchRedisSentinel
		fmt.Fprintf(&b, "sentinel monitor %s %s %d %d\n", name, host, port, quorum)
		fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", name, downAfter.Milliseconds())
		fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", name, failoverTimeout.Milliseconds())
		fmt.Fprintf(&b, "sentinel parallel-syncs %s %d\n", name, parallelSyncs)
	}
	if opts.ConfText != "" {
		b.WriteString(opts.ConfText)
		if !strings.HasSuffix(opts.ConfText, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
