package datanodetest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions describes one redis-server to launch.
type RedisOptions struct {
	// Port to listen on; 0 picks a free loopback port.
	Port int
	// Host is the address to bind: empty means Loopback (127.0.0.1); any
	// other must be an IPv4 loopback address (127.0.0.2, ...), so two
	// servers can share a port, as a node that came back at a new address
	// under the same name. A picked port is free on 127.0.0.1, which on
	// Linux (where all of 127/8 is local) makes it very likely free here.
	Host string
	// ReplicaOf, when not empty, starts the server as a replica of that
	// "host:port" address.
	ReplicaOf string
	// Args are appended to the generated command line (for example
	// []string{"--replica-priority", "50"}).
	Args []string
	// Dir is the server's working directory; empty creates a temp dir that
	// Close removes.
	Dir string
	// LogPath receives stdout and stderr; empty means <Dir>/redis-<port>.log.
	LogPath string
	// Binary defaults to "redis-server".
	Binary string
	// StartTimeout bounds the wait for PING; 0 means 10 s.
	StartTimeout time.Duration
	// Logger receives debug lines about process starts and ends; nil discards.
	Logger *slog.Logger
	// ConfText, when not empty, is written to <Dir>/redis.conf, whose path
	// is then the first argument of redis-server, before the generated
	// flags (which win over the file). Some directives, such as
	// rename-command, exist only in a config file; CONFIG REWRITE needs one
	// too. The file stays for Restart. Servers sharing a Dir must not both
	// set it. Because the file may set requirepass or rename PING, the
	// launcher then also takes a -NOAUTH or unknown-command reply to PING as
	// the server being up; callers check their own credentials.
	ConfText string
}

// RedisConfName is the file ConfText is written to, inside the server's Dir.
const RedisConfName = "redis.conf"

// binary is the server to run: Binary, or redis-server.
func (o RedisOptions) binary() string { return cmp.Or(o.Binary, "redis-server") }

// LaunchRedis starts redis-server on 127.0.0.1 with persistence off
// (--save ” --appendonly no), waits until it answers PING, and returns the
// process. The caller must Close it.
func LaunchRedis(ctx context.Context, opts RedisOptions) (*Process, error) {
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("datanodetest: redis port %d out of range", opts.Port)
	}
	if opts.ReplicaOf != "" {
		if _, _, err := SplitAddr(opts.ReplicaOf); err != nil {
			return nil, fmt.Errorf("datanodetest: replica-of: %w", err)
		}
	}
	if opts.Host != "" {
		ip := net.ParseIP(opts.Host)
		if ip == nil || ip.To4() == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("datanodetest: host %q is not an IPv4 loopback address", opts.Host)
		}
	}
	binary, dir, ownsDir, err := prepareLaunch(opts.binary(), opts.Dir, "datanodetest-redis-")
	if err != nil {
		return nil, err
	}
	var confPath string
	if opts.ConfText != "" {
		confPath = filepath.Join(dir, RedisConfName)
		if err := os.WriteFile(confPath, []byte(opts.ConfText), 0o644); err != nil {
			if ownsDir {
				_ = os.RemoveAll(dir)
			}
			return nil, fmt.Errorf("datanodetest: write %s: %w", confPath, err)
		}
	}
	pickedPort := opts.Port == 0
	port := opts.Port
	if pickedPort {
		if port, err = PickFreePort(); err != nil {
			return nil, err
		}
	}
	p := &Process{
		binary:  binary,
		host:    opts.Host,
		dir:     dir,
		ownsDir: ownsDir,
		logger:  loggerOrDiscard(opts.Logger),
	}
	if confPath != "" {
		p.pingAnswered = confPingAnswered
	}
	setPort := func(port int) {
		p.port = port
		p.name = fmt.Sprintf("%s :%d", filepath.Base(binary), port)
		p.args = redisArgs(port, dir, opts)
		if confPath != "" {
			p.args = append([]string{confPath}, p.args...)
		}
		p.logPath = opts.LogPath
		if p.logPath == "" {
			p.logPath = filepath.Join(dir, fmt.Sprintf("redis-%d.log", port))
		}
	}
	setPort(port)
	if err := launch(ctx, p, pickedPort, setPort, startTimeout(opts.StartTimeout)); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

func redisArgs(port int, dir string, opts RedisOptions) []string {
	host := opts.Host
	if host == "" {
		host = Loopback
	}
	args := []string{
		"--bind", host,
		"--port", strconv.Itoa(port),
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		// A distinct dbfilename per port keeps servers sharing a Dir apart.
		"--dbfilename", fmt.Sprintf("dump-%d.rdb", port),
		// Redis 7 waits 5 s before a diskless full sync to batch replicas;
		// tests and benchmarks want replicas linked at once.
		"--repl-diskless-sync-delay", "0",
	}
	if opts.ReplicaOf != "" {
		host, port, _ := SplitAddr(opts.ReplicaOf) // validated by LaunchRedis
		args = append(args, "--replicaof", host, strconv.Itoa(port))
	}
	return append(args, opts.Args...)
}

// confPingAnswered accepts the PING errors a server configured by ConfText
// can give while it is up: -NOAUTH (requirepass) and unknown command
// (rename-command PING).
func confPingAnswered(err error) bool {
	return redis.HasErrorPrefix(err, "NOAUTH") || redis.HasErrorPrefix(err, "unknown command")
}

func startTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultStartTimeout
	}
	return d
}

func loggerOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// SplitAddr splits "host:port" (IPv6 hosts in brackets) and checks that
// the host is not empty and the port is in 1..65535.
func SplitAddr(addr string) (string, int, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("datanodetest: address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("datanodetest: address %q: port must be 1..65535", addr)
	}
	if host == "" {
		return "", 0, fmt.Errorf("datanodetest: address %q: empty host", addr)
	}
	return host, port, nil
}
