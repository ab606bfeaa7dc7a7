package datanodetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Loopback is the address this package binds processes to (redis-server may
// take another IPv4 loopback address, RedisOptions.Host).
const Loopback = "127.0.0.1"

// Default bounds. They are generous because CI machines can be slow; none of
// them is a performance assertion.
const (
	defaultStartTimeout = 10 * time.Second
	defaultStopTimeout  = 5 * time.Second
	pingPollInterval    = 5 * time.Millisecond
	// launchAttempts bounds retries when a picked port was taken by someone
	// else between our probe listener closing and the server binding it.
	launchAttempts = 3
)

// ErrNotRunning is returned by operations that need a live process.
var ErrNotRunning = errors.New("datanodetest: process is not running")

// Process is one redis-server or sentinel process started by this package.
// It remembers its binary, arguments and port, so it can be restarted on the
// same port after Kill or Stop. All methods are safe for concurrent use.
type Process struct {
	name    string // for errors and logs, e.g. "redis-server :6379"
	binary  string
	args    []string
	host    string // the loopback address it binds; "" means Loopback
	port    int
	dir     string
	ownsDir bool // dir was created by us and is removed by Close
	logPath string
	logger  *slog.Logger
	// beforeStart runs before every (re)start; sentinels use it to rewrite a
	// fresh sentinel.conf, because the server rewrites it while running.
	beforeStart func() error
	// pingAnswered, when set, accepts a PING error as proof that the server
	// is up (for example -NOAUTH when a config file sets requirepass).
	pingAnswered func(error) bool

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed by the wait goroutine when cmd exits
	exitErr  error         // valid after exited is closed
	logFile  *os.File
	client   *redis.Client
	sentinel *redis.SentinelClient
	// stale are clients of earlier incarnations, closed by Close. A
	// restart hands out fresh ones: go-redis remembers failed dials and
	// would keep answering with the old error for up to a second.
	stale  []interface{ Close() error }
	closed bool
}

// Addr returns "host:port", by default "127.0.0.1:port".
func (p *Process) Addr() string { return net.JoinHostPort(p.Host(), strconv.Itoa(p.port)) }

// Host returns the loopback address the process binds (Loopback unless
// RedisOptions.Host chose another).
func (p *Process) Host() string {
	if p.host == "" {
		return Loopback
	}
	return p.host
}

// Port returns the TCP port the process listens on.
func (p *Process) Port() int { return p.port }

// Dir returns the working directory given to the process.
func (p *Process) Dir() string { return p.dir }

// LogPath returns the file the process's stdout and stderr go to.
func (p *Process) LogPath() string { return p.logPath }

// PID returns the PID of the running process, or 0 when it is not running.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether the process has been started and has not exited.
func (p *Process) Running() bool {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// Exited returns a channel closed when the current incarnation exits; nil
// if the process was never started.
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// Client returns a go-redis client for the process's port. It is created on
// first use, survives restarts (go-redis reconnects) and is closed by Close.
// Retries are off so a dead server is reported at once.
func (p *Process) Client() *redis.Client { return lazyClient(p, &p.client, redis.NewClient) }

// SentinelClient returns a go-redis Sentinel client for the process's port
// (meaningful for sentinel processes). Closed by Close.
func (p *Process) SentinelClient() *redis.SentinelClient {
	return lazyClient(p, &p.sentinel, redis.NewSentinelClient)
}

// lazyClient returns *c, made with newClient for p's port on first use.
func lazyClient[C any](p *Process, c **C, newClient func(*redis.Options) *C) *C {
	p.mu.Lock()
	defer p.mu.Unlock()
	if *c == nil {
		*c = newClient(clientOptions(p.Addr()))
	}
	return *c
}

func clientOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:         addr,
		DialTimeout:  time.Second,
		ReadTimeout:  2 * time.Second,
		WriteTimeout: 2 * time.Second,
		MaxRetries:   -1,
		// One dial attempt: go-redis otherwise retries 5 times with
		// back-off, which hides a dead server for half a second.
		DialerRetries:   1,
		PoolSize:        4,
		DisableIdentity: true, // CLIENT SETINFO does not exist before Redis 7.2
	}
}

