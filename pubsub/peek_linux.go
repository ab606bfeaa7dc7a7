package pubsub

import (
	"net"
	"syscall"
)

// peeker tells whether a socket has bytes waiting, without reading them.
type peeker interface{ readable() bool }

// sockPeeker peeks at a plain socket with a non-blocking MSG_PEEK.
type sockPeeker struct{ rc syscall.RawConn }

// newPeeker returns a peeker for a plain TCP or Unix socket, nil for
// anything else (TLS: bytes in the socket are not yet a command).
func newPeeker(nc net.Conn) peeker {
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return sockPeeker{rc: rc}
}

// readable reports whether at least one byte can be read at once. Errors
// (a closed or reset socket) say false: the caller then flushes and
// reads, which reports them.
func (p sockPeeker) readable() bool {
	var one [1]byte
	n := 0
	err := p.rc.Read(func(fd uintptr) bool {
		n, _, _ = syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait: this is a peek, not a read
	})
	return err == nil && n > 0
}
