package pubsub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/acl"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// UsersChanged is called after ACL SETUSER or DELUSER changed the users,
// with the user lines to persist (Options.OnUsersChanged).
type UsersChanged func(lines []string)

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// cmdACLLoad replaces the users with the aclfile's, all or nothing. Unlike
// Redis, a file without a "user default" line leaves the default user as it
// is instead of resetting it to nopass.
func cmdACLLoad(_ context.Context, c *client, _ [][]byte) {
	s := c.srv
	if s.opts.LoadACLFile == nil {
		c.err(errNoACLFile)
		return
	}
	lines, err := s.opts.LoadACLFile()
	if err != nil {
		c.err("ERR " + err.Error())
		return
	}
	s.acl.mu.Lock()
	before := s.acl.reg.Names()
	err = s.acl.reg.Load(lines)
	var gone []string
	for _, name := range before {
		if s.acl.reg.User(name) == nil {
			gone = append(gone, name)
		}
	}
	s.acl.mu.Unlock()
	if err != nil {
		c.err("ERR " + err.Error())
		return
	}
	for _, name := range gone {
		s.dropClientsOf(name, false)
	}
	s.log.Info("ACL file loaded", "users", len(lines))
	c.wr.SimpleString("OK")
}

func cmdACLSave(_ context.Context, c *client, _ [][]byte) {
	s := c.srv
	if s.opts.SaveACLFile == nil {
		c.err(errNoACLFile)
		return
	}
	if err := s.opts.SaveACLFile(s.UserLines()); err != nil {
		s.log.Warn("ACL SAVE failed", "err", err)
		c.err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.wr.SimpleString("OK")
}

func cmdACLWhoAmI(_ context.Context, c *client, _ [][]byte) {
	c.mu.Lock()
	user := c.user
	c.mu.Unlock()
	c.wr.BulkString(user)
}

func cmdACLUsers(_ context.Context, c *client, _ [][]byte) {
	a := c.srv.acl
	a.mu.Lock()
	names := a.reg.Names()
	a.mu.Unlock()
	writeStrings(c.wr, names)
}

func cmdACLList(_ context.Context, c *client, _ [][]byte) {
	writeStrings(c.wr, c.srv.UserLines())
}

// UserLines returns "user <name> <rules>" for every user, sorted by name:
// ACL LIST, and what a config rewrite writes. Passwords appear only as
// SHA-256 hashes.
func (s *Server) UserLines() []string {
	s.acl.mu.Lock()
	defer s.acl.mu.Unlock()
	return s.acl.reg.Lines()
}

func writeStrings(w *resp.Writer, list []string) {
	w.ArrayLen(len(list))
	for _, s := range list {
		w.BulkString(s)
	}
}

func cmdACLCat(_ context.Context, c *client, args [][]byte) {
	if len(args) == 2 {
		writeStrings(c.wr, acl.Categories)
		return
	}
	if len(args) > 3 {
		c.err("ERR wrong number of arguments for 'acl|cat' command")
		return
	}
	c.srv.acl.mu.Lock()
	names, ok := c.srv.acl.reg.Catalog().InCategory(string(args[2]))
	c.srv.acl.mu.Unlock()
	if !ok {
		c.err(fmt.Sprintf("ERR Unknown category '%s'", truncate(string(args[2]), 128)))
		return
	}
	// Only what COMMAND lists (redis-sentinel 7.0's table): our additions
	// (QUIT, CLIENT SETINFO, ...) are in categories but not shown.
	listed := names[:0:0]
	for _, n := range names {
		if lookupMeta(n) != nil {
			listed = append(listed, n)
		}
	}
	writeStrings(c.wr, listed)
}

func cmdACLGenPass(_ context.Context, c *client, args [][]byte) {
	bits := int64(256)
	if len(args) > 3 {
		c.err("ERR wrong number of arguments for 'acl|genpass' command")
		return
	}
	if len(args) == 3 {
		n, ok := resp.ParseInt(string(args[2]))
		if !ok {
			c.err(errNotInteger)
			return
		}
		bits = n
	}
	if bits <= 0 || bits > 4096 {
		c.err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
		return
	}
	chars := int((bits + 3) / 4)
	buf := make([]byte, (chars+1)/2)
	if _, err := rand.Read(buf); err != nil {
		c.err("ERR cannot read random bytes")
		return
	}
	c.wr.BulkString(hex.EncodeToString(buf)[:chars])
}

func cmdACLSetUser(_ context.Context, c *client, args [][]byte) {
	name := string(args[2])
	rules := stringArgs(args[3:])
	if open, ok := acl.UnclosedSelector(rules); ok {
		c.err(fmt.Sprintf("ERR Unmatched parenthesis in acl selector starting at '%s'.", open))
		return
	}
	s := c.srv
	s.acl.mu.Lock()
	before, after, err := s.acl.reg.SetUser(name, rules)
	lines := s.acl.reg.Lines()
	s.acl.mu.Unlock()
	if err != nil {
		c.err("ERR " + err.Error())
		return
	}
	if before != nil && !acl.KeepsChannels(before, after) {
		s.dropClientsOf(name, true)
	}
	s.log.Info("ACL user changed", "user", name)
	s.usersChanged(lines)
	c.wr.SimpleString("OK")
}

func cmdACLDelUser(_ context.Context, c *client, args [][]byte) {
	s := c.srv
	var deleted []string
	s.acl.mu.Lock()
	for _, a := range args[2:] {
		if string(a) == "default" {
			s.acl.mu.Unlock()
			c.err("ERR The 'default' user cannot be removed")
			return
		}
	}
	for _, a := range args[2:] {
		if s.acl.reg.DelUser(string(a)) {
			deleted = append(deleted, string(a))
		}
	}
	lines := s.acl.reg.Lines()
	s.acl.mu.Unlock()
	for _, name := range deleted {
		s.dropClientsOf(name, false)
		s.log.Info("ACL user deleted", "user", name)
	}
	if len(deleted) > 0 {
		s.usersChanged(lines)
	}
	c.wr.Integer(int64(len(deleted)))
}

// usersChanged hands the new user lines to the owner for persistence.
func (s *Server) usersChanged(lines []string) {
	if s.opts.OnUsersChanged != nil {
		s.opts.OnUsersChanged(lines)
	}
}

func cmdACLGetUser(_ context.Context, c *client, args [][]byte) {
	s := c.srv
	s.acl.mu.Lock()
	u := s.acl.reg.User(string(args[2]))
	if u == nil {
		s.acl.mu.Unlock()
		c.wr.Null()
		return
	}
	flags, passwords, sels := u.Flags(), u.Passwords(), u.Selectors(s.acl.reg.Catalog())
	s.acl.mu.Unlock()
	w := c.wr
	w.MapLen(6)
	w.BulkString("flags")
	w.SetLen(len(flags)) // a set in RESP3, as Redis
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("passwords")
	writeStrings(w, passwords)
	writeSelector(w, sels[0])
	w.BulkString("selectors")
	w.ArrayLen(len(sels) - 1)
	for _, sel := range sels[1:] {
		w.MapLen(3)
		writeSelector(w, sel)
	}
}

func writeSelector(w *resp.Writer, s acl.SelectorInfo) {
	bulkField(w, "commands", s.Commands)
	bulkField(w, "keys", s.Keys)
	bulkField(w, "channels", s.Channels)
}

func cmdACLDryRun(_ context.Context, c *client, args [][]byte) {
	s := c.srv
	user := string(args[2])
	var nameBuf [32]byte
	cmd := commandTable[string(lowerName(nameBuf[:0], args[3]))]
	if cmd != nil && cmd.subs != nil && len(args) >= 5 {
		cmd = cmd.subs[strings.ToLower(string(args[4]))]
	}
	s.acl.mu.Lock()
	defer s.acl.mu.Unlock()
	u := s.acl.reg.User(user)
	if u == nil {
		c.err(fmt.Sprintf("ERR User '%s' not found", truncate(user, 128)))
		return
	}
	if cmd == nil {
		c.err(fmt.Sprintf("ERR Command '%s' not found", truncate(string(args[3]), 128)))
		return
	}
	cargs := args[3:]
	if (cmd.arity > 0 && len(cargs) != cmd.arity) || len(cargs) < -cmd.arity {
		c.err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.name))
		return
	}
	ac := s.acl.reg.Catalog().Lookup(cmd.name)
	if ac == nil {
		c.err(fmt.Sprintf("ERR Command '%s' not found", truncate(string(args[3]), 128)))
		return
	}
	switch d, object := denial(u, ac, cmd, cargs); d {
	case acl.Allowed:
		c.wr.SimpleString("OK")
	case acl.DeniedChannel:
		c.wr.BulkString(fmt.Sprintf("This user has no permissions to access the '%s' channel", object))
	default:
		c.wr.BulkString(fmt.Sprintf("This user has no permissions to run the '%s' command", cmd.name))
	}
}

