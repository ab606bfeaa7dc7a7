//go:build linux

package datanode

import (
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// limitUnacked bounds how long bytes we sent on a link may stay
// unacknowledged by the node's kernel before the kernel closes the
// connection (TCP_USER_TIMEOUT). See UnackedLimit.
func limitUnacked(rc syscall.RawConn, d time.Duration) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d.Milliseconds()))
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("datanode: set TCP_USER_TIMEOUT: %w", err)
	}
	return nil
}
