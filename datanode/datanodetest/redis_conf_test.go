package datanodetest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestStartRedis_ConfText checks that ConfText reaches redis-server as a
// config file (rename-command exists only there), that the generated flags
// still apply, and that the file survives Restart.
func TestStartRedis_ConfText(t *testing.T) {
	p := StartRedis(t, RedisOptions{ConfText: "rename-command CONFIG XCONFIG\n"})
	confPath := filepath.Join(p.Dir(), RedisConfName)
	if b, err := os.ReadFile(confPath); err != nil || string(b) != "rename-command CONFIG XCONFIG\n" {
		t.Fatalf("%s = %q, %v", confPath, b, err)
	}
	check := func(when string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		// The client speaks RESP3, where CONFIG GET answers with a map.
		got, err := p.Client().Do(ctx, "XCONFIG", "GET", "port").Result()
		if m, ok := got.(map[any]any); err != nil || !ok || len(m) != 1 || m["port"] != strconv.Itoa(p.Port()) {
			t.Fatalf("%s: XCONFIG GET port = %#v, %v; want port %d", when, got, err, p.Port())
		}
		if err := p.Client().Do(ctx, "CONFIG", "GET", "port").Err(); err == nil || !strings.Contains(err.Error(), "unknown command") {
			t.Fatalf("%s: CONFIG GET port = %v, want an unknown-command error", when, err)
		}
	}
	check("after start")
	if err := p.Restart(t.Context()); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	check("after restart")
}

// TestStartRedis_ConfTextPasswordAndRenamedPing checks that a server whose
// config file requires a password and renames PING is still seen as up.
func TestStartRedis_ConfTextPasswordAndRenamedPing(t *testing.T) {
	p := StartRedis(t, RedisOptions{ConfText: "requirepass s3cret\nrename-command PING XPING\n"})
	// Redis looks the command up before it checks authentication.
	if err := p.Client().Ping(t.Context()).Err(); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("PING without the password = %v, want an unknown-command error", err)
	}
	if err := p.Client().Do(t.Context(), "XPING").Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("XPING without the password = %v, want NOAUTH", err)
	}
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), Password: "s3cret", Protocol: 2, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if got, err := c.Do(ctx, "XPING").Text(); err != nil || got != "PONG" {
		t.Fatalf("XPING with the password = %q, %v; want PONG", got, err)
	}
	if err := c.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("PING with the password = %v, want an unknown-command error", err)
	}
}

// replyError is a server error reply, as go-redis reports one.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

func TestConfPingAnswered(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{replyError("NOAUTH Authentication required."), true},
		{replyError("ERR unknown command 'PING', with args beginning with: "), true},
		{replyError("LOADING Redis is loading the dataset in memory"), false},
		{replyError("ERR wrong number of arguments"), false},
		{errors.New("NOAUTH but not a server reply"), false},
		{context.DeadlineExceeded, false},
	}
	for _, tc := range cases {
		if got := confPingAnswered(tc.err); got != tc.want {
			t.Errorf("confPingAnswered(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
