package datanode

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/monitor"
)

// Classify maps the outcome of a command to the reply class Sentinel's
// sentinelPingReplyCallback distinguishes:
//
//   - nil: ReplyPong (any non-error reply);
//   - a Redis error reply starting with the word LOADING, MASTERDOWN or BUSY:
//     ReplyLoading, ReplyMasterDown, ReplyBusy (BUSYKEY and BUSYGROUP are
//     other errors: only the whole first word counts);
//   - any other Redis error reply: ReplyOther;
//   - a well-formed reply of the wrong shape (PING answered by an array):
//     ReplyOther, connected but not valid;
//   - a deadline (context, socket or pool wait): ReplyTimeout;
//   - everything else (refused, reset, EOF, closed client, garbage on the
//     link, a reply over ReplyLimits, a recovered panic, a dial deferred by
//     the reconnect backoff): ReplyConnErr, because the link can no longer
//     be trusted.
func Classify(err error) monitor.ReplyKind {
	if err == nil {
		return monitor.ReplyPong
	}
	var redisErr redis.Error
	if errors.As(err, &redisErr) {
		code, _, _ := strings.Cut(redisErr.Error(), " ")
		switch code {
		case "LOADING":
			return monitor.ReplyLoading
		case "MASTERDOWN":
			return monitor.ReplyMasterDown
		case "BUSY":
			return monitor.ReplyBusy
		default:
			return monitor.ReplyOther
		}
	}
	if errors.Is(err, errUnexpectedReply) {
		return monitor.ReplyOther
	}
	if isTimeout(err) {
		return monitor.ReplyTimeout
	}
	return monitor.ReplyConnErr
}

// isTimeout reports whether err is some flavour of "no answer in time".
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, redis.ErrPoolTimeout) {
		return true
	}
	// A refused or reset connection is never a timeout, whatever the
	// wrapping net.Error claims.
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
