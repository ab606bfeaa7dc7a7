package configs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRedisSentinelReadsOurRewrite starts Debian's redis-sentinel on a file
// we rewrote, makes it rewrite the file itself (SENTINEL FLUSHCONFIG), and
// checks that LoadConf reads Redis's version back into the same state.
func TestRedisSentinelReadsOurRewrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-sentinel; skipped with -short")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server not installed")
	}
	port := freePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.conf")
	header := fmt.Sprintf("# operator header\nport %d\nbind 127.0.0.1\ndaemonize no\nprotected-mode no\ndir %s\nlogfile \"\"\n", port, dir)

	m := DefaultMaster()
	m.Name, m.Addr, m.Quorum = "mymaster", Addr{"127.0.0.1", freePort(t)}, 2
	m.DownAfter, m.FailoverTimeout, m.ParallelSyncs = 600*time.Second, 900*time.Second, 2
	// Redis writes auth-pass unquoted, so a password with spaces would not
	// survive its rewrite; keep this one plain.
	m.AuthUser, m.AuthPass = "sentinel", "s3cret"
	m.ConfigEpoch, m.LeaderEpoch = 4, 4
	m.KnownReplicas = []Addr{{"127.0.0.1", freePort(t)}}
	m.KnownSentinels = []KnownSentinel{{Addr: Addr{"127.0.0.1", freePort(t)}, RunID: peerID}}
	m.RenameCommands = map[string]string{"CONFIG": "XCONFIG"}
	m.RebootDownAfter = 5 * time.Second
	settings := SettingsOf(Default().Sentinel)
	settings.AnnounceIP, settings.AnnouncePort = "127.0.0.1", port
	st := State{MyID: testID, CurrentEpoch: 4, Masters: []Master{m}, Settings: &settings}
	if err := os.WriteFile(path, RewriteConf([]byte(header), st), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var output bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, path, "--sentinel")
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel() // kills this process only, by its PID
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("redis-sentinel output:\n%s", output.String())
		}
	})

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var reply string
	deadline := time.Now().Add(10 * time.Second)
	for {
		reply, err = sendCommand(addr, "PING")
		if err == nil || time.Now().After(deadline) {
			break
		}
		select {
		case <-time.After(50 * time.Millisecond): // poll interval of the eventually-loop
		case <-ctx.Done():
		}
	}
	if err != nil || reply != "+PONG" {
		t.Fatalf("redis-sentinel did not come up on our file: %q %v", reply, err)
	}
	if reply, err := sendCommand(addr, "SENTINEL FLUSHCONFIG"); err != nil || reply != "+OK" {
		t.Fatalf("FLUSHCONFIG: %q %v", reply, err)
	}

	cfg, err := LoadConf(path)
	if err != nil {
		data, _ := os.ReadFile(path)
		t.Fatalf("LoadConf of Redis's rewrite: %v\n%s", err, data)
	}
	got, want := confView(StateOf(cfg)), confView(st)
	if !reflect.DeepEqual(got, want) {
		data, _ := os.ReadFile(path)
		t.Fatalf("Redis's rewrite holds\n%+v\nwant\n%+v\nfile:\n%s", got, want, data)
	}
	if cfg.Sentinel.AnnounceIP != "127.0.0.1" || cfg.Sentinel.AnnouncePort != port {
		t.Errorf("announce settings lost: %+v", cfg.Sentinel)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# operator header\n") {
		t.Errorf("operator header moved:\n%s", data)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sendCommand sends one inline command and returns the first reply line.
func sendCommand(addr, command string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	if _, err := conn.Write([]byte(command + "\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}
