package pubsub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// handler runs one command and writes its reply to c.wr (the caller holds
// c.wmu). args[0] is the command name as sent.
type handler func(ctx context.Context, c *client, args [][]byte)

// dispatch validates and runs one command, in Redis's order: unknown
// command or subcommand, arity, authentication, subscribed context.
//
// The checks live in resolve, so that their locals (name buffers,
// formatted errors) are off the stack by the time the handler runs: an
// idle connection's goroutine keeps the stack its deepest command needed.
func (s *Server) dispatch(ctx context.Context, c *client, args [][]byte) {
	if len(c.votes) > 0 && !isVoteCommand(args) {
		c.answerVotes() // their replies come first (votebatch.go)
	}
	mark := c.wr.Buffered()
	if cmd := s.resolve(c, args); cmd != nil {
		s.pause.wait(ctx, cmd.name)
		cmd.run(ctx, c, args)
		c.endCaching(cmd)
	} else {
		c.answerVotesBefore(mark)
	}
	c.applyReplyMode(mark)
}

// resolve finds the command for args and checks that c may run it; when
// it may not, resolve writes the error reply and returns nil.
//
//go:noinline
func (s *Server) resolve(c *client, args [][]byte) *command {
	s.stats.commands.Add(1)
	cmd := c.cmdCache.get(args)
	if cmd == nil {
		if cmd = lookupCommand(c, args); cmd == nil {
			return nil
		}
		c.cmdCache.set(args, cmd)
	}
	s.countCommand(cmd.name)
	now := c.batchAt
	if now.IsZero() { // dispatch called outside handle (tests)
		now = time.Now()
	}
	s.stats.rates.sample(now, &s.stats)
	// Only this goroutine writes them: a pipelined batch of one command
	// takes the lock once.
	if c.lastCmd != cmd.name || !c.lastSeen.Equal(now) {
		c.mu.Lock()
		c.lastCmd, c.lastSeen = cmd.name, now
		c.mu.Unlock()
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || len(args) < -cmd.arity {
		c.err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.name))
		return nil
	}
	if !c.authenticated && !cmd.noAuth {
		c.err(errNoAuth)
		return nil
	}
	if !s.checkACL(c, cmd, args) {
		return nil
	}
	if c.wr.Protocol() == resp.RESP2 && c.subscribed() && !cmd.pubsub {
		c.err(fmt.Sprintf(subscribedContextFmt, cmd.name))
		return nil
	}
	if cmd.run == nil {
		// A container called without a subcommand that has no action of
		// its own; arity and the lookup above refuse that today, this is a
		// guard for future table entries.
		c.err(unknownSubcommandError(args[1], cmd.name))
		return nil
	}
	return cmd
}

// lookupCommand finds the command (or subcommand) args names; when there
// is none it writes the error reply and returns nil.
func lookupCommand(c *client, args [][]byte) *command {
	s := c.srv
	var nameBuf [32]byte
	cmd := commandTable[string(lowerName(nameBuf[:0], args[0]))]
	if cmd == nil {
		s.countCommand("unknown")
		c.err(unknownCommandError(args))
		return nil
	}
	if cmd.subs != nil && len(args) >= 2 {
		sub := cmd.subs[string(lowerName(nameBuf[:0], args[1]))]
		if sub == nil {
			s.countCommand(cmd.name)
			c.err(unknownSubcommandError(args[1], cmd.name))
			return nil
		}
		cmd = sub
	}
	return cmd
}

// cmdCache remembers the last command a connection resolved, by the
// name (and subcommand name) bytes as sent: a client repeating a command
// skips the case folding and the table lookups.
type cmdCache struct {
	name, sub []byte
	hasSub    bool // cmd is a subcommand, found by sub
	cmd       *command
}

// maxCachedName bounds the names kept (the longest command names are
// about 30 bytes).
const maxCachedName = 64

func (k *cmdCache) get(args [][]byte) *command {
	if k.cmd == nil || !bytes.Equal(args[0], k.name) {
		return nil
	}
	if !k.hasSub {
		return k.cmd
	}
	if len(args) >= 2 && bytes.Equal(args[1], k.sub) {
		return k.cmd
	}
	return nil
}

// set remembers cmd, found for args. A container run without its
// subcommand is not kept (get could not tell it from the subcommand).
func (k *cmdCache) set(args [][]byte, cmd *command) {
	k.cmd = nil
	if len(args[0]) > maxCachedName {
		return
	}
	k.hasSub = strings.Contains(cmd.name, "|")
	if !k.hasSub && cmd.subs != nil {
		return
	}
	if k.hasSub {
		if len(args) < 2 || len(args[1]) > maxCachedName {
			return
		}
		k.sub = append(k.sub[:0], args[1]...)
	}
	k.name = append(k.name[:0], args[0]...)
	k.cmd = cmd
}

