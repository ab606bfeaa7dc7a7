package pubsub

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// PauseController is implemented by controllers that can suspend a
// master's failovers; SENTINEL PAUSE answers an error without it.
type PauseController interface {
	Pause(ctx context.Context, name string, d time.Duration) error
}

// cmdSentinelPause is SENTINEL PAUSE <master-name> <seconds>|OFF, ours
// (not in Redis): for that long this sentinel starts no failover of the
// master and votes for no other sentinel's; OFF (or 0) ends it.
func cmdSentinelPause(ctx context.Context, c *client, args [][]byte) {
	pc, ok := controllerFor[PauseController](c, "PAUSE", args[2])
	if !ok {
		return
	}
	d, ok := parsePause(string(args[3]))
	if !ok {
		c.err("ERR Invalid pause: give a number of seconds or OFF")
		return
	}
	if err := pc.Pause(ctx, string(args[2]), d); err != nil {
		c.replyErr(err)
		return
	}
	c.wr.SimpleString("OK")
}

// parsePause reads "<seconds>" (a non-negative integer) or "OFF".
func parsePause(s string) (time.Duration, bool) {
	if strings.EqualFold(s, "off") {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<31 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}
