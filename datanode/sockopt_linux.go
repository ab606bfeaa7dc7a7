//go:build linux

package datanode

import (
	"fmt"
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT from linux/tcp.h (not in syscall).
const tcpUserTimeout = 0x12

// limitUnacked bounds how long bytes we sent on a link may stay
// unacknowledged by the node's kernel before the kernel closes the
// connection (TCP_USER_TIMEOUT). See UnackedLimit.
func limitUnacked(rc syscall.RawConn, d time.Duration) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, int(d.Milliseconds()))
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("datanode: set TCP_USER_TIMEOUT: %w", err)
	}
	return nil
}
