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
// either way; the two wildcards become one dual-stack listener; nothing
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
		{"both wildcards", []string{"*", "-::*"}, nil, []string{":26379"}, false},
		{"IPv4 wildcard", []string{"*"}, nil, []string{"0.0.0.0:26379"}, false},
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
