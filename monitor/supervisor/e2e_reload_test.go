package supervisor

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// TestE2E_ReloadBinary: our binary, watching a real redis-server, takes
// an edit of its sentinel.conf on SIGHUP and keeps running.
func TestE2E_ReloadBinary(t *testing.T) {
	requireRedis(t)
	bin := buildBinary(t)
	data := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{Binary: bin, MasterName: "mymaster", MasterAddr: data.Addr(), Quorum: 1})
	conf := filepath.Join(p.Dir(), "sentinel.conf")
	sc := p.SentinelClient()
	drop := regexp.MustCompile(`^sentinel (down-after-milliseconds|parallel-syncs) mymaster `)
	// The sentinel rewrites its file on every state change: edit and
	// signal until the change shows (bounded by the deadline).
	datanodetest.Eventually(t, 20*time.Second, 100*time.Millisecond, func() bool {
		b, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		var keep []string
		for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if !drop.MatchString(line) {
				keep = append(keep, line)
			}
		}
		text := strings.Join(keep, "\n") + "\nsentinel down-after-milliseconds mymaster 4321\nsentinel parallel-syncs mymaster 2\n"
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(p.PID(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		m, err := sc.Master(t.Context(), "mymaster").Result()
		return err == nil && m["down-after-milliseconds"] == "4321" && m["parallel-syncs"] == "2"
	}, "SENTINEL MASTER shows the reloaded settings")
	if !p.Running() {
		t.Fatal("SIGHUP ended the process")
	}
	b, _ := os.ReadFile(p.LogPath())
	if !strings.Contains(string(b), "configuration reloaded (SIGHUP)") {
		t.Errorf("no reload line in the log:\n%s", p.LogTail(20))
	}
}

// TestE2E_ReloadReference: Debian's redis-sentinel ignores SIGHUP: it
// keeps running and does not read an edit of its file (what
// docs/compatibility.md says we differ from).
func TestE2E_ReloadReference(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	data := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{MasterName: "mymaster", MasterAddr: data.Addr(), Quorum: 1})
	sc := p.SentinelClient()
	before, err := sc.Master(t.Context(), "mymaster").Result()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(p.Dir(), "sentinel.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("\nsentinel down-after-milliseconds mymaster 4321\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// A command answered after the signal: the signal was handled (ignored).
	if err := sc.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING after SIGHUP: %v", err)
	}
	if !p.Running() {
		t.Fatal("SIGHUP ended redis-sentinel")
	}
	after, err := sc.Master(t.Context(), "mymaster").Result()
	if err != nil {
		t.Fatal(err)
	}
	if after["down-after-milliseconds"] != before["down-after-milliseconds"] {
		t.Errorf("redis-sentinel down-after %s -> %s: it read its file on SIGHUP", before["down-after-milliseconds"], after["down-after-milliseconds"])
	}
}