// unknownSubcommandError renders Redis's text for an unknown subcommand.
func unknownSubcommandError(sub []byte, container string) string {
	return fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", truncate(string(sub), 128), strings.ToUpper(container))
}

// lowerName lower-cases an ASCII command name into dst (a stack buffer
// for the usual short names); callers look it up as m[string(b)], which
// does not allocate.
func lowerName(dst []byte, name []byte) []byte {
	for _, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return dst
}

// unknownCommandError renders Redis 7.0's text: the name, then each
// argument quoted with a trailing space, stopping once 128 bytes of
// arguments were shown.
func unknownCommandError(args [][]byte) string {
	var b strings.Builder
	for i := 1; i < len(args) && b.Len() < 128; i++ {
		room := 128 - b.Len()
		b.WriteString("'" + truncate(string(args[i]), room) + "' ")
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", truncate(string(args[0]), 128), b.String())
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// err writes an error reply and counts it for INFO.
func (c *client) err(text string) {
	c.srv.stats.errorReplies.Add(1)
	c.wr.Error(text)
}

// replyErr writes the RESP error for a Controller error: verbatim for
// *monitor.CommandError and for errors that carry their own RESP text,
// "ERR <text>" otherwise.
func (c *client) replyErr(err error) {
	var ce *monitor.CommandError
	if errors.As(err, &ce) {
		c.err(ce.Error())
		return
	}
	var re interface{ RESPError() string }
	if errors.As(err, &re) {
		c.err(re.RESPError())
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		c.err("ERR sentinel is shutting down")
		return
	}
	c.err("ERR " + err.Error())
}

func cmdPing(_ context.Context, c *client, args [][]byte) {
	if len(args) > 2 {
		c.err("ERR wrong number of arguments for 'ping' command")
		return
	}
	if c.wr.Protocol() == resp.RESP2 && c.subscribed() {
		// Inside a RESP2 subscription a reply must look like a message:
		// ["pong", msg] (go-redis's pub/sub health check expects it).
		c.wr.ArrayLen(2)
		c.wr.BulkString(kindPong)
		if len(args) == 2 {
			c.wr.Bulk(args[1])
		} else {
			c.wr.BulkString("")
		}
		return
	}
	if len(args) == 2 {
		c.wr.Bulk(args[1])
		return
	}
	c.wr.SimpleString("PONG")
}

func cmdQuit(_ context.Context, c *client, _ [][]byte) {
	c.wr.SimpleString("OK")
	c.quitAfter = true
}

func cmdAuth(_ context.Context, c *client, args [][]byte) {
	if len(args) > 3 {
		c.err(errSyntax)
		return
	}
	user, pass := "default", string(args[1])
	if len(args) == 3 {
		user, pass = string(args[1]), string(args[2])
	} else if nopass, _ := c.srv.acl.defaultOpen(); nopass {
		c.err(errAuthNoPassword)
		return
	}
	if !c.srv.authenticate(c, "AUTH", user, pass) {
		c.err(errWrongPass)
		return
	}
	c.setAuthenticated(user)
	c.wr.SimpleString("OK")
}

func cmdHello(_ context.Context, c *client, args [][]byte) {
	proto, ok := helloOptions(c, args)
	if !ok {
		return
	}
	c.setProto(proto)
	// Exactly redis-sentinel's reply: no "role" field in sentinel mode
	// (testdata/redis-7.0.15/hello.resp3).
	c.wr.MapLen(6)
	c.wr.BulkString("server")
	c.wr.BulkString("redis")
	c.wr.BulkString("version")
	c.wr.BulkString(redisVersion)
	c.wr.BulkString("proto")
	c.wr.Integer(int64(proto))
	c.wr.BulkString("id")
	c.wr.Integer(int64(c.id))
	c.wr.BulkString("mode")
	c.wr.BulkString("sentinel")
	c.wr.BulkString("modules")
	c.wr.ArrayLen(0)
}

// helloOptions applies HELLO's protocol version, AUTH and SETNAME options
// and returns the protocol to switch to; it writes the error reply and
// returns false when they are refused. Kept apart from cmdHello so that
// its locals are not on the stack while the reply is written.
//
//go:noinline
func helloOptions(c *client, args [][]byte) (int, bool) {
	proto := c.wr.Protocol()
	if len(args) >= 2 {
		v, ok := resp.ParseInt(string(args[1]))
		if !ok {
			c.err(errProtoNotInteger)
			return 0, false
		}
		if v < resp.RESP2 || v > resp.RESP3 {
			c.err(errNoProto)
			return 0, false
		}
		proto = int(v)
	}
	var user, pass, name string
	var withAuth, withName bool
	for i := 2; i < len(args); {
		more := len(args) - 1 - i
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "auth" && more >= 2:
			withAuth, user, pass = true, string(args[i+1]), string(args[i+2])
			i += 3
		case opt == "setname" && more >= 1:
			withName, name = true, string(args[i+1])
			i += 2
		default:
			c.err(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", truncate(string(args[i]), 128)))
			return 0, false
		}
	}
	if withAuth {
		if !c.srv.authenticate(c, "HELLO", user, pass) {
			c.err(errWrongPass)
			return 0, false
		}
		c.setAuthenticated(user)
	}
	if !c.authenticated {
		c.err(errNoAuthHello)
		return 0, false
	}
	if withName {
		if !validClientName(name) {
			c.err(errBadClientName)
			return 0, false
		}
		c.mu.Lock()
		c.name = name
		c.mu.Unlock()
	}
	return proto, true
}

func cmdRole(_ context.Context, c *client, _ [][]byte) {
	snap := c.srv.snapshot()
	c.wr.ArrayLen(2)
	c.wr.BulkString("sentinel")
	c.wr.ArrayLen(len(snap.Masters))
	for i := range snap.Masters {
		c.wr.BulkString(snap.Masters[i].Name)
	}
}

func cmdShutdown(ctx context.Context, c *client, args [][]byte) {
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave", "save", "now", "force":
			// Sentinel has no dataset; the state file is always flushed.
		case "abort":
			c.err("ERR No shutdown in progress.")
			return
		default:
			c.err(errSyntax)
			return
		}
	}
	c.srv.log.Info("SHUTDOWN requested by client", "client_id", c.id)
	if err := c.srv.ctrl.Shutdown(ctx); err != nil {
		c.srv.log.Warn("SHUTDOWN failed", "err", err)
		c.err("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	// Like Redis, a successful SHUTDOWN sends no reply: the connection
	// just closes.
	c.quitAfter = true
}

func cmdPublish(ctx context.Context, c *client, args [][]byte) {
	if string(args[1]) != helloChannel {
		c.err(errOnlyHello)
		return
	}
	// sentinelPublishCommand answers 1 whatever the hello contained; a
	// malformed one is only logged.
	if err := c.srv.ctrl.Hello(ctx, string(args[2])); err != nil {
		c.srv.log.Debug("hello published to us was refused", "client_id", c.id, "err", err)
	}
	c.wr.Integer(1)
}

func cmdSubscribe(ctx context.Context, c *client, args [][]byte) {
	pattern := strings.EqualFold(string(args[0]), "psubscribe")
	sub := c.subscriberFor(ctx) // creates the subscription sets
	kind, set, counter := kindSubscribe, c.channels, &c.nChannels
	if pattern {
		kind, set, counter = kindPSubscribe, c.patterns, &c.nPatterns
	}
	for _, a := range args[1:] {
		name := string(a)
		if _, ok := set[name]; !ok {
			set[name] = struct{}{}
			counter.Store(int32(len(set)))
			c.srv.bus.add(pattern, name, sub)
		}
		c.wr.PushLen(3)
		c.wr.BulkString(kind)
		c.wr.BulkString(name)
		c.wr.Integer(int64(len(c.channels) + len(c.patterns)))
	}
}

func cmdUnsubscribe(_ context.Context, c *client, args [][]byte) {
	pattern := strings.EqualFold(string(args[0]), "punsubscribe")
	kind, set, counter := kindUnsubscribe, c.channels, &c.nChannels
	if pattern {
		kind, set, counter = kindPUnsubscribe, c.patterns, &c.nPatterns
	}
	var names []string
	if len(args) > 1 {
		for _, a := range args[1:] {
			names = append(names, string(a))
		}
	} else {
		for name := range set {
			names = append(names, name)
		}
		slices.Sort(names)
	}
	if len(names) == 0 {
		// Nothing to leave: Redis still answers once, with a null name.
		c.wr.PushLen(3)
		c.wr.BulkString(kind)
		c.wr.Null()
		c.wr.Integer(int64(len(c.channels) + len(c.patterns)))
		return
	}
	for _, name := range names {
		if _, ok := set[name]; ok {
			delete(set, name)
			counter.Store(int32(len(set)))
			c.srv.bus.remove(pattern, name, c.sub)
		}
		c.wr.PushLen(3)
		c.wr.BulkString(kind)
		c.wr.BulkString(name)
		c.wr.Integer(int64(len(c.channels) + len(c.patterns)))
	}
}
