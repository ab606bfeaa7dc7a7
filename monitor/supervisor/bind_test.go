package supervisor

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"reflect"
	"syscall"
	"testing"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/pubsub"
)

// fakeProbe answers listenAddrs' probes from a table (host -> errno); a
// host not in it can be listened on.
func fakeProbe(fail map[string]syscall.Errno) func(string) error {
	return func(addr string) error {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return err
		}
		if errno, ok := fail[host]; ok {
			return &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", errno)}
		}
		return nil
	}
}

// TestListenAddrs: Redis 7's bind rules. An optional ('-') address the
// host does not have is skipped; one that is not optional is kept so the
// server fails with the real error; an unsupported family is skipped
// either way; "*" and "::*" are the IPv4 and IPv6 wildcards; nothing
// left to listen on is an error.
func TestListenAddrs(t *testing.T) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	noIPv6 := map[string]syscall.Errno{"::1": syscall.EAFNOSUPPORT, "::": syscall.EAFNOSUPPORT, "192.0.2.1": syscall.EADDRNOTAVAIL, "10.9.9.9": syscall.EADDRINUSE}
	for _, tc := range []struct {
		name    string
		bind    []string
		fail    map[string]syscall.Errno
		want    []string
		wantErr bool
	}{
		{"no bind: all addresses", nil, nil, []string{":26379"}, false},
		{"optional IPv6 present", []string{"127.0.0.1", "-::1"}, nil, []string{"127.0.0.1:26379", "[::1]:26379"}, false},
		{"optional IPv6 missing", []string{"127.0.0.1", "-::1"}, noIPv6, []string{"127.0.0.1:26379"}, false},
		{"optional address not on this host", []string{"127.0.0.1", "-192.0.2.1"}, noIPv6, []string{"127.0.0.1:26379"}, false},
		{"required address not on this host", []string{"192.0.2.1", "127.0.0.1"}, noIPv6, []string{"192.0.2.1:26379", "127.0.0.1:26379"}, false},
		{"unsupported family, even required", []string{"127.0.0.1", "::1"}, noIPv6, []string{"127.0.0.1:26379"}, false},
		{"optional but another error", []string{"-10.9.9.9"}, noIPv6, []string{"10.9.9.9:26379"}, false},
		{"both wildcards", []string{"*", "-::*"}, nil, []string{"0.0.0.0:26379", "[::]:26379"}, false},
		{"both wildcards without IPv6", []string{"*", "-::*"}, noIPv6, []string{"0.0.0.0:26379"}, false},
		{"nothing left", []string{"-192.0.2.1", "-::1"}, noIPv6, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := configs.Default()
			cfg.Sentinel.Bind = tc.bind
			got, err := listenAddrs(cfg, discard, fakeProbe(tc.fail))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("addresses %q, want %q", got, tc.want)
			}
		})
	}
}

// TestListenAddrs_RealProbe: on this host 192.0.2.1 (TEST-NET-1) is never
// assigned, so "-192.0.2.1" is skipped and the server starts on the rest.
func TestListenAddrs_RealProbe(t *testing.T) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := configs.Default()
	cfg.Sentinel.Bind = []string{"127.0.0.1", "-192.0.2.1"}
	got, err := listenAddrs(cfg, discard, probeListen)
	if err != nil || !reflect.DeepEqual(got, []string{"127.0.0.1:26379"}) {
		t.Fatalf("listenAddrs = %q, %v; want only 127.0.0.1:26379", got, err)
	}
	if err := probeListen("192.0.2.1:0"); !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Fatalf("probing 192.0.2.1: %v, want EADDRNOTAVAIL", err)
	}
}

// TestListenNetwork: the server listens on each family apart, so "*" and
// "::*" (Redis 7's default bind line) can both be bound, as Redis's
// IPV6_V6ONLY listeners can; no wildcard is bound here (tests stay on
// loopback), the mapping is what Go documents for tcp4 and tcp6.
func TestListenNetwork(t *testing.T) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := configs.Default()
	cfg.Sentinel.Bind = []string{"*", "-::*", "127.0.0.1", "::1"}
	addrs, err := listenAddrs(cfg, discard, fakeProbe(nil))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range addrs {
		got = append(got, pubsub.ListenNetwork(a)+" "+a)
	}
	want := []string{"tcp4 0.0.0.0:26379", "tcp6 [::]:26379", "tcp4 127.0.0.1:26379", "tcp6 [::1]:26379"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("listens on %q, want %q", got, want)
	}
	if n := pubsub.ListenNetwork(":26379"); n != "tcp" {
		t.Fatalf("no bind listens on %q, want dual-stack tcp", n)
	}
}