func cmdACLLog(_ context.Context, c *client, args [][]byte) {
	s := c.srv
	count := int64(10)
	if len(args) > 3 {
		c.err("ERR wrong number of arguments for 'acl|log' command")
		return
	}
	if len(args) == 3 {
		if strings.EqualFold(string(args[2]), "reset") {
			s.acl.mu.Lock()
			s.acl.reg.ResetLog()
			s.acl.mu.Unlock()
			c.wr.SimpleString("OK")
			return
		}
		n, ok := resp.ParseInt(string(args[2]))
		if !ok {
			c.err(errNotInteger)
			return
		}
		count = max(n, 0)
	}
	s.acl.mu.Lock()
	entries := s.acl.reg.Log(int(min(count, 1<<20)))
	s.acl.mu.Unlock()
	now := time.Now()
	w := c.wr
	w.ArrayLen(len(entries))
	for _, e := range entries {
		w.MapLen(7)
		w.BulkString("count")
		w.Integer(int64(e.Count))
		bulkField(w, "reason", e.Reason)
		bulkField(w, "context", e.Context)
		bulkField(w, "object", e.Object)
		bulkField(w, "username", e.Username)
		w.BulkString("age-seconds")
		w.Double(float64(now.Sub(e.Created).Milliseconds()) / 1000)
		bulkField(w, "client-info", e.ClientInfo)
	}
}

func cmdACLHelp(_ context.Context, c *client, _ [][]byte) {
	// redis-sentinel 7.0.15's text, word for word.
	writeHelp(c, "ACL", []string{
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
	})
}