// start launches the binary once and waits for PING. The caller holds no lock.
func (p *Process) start(ctx context.Context, timeout time.Duration) error {
	if p.beforeStart != nil {
		if err := p.beforeStart(); err != nil {
			return err
		}
	}
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("datanodetest: open log %s: %w", p.logPath, err)
	}
	// Not exec.CommandContext: the context bounds the launch, not the
	// process's life; the process lives until Kill, Stop or Close.
	cmd := exec.Command(p.binary, p.args...)
	cmd.Dir = p.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("datanodetest: start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd = cmd
	p.exited = exited
	p.exitErr = nil
	p.logFile = logFile
	p.mu.Unlock()
	p.logger.Debug("process started", "name", p.name, "pid", cmd.Process.Pid)

	// The wait goroutine is owned by the Process: every path that ends the
	// process (Kill, Stop, Close) waits for exited to close.
	go func() {
		err := cmd.Wait()
		_ = logFile.Close()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(exited)
	}()

	if err := waitForPing(ctx, p.Addr(), exited, timeout, p.pingAnswered); err != nil {
		_ = p.Kill()
		return fmt.Errorf("datanodetest: %s (pid %d) did not answer PING: %w; log tail:\n%s",
			p.name, cmd.Process.Pid, err, p.LogTail(15))
	}
	return nil
}

// waitForPing polls PING on addr until it answers (or fails with an error
// that answered, when not nil, accepts), the process exits, the context ends
// or timeout passes.
func waitForPing(ctx context.Context, addr string, exited <-chan struct{}, timeout time.Duration, answered func(error) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts := clientOptions(addr)
	opts.DialTimeout = 200 * time.Millisecond
	opts.ReadTimeout = 500 * time.Millisecond
	opts.Protocol = 2 // plain PING; some servers under test may not speak HELLO yet
	ticker := time.NewTicker(pingPollInterval)
	defer ticker.Stop()
	var lastErr error
	for {
		// A fresh client per attempt: go-redis remembers a failed dial and
		// answers with it for up to a second, which would hide a server
		// that has just come up.
		client := redis.NewClient(opts)
		pingCtx, pingCancel := context.WithTimeout(ctx, time.Second)
		err := client.Ping(pingCtx).Err()
		pingCancel()
		_ = client.Close()
		if err == nil || (answered != nil && answered(err)) {
			return nil
		}
		lastErr = err
		select {
		case <-exited:
			return fmt.Errorf("process exited (last error: %w)", lastErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), lastErr)
		case <-ticker.C:
		}
	}
}

// Kill sends SIGKILL to the recorded PID and waits for the process to be
// reaped. Killing a process that is not running is a no-op.
func (p *Process) Kill() error {
	return p.signalAndWait(syscall.SIGKILL, defaultStopTimeout)
}

// Stop sends SIGTERM and waits up to 5 s for a clean exit, then SIGKILLs.
func (p *Process) Stop() error {
	err := p.signalAndWait(syscall.SIGTERM, defaultStopTimeout)
	if errors.Is(err, errStillRunning) {
		return p.Kill()
	}
	return err
}

var errStillRunning = errors.New("datanodetest: process still running after signal")

func (p *Process) signalAndWait(sig syscall.Signal, timeout time.Duration) error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil || exited == nil {
		return nil
	}
	select {
	case <-exited:
		return nil
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("datanodetest: signal %v to %s (pid %d): %w", sig, p.name, cmd.Process.Pid, err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-exited:
		p.logger.Debug("process ended", "name", p.name, "pid", cmd.Process.Pid, "signal", sig.String())
		return nil
	case <-timer.C:
		return fmt.Errorf("%w: %s (pid %d) after %v", errStillRunning, p.name, cmd.Process.Pid, sig)
	}
}

// Restart starts the process again on the same port with the same
// arguments, stopping it first if it still runs, and waits for PING. For a
// former master this is a standalone, empty master again (no persistence).
func (p *Process) Restart(ctx context.Context) error {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return fmt.Errorf("datanodetest: restart %s: %w", p.name, ErrNotRunning)
	}
	if err := p.Stop(); err != nil {
		return err
	}
	p.mu.Lock()
	if p.client != nil {
		p.stale = append(p.stale, p.client)
		p.client = nil
	}
	if p.sentinel != nil {
		p.stale = append(p.stale, p.sentinel)
		p.sentinel = nil
	}
	p.mu.Unlock()
	return p.start(ctx, defaultStartTimeout)
}

