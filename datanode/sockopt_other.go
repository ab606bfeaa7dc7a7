//go:build !linux

package datanode

import (
	"syscall"
	"time"
)

// limitUnacked is a no-op where TCP_USER_TIMEOUT is not available: a link
// stuck in retransmission after a partition heals waits for the kernel's
// next retransmission or the pending limit.
func limitUnacked(syscall.RawConn, time.Duration) error { return nil }
