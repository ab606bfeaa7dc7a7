package supervisor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// ourSentinel is one of our sentinels running in this test process, started
// from a sentinel.conf exactly as the binary would be.
type ourSentinel struct {
	t    testing.TB
	dir  string
	conf string
	port int
	// metrics is the /metrics listener every test sentinel gets.
	metrics string
	// mutate adjusts the loaded configuration before each start (for what
	// sentinel.conf cannot say, such as webhooks).
	mutate []func(*configs.Config)
	cancel context.CancelFunc
	done   chan error
	sup    *Supervisor
}

// startOurs writes a sentinel.conf monitoring master and starts a sentinel
// on it. extra is appended to the file.
func startOurs(t testing.TB, master monitor.Addr, quorum int, downAfter time.Duration, extra string, mutate ...func(*configs.Config)) *ourSentinel {
	t.Helper()
	dir := t.TempDir()
	port := datanodetest.FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor mymaster %s %d %d\nsentinel down-after-milliseconds mymaster %d\nsentinel failover-timeout mymaster 10000\n%s",
		port, master.Host, master.Port, quorum, downAfter.Milliseconds(), extra)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &ourSentinel{t: t, dir: dir, conf: conf, port: port, metrics: fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t)), mutate: mutate}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *ourSentinel) start() {
	s.t.Helper()
	cfg, err := configs.LoadConf(s.conf)
	if err != nil {
		s.t.Fatalf("LoadConf: %v", err)
	}
	cfg.Sentinel.MetricsAddr = s.metrics
	for _, m := range s.mutate {
		m(cfg)
	}
	sup, err := New(Options{Config: cfg, Logger: testLogger(s.t, fmt.Sprintf("[s%d] ", s.port)), Version: "test"})
	if err != nil {
		s.t.Fatalf("supervisor.New: %v", err)
	}
	s.sup = sup
	s.cancel, s.done = runInBackground(sup)
}

// stop cancels the sentinel and waits for it; safe to call twice.
func (s *ourSentinel) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	waitStopped(s.t, fmt.Sprintf("sentinel %d", s.port), s.done, 10*time.Second)
	s.cancel = nil
}

func (s *ourSentinel) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// scrape returns the /metrics exposition text.
func (s *ourSentinel) scrape() string {
	s.t.Helper()
	resp, err := http.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		s.t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("scrape: %v", err)
	}
	return string(b)
}

func (s *ourSentinel) client() *redis.SentinelClient {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// testWriter sends log lines to t.Log, so they show only when a test fails.
type testWriter struct {
	t      testing.TB
	prefix string
}

var logMu sync.Mutex

func (w testWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	w.t.Log(w.prefix + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// eventRecorder subscribes to every event of a sentinel and keeps them.
type eventRecorder struct {
	mu     sync.Mutex
	events []recorded
	ps     *redis.PubSub
	done   chan struct{}
}

type recorded struct {
	at      time.Time
	channel string
	payload string
}

func recordEvents(t testing.TB, addr string) *eventRecorder {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	ps := c.PSubscribe(context.Background(), "*")
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatalf("psubscribe %s: %v", addr, err)
	}
	r := &eventRecorder{ps: ps, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for m := range ps.Channel() {
			r.mu.Lock()
			r.events = append(r.events, recorded{time.Now(), m.Channel, m.Payload})
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("events seen on %s:\n%s", addr, r.dump())
		}
		ps.Close()
		<-r.done
		c.Close()
	})
	return r
}

// first returns the first event on channel whose payload contains substr.
func (r *eventRecorder) first(channel, substr string) (recorded, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.channel == channel && strings.Contains(e.payload, substr) {
			return e, true
		}
	}
	return recorded{}, false
}

// firstPrefix returns the first event on channel whose payload starts with prefix.
func (r *eventRecorder) firstPrefix(channel, prefix string) (recorded, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.channel == channel && strings.HasPrefix(e.payload, prefix) {
			return e, true
		}
	}
	return recorded{}, false
}

func (r *eventRecorder) count(channel string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.channel == channel {
			n++
		}
	}
	return n
}

func (r *eventRecorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintf(&b, "%s %s %s\n", e.at.Format("15:04:05.000"), e.channel, e.payload)
	}
	return b.String()
}

func TestMain(m *testing.M) {
	// go-redis logs dial failures of the nodes tests kill on purpose.
	redis.SetLogger(quietRedisLog{})
	os.Exit(m.Run())
}

type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

func requireRedis(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("real processes are skipped with -short")
	}
	datanodetest.RequireBinary(t, "redis-server")
}

func addrOf(p *datanodetest.Process) monitor.Addr {
	return monitor.Addr{Host: "127.0.0.1", Port: p.Port()}
}

// waitReplicas waits until the sentinel lists n replicas of mymaster.
func waitReplicas(t testing.TB, sc *redis.SentinelClient, n int) {
	t.Helper()
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		reps, err := sc.Replicas(t.Context(), "mymaster").Result()
		return err == nil && len(reps) == n
	}, "sentinel should discover %d replicas", n)
}

// waitSettled waits until the sentinel at addr sees the given numbers of
// replicas and other sentinels for mymaster.
func waitSettled(t testing.TB, addr string, replicas, others int) {
	t.Helper()
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	datanodetest.Eventually(t, 30*time.Second, 50*time.Millisecond, func() bool {
		m, err := c.Master(t.Context(), "mymaster").Result()
		return err == nil && m["num-slaves"] == strconv.Itoa(replicas) && m["num-other-sentinels"] == strconv.Itoa(others)
	}, "sentinel %s should see %d replicas and %d other sentinels", addr, replicas, others)
}