// Close kills the process (if running), closes its clients and removes the
// directory if this package created it. Safe to call more than once.
func (p *Process) Close() error {
	err := p.Kill()
	p.mu.Lock()
	alreadyClosed := p.closed
	p.closed = true
	client, sentinel, stale := p.client, p.sentinel, p.stale
	p.client, p.sentinel, p.stale = nil, nil, nil
	p.mu.Unlock()
	if alreadyClosed {
		return err
	}
	for _, c := range stale {
		_ = c.Close()
	}
	if client != nil {
		_ = client.Close()
	}
	if sentinel != nil {
		_ = sentinel.Close()
	}
	if p.ownsDir {
		if rmErr := os.RemoveAll(p.dir); rmErr != nil && err == nil {
			err = fmt.Errorf("datanodetest: remove %s: %w", p.dir, rmErr)
		}
	}
	return err
}

// LogTail returns the last n lines of the process's log (stdout+stderr), or
// a note saying why it cannot.
func (p *Process) LogTail(n int) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	return tailLines(f, n)
}

// tailLines keeps only the last n lines of r, so a long log does not matter.
func tailLines(r io.Reader, n int) string {
	if n <= 0 {
		return ""
	}
	ring := make([]string, 0, n)
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		if len(ring) == n {
			copy(ring, ring[1:])
			ring = ring[:n-1]
		}
		ring = append(ring, scanner.Text())
	}
	return strings.Join(ring, "\n")
}

// PickFreePort asks the kernel for a free loopback TCP port. Another process
// can take it before ours binds it; launchers retry for that reason.
func PickFreePort() (int, error) {
	// The kernel may hand a just-closed port out again, so two picks of
	// one test (a raft address and a metrics address, say) could collide
	// before either is bound: a port is given out once per process.
	for range 64 {
		l, err := net.Listen("tcp", net.JoinHostPort(Loopback, "0"))
		if err != nil {
			return 0, fmt.Errorf("datanodetest: pick free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("datanodetest: pick free port: %w", err)
		}
		pickedMu.Lock()
		seen := picked[port]
		picked[port] = true
		pickedMu.Unlock()
		if !seen {
			return port, nil
		}
	}
	return 0, errors.New("datanodetest: pick free port: 64 picks in a row were ports given out before")
}

var (
	pickedMu sync.Mutex
	picked   = map[int]bool{}
)

// prepareLaunch resolves binary to an absolute path and prepares the
// working directory as prepareDir does.
func prepareLaunch(binary, dir, pattern string) (path, workDir string, ownsDir bool, err error) {
	if path, err = resolveBinary(binary); err != nil {
		return "", "", false, err
	}
	workDir, ownsDir, err = prepareDir(dir, pattern)
	return path, workDir, ownsDir, err
}

// prepareDir returns dir, or a fresh temp dir (owned) when dir is empty.
func prepareDir(dir, pattern string) (string, bool, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", false, fmt.Errorf("datanodetest: create dir: %w", err)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", false, fmt.Errorf("datanodetest: dir: %w", err)
		}
		return abs, false, nil
	}
	tmp, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", false, fmt.Errorf("datanodetest: create temp dir: %w", err)
	}
	return tmp, true, nil
}

// launch starts p, retrying on a fresh port when the port was picked for
// us and the first attempt failed (most likely a port race).
func launch(ctx context.Context, p *Process, pickedPort bool, setPort func(int), timeout time.Duration) error {
	var err error
	for attempt := 0; attempt < launchAttempts; attempt++ {
		if attempt > 0 {
			if !pickedPort || ctx.Err() != nil {
				break
			}
			port, perr := PickFreePort()
			if perr != nil {
				return perr
			}
			setPort(port)
		}
		if err = p.start(ctx, timeout); err == nil {
			return nil
		}
		if !pickedPort || !strings.Contains(err.Error(), "in use") {
			break // only a port race is worth another try
		}
	}
	return err
}

// resolveBinary turns a name or a relative path into an absolute path, so it
// still works when the process runs in its own directory.
func resolveBinary(binary string) (string, error) {
	path, err := exec.LookPath(binary)
	if err != nil {
		return "", fmt.Errorf("datanodetest: find %s: %w", binary, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("datanodetest: find %s: %w", binary, err)
	}
	return abs, nil
}
