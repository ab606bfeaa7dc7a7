package pubsub

import (
	"context"
	"strings"
)

// replyMode is a connection's CLIENT REPLY state.
type replyMode uint8

const (
	replyOn       replyMode = iota
	replyOff                // CLIENT REPLY OFF: no reply until CLIENT REPLY ON
	replySkipNext           // CLIENT REPLY SKIP was just run
	replySkip               // this command's reply is dropped
)

// cmdClientReply answers CLIENT REPLY ON|OFF|SKIP as Redis: ON answers
// +OK, OFF and SKIP answer nothing.
func cmdClientReply(_ context.Context, c *client, args [][]byte) {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.reply = replyOn
		c.wr.SimpleString("OK")
	case "off":
		c.reply = replyOff
	case "skip":
		if c.reply != replyOff {
			c.reply = replySkipNext
		}
	default:
		c.err(errSyntax)
	}
}

// applyReplyMode runs after every command: it drops what the command
// wrote past mark when replies are off or skipped, then moves SKIP on
// (the command after CLIENT REPLY SKIP is the one skipped). Pub/sub
// messages do not pass here: they are delivered whatever the mode, as
// Redis pushes them.
func (c *client) applyReplyMode(mark int) {
	switch c.reply {
	case replyOff:
		c.wr.Truncate(mark)
	case replySkip:
		c.wr.Truncate(mark)
		c.reply = replyOn
	case replySkipNext:
		c.reply = replySkip
	}
}
