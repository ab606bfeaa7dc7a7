package datanodetest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestTailLines(t *testing.T) {
	cases := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"empty", "", 3, ""},
		{"fewer lines than n", "a\nb\n", 3, "a\nb"},
		{"exactly n", "a\nb\nc\n", 3, "a\nb\nc"},
		{"more than n", "a\nb\nc\nd\ne", 2, "d\ne"},
		{"zero", "a\nb", 0, ""},
		{"negative", "a\nb", -1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tailLines(strings.NewReader(tc.in), tc.n); got != tc.want {
				t.Fatalf("tailLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}

const sampleInfo = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\nweird\r\nempty:\r\n"

func TestInfoValue(t *testing.T) {
	cases := []struct{ key, want string }{
		{"role", "slave"},
		{"master_host", "127.0.0.1"},
		{"master_port", "6379"},
		{"master_link_status", "up"},
		{"empty", ""},
		{"missing", ""},
		{"weird", ""},
		{"# Replication", ""},
	}
	for _, tc := range cases {
		if got := InfoValue(sampleInfo, tc.key); got != tc.want {
			t.Errorf("InfoValue(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

func FuzzInfoValue(f *testing.F) {
	f.Add(sampleInfo, "role")
	f.Add("a:b:c\n", "a")
	f.Add("\r\n:\r\n", "")
	f.Add("k:v", "k")
	f.Fuzz(func(t *testing.T, info, key string) {
		got := InfoValue(info, key)
		if strings.ContainsAny(key, ":\r\n") {
			return // such keys cannot be addressed; only "no panic" applies
		}
		if got == "" {
			return
		}
		// A found value must come from a line "key:value" of the input.
		if !strings.Contains(info, key+":"+got) {
			t.Fatalf("InfoValue(%q, %q) = %q, not present in input", info, key, got)
		}
		// A value ends at the line break; a lone CR inside a line is data.
		if strings.Contains(got, "\n") || strings.HasSuffix(got, "\r") {
			t.Fatalf("value %q spans lines or keeps the line ending", got)
		}
	})
}

func TestPoll_TrueAfterSomeTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		err := Poll(t.Context(), time.Second, 10*time.Millisecond, func() bool {
			calls++
			return calls == 4
		})
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		if calls != 4 {
			t.Fatalf("cond called %d times, want 4", calls)
		}
	})
}

func TestPoll_TimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		err := Poll(t.Context(), time.Second, 100*time.Millisecond, func() bool { return false })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Poll error = %v, want deadline exceeded", err)
		}
		if elapsed := time.Since(start); elapsed != time.Second {
			t.Fatalf("Poll gave up after %v (fake clock), want exactly 1s", elapsed)
		}
	})
}

func TestPoll_RejectsBadTick(t *testing.T) {
	if err := Poll(t.Context(), time.Second, 0, func() bool { return true }); err == nil {
		t.Fatal("Poll with tick 0 returned nil error")
	}
}

func TestSentinelConf(t *testing.T) {
	got := SentinelConf(26400, "/tmp/s1", SentinelOptions{
		MasterName: "mymaster",
		MasterAddr: "127.0.0.1:6400",
		ConfText:   "sentinel deny-scripts-reconfig yes",
	})
	want := `bind 127.0.0.1
port 26400
dir "/tmp/s1"
sentinel monitor mymaster 127.0.0.1 6400 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
sentinel deny-scripts-reconfig yes
`
	if got != want {
		t.Fatalf("SentinelConf:\n%s\nwant:\n%s", got, want)
	}
}

func TestLaunch_RejectsBadOptions(t *testing.T) {
	ctx := t.Context()
	if _, err := LaunchRedis(ctx, RedisOptions{Port: 70000}); err == nil {
		t.Error("LaunchRedis accepted port 70000")
	}
	if _, err := LaunchRedis(ctx, RedisOptions{ReplicaOf: ":0"}); err == nil {
		t.Error("LaunchRedis accepted an empty replica-of address")
	}
	if _, err := LaunchRedisSentinel(ctx, SentinelOptions{Port: -1}); err == nil {
		t.Error("LaunchRedisSentinel accepted port -1")
	}
	if _, err := LaunchRedisSentinel(ctx, SentinelOptions{MasterName: "my master", MasterAddr: "127.0.0.1:1"}); err == nil {
		t.Error("LaunchRedisSentinel accepted a master name with a space")
	}
	if _, err := LaunchRedisSentinel(ctx, SentinelOptions{MasterName: "m"}); err == nil {
		t.Error("LaunchRedisSentinel accepted a missing master address")
	}
}

func TestEventually_Describe(t *testing.T) {
	if got := describe([]any{"replica %d up", 2}); got != "replica 2 up" {
		t.Fatalf("describe = %q", got)
	}
	if got := describe(nil); got != "condition" {
		t.Fatalf("describe(nil) = %q", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSplitAddr(t *testing.T) {
	cases := []struct {
		in       string
		host     string
		port     int
		wantFail bool
	}{
		{"127.0.0.1:6379", "127.0.0.1", 6379, false},
		{"[::1]:26379", "::1", 26379, false},
		{"localhost:1", "localhost", 1, false},
		{":6379", "", 0, true},
		{"127.0.0.1:0", "", 0, true},
		{"127.0.0.1:65536", "", 0, true},
		{"127.0.0.1", "", 0, true},
		{"127.0.0.1:x", "", 0, true},
		{"", "", 0, true},
	}
	for _, tc := range cases {
		host, port, err := SplitAddr(tc.in)
		if (err != nil) != tc.wantFail || host != tc.host || port != tc.port {
			t.Errorf("SplitAddr(%q) = %q, %d, %v", tc.in, host, port, err)
		}
	}
}

func FuzzSplitAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:6379", "[::1]:1", ":", "a:b:c", "[::1", "h:+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		host, port, err := SplitAddr(addr)
		if err != nil {
			return
		}
		if host == "" || port < 1 || port > 65535 {
			t.Fatalf("SplitAddr(%q) accepted host %q port %d", addr, host, port)
		}
		h2, p2, err := SplitAddr(net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil || h2 != host || p2 != port {
			t.Fatalf("round trip of %q: %q %d %v", addr, h2, p2, err)
		}
	})
}
