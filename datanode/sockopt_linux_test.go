//go:build linux

package datanode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Every TCP connection a link dials carries UnackedLimit as its
// TCP_USER_TIMEOUT.
func TestUnackedLimitIsSetOnDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{Timeout: time.Second, Control: unackedControl}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		got, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if want := int(UnackedLimit.Milliseconds()); got != want {
		t.Fatalf("TCP_USER_TIMEOUT = %d ms, want %d", got, want)
	}
}

func TestNotReached(t *testing.T) {
	wrap := func(e error) error {
		return fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", e)})
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{wrap(syscall.ECONNREFUSED), true},
		{wrap(syscall.EHOSTUNREACH), true},
		{wrap(syscall.ENETUNREACH), true},
		{wrap(syscall.EINVAL), true},
		{wrap(syscall.ETIMEDOUT), false},
		{wrap(syscall.ECONNRESET), false},
		{context.DeadlineExceeded, false},
		{errors.New("other"), false},
	} {
		if got := notReached(tc.err); got != tc.want {
			t.Errorf("notReached(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
