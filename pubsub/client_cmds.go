package pubsub

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/pubsub/resp"
)

func cmdClientSetName(_ context.Context, c *client, args [][]byte) {
	name := string(args[2])
	if !validClientName(name) {
		c.err(errBadClientName)
		return
	}
	c.mu.Lock()
	c.name = name
	c.mu.Unlock()
	c.wr.SimpleString("OK")
}

func cmdClientGetName(_ context.Context, c *client, _ [][]byte) {
	c.mu.Lock()
	name := c.name
	c.mu.Unlock()
	if name == "" {
		c.wr.Null()
		return
	}
	c.wr.BulkString(name)
}

func cmdClientID(_ context.Context, c *client, _ [][]byte) { c.wr.Integer(int64(c.id)) }

// cmdClientSetInfo accepts LIB-NAME / LIB-VER (Redis 7.2). redis-sentinel
// 7.0 answers "unknown subcommand"; clients ignore either way, and
// accepting lets CLIENT LIST show which library a client uses.
func cmdClientSetInfo(_ context.Context, c *client, args [][]byte) {
	attr, val := strings.ToLower(string(args[2])), string(args[3])
	if attr != "lib-name" && attr != "lib-ver" {
		c.err(fmt.Sprintf("ERR Unrecognized option '%s'", truncate(string(args[2]), 128)))
		return
	}
	if !validClientName(val) {
		c.err(fmt.Sprintf("ERR %s cannot contain spaces, newlines or special characters.", attr))
		return
	}
	c.mu.Lock()
	if attr == "lib-name" {
		c.libName = val
	} else {
		c.libVer = val
	}
	c.mu.Unlock()
	c.wr.SimpleString("OK")
}

func cmdClientInfo(_ context.Context, c *client, _ [][]byte) {
	c.wr.Verbatim("txt", c.infoLine(time.Now())+"\n")
}

func cmdClientList(_ context.Context, c *client, args [][]byte) {
	var keep func(*client) bool
	switch {
	case len(args) == 2:
		keep = func(*client) bool { return true }
	case len(args) == 4 && strings.EqualFold(string(args[2]), "type"):
		typ := strings.ToLower(string(args[3]))
		switch typ {
		case "normal":
			keep = func(o *client) bool { return o.nChannels.Load()+o.nPatterns.Load() == 0 }
		case "pubsub":
			keep = func(o *client) bool { return o.nChannels.Load()+o.nPatterns.Load() > 0 }
		case "master", "replica", "slave":
			keep = func(*client) bool { return false }
		default:
			c.err(fmt.Sprintf("ERR Unknown client type '%s'", truncate(string(args[3]), 128)))
			return
		}
	case len(args) >= 4 && strings.EqualFold(string(args[2]), "id"):
		ids := map[uint64]bool{}
		for _, a := range args[3:] {
			n, ok := resp.ParseInt(string(a))
			if !ok || n <= 0 {
				c.err("ERR Invalid client ID")
				return
			}
			ids[uint64(n)] = true
		}
		keep = func(o *client) bool { return ids[o.id] }
	default:
		c.err(errSyntax)
		return
	}
	now := time.Now()
	var b strings.Builder
	for _, o := range c.srv.clientList() {
		if keep(o) {
			b.WriteString(o.infoLine(now))
			b.WriteByte('\n')
		}
	}
	c.wr.Verbatim("txt", b.String())
}

// cmdClientKill supports the old form (CLIENT KILL addr:port) and the
// filter form (ID, ADDR, LADDR, TYPE, USER, SKIPME).
func cmdClientKill(_ context.Context, c *client, args [][]byte) {
	if len(args) == 3 {
		addr := string(args[2])
		for _, o := range c.srv.clientList() {
			if o.conn.RemoteAddr().String() == addr {
				c.kill(o)
				c.wr.SimpleString("OK")
				return
			}
		}
		c.err(errNoSuchClient)
		return
	}
	if len(args)%2 != 0 {
		c.err(errSyntax)
		return
	}
	var filters []func(*client) bool
	skipMe := true
	for i := 2; i < len(args); i += 2 {
		key, val := strings.ToLower(string(args[i])), string(args[i+1])
		switch key {
		case "id":
			n, ok := resp.ParseInt(val)
			if !ok || n <= 0 {
				c.err("ERR client-id should be greater than 0")
				return
			}
			filters = append(filters, func(o *client) bool { return o.id == uint64(n) })
		case "addr":
			filters = append(filters, func(o *client) bool { return o.conn.RemoteAddr().String() == val })
		case "laddr":
			filters = append(filters, func(o *client) bool { return o.conn.LocalAddr().String() == val })
		case "user":
			filters = append(filters, func(o *client) bool {
				o.mu.Lock()
				defer o.mu.Unlock()
				return o.user == val
			})
		case "type":
			switch strings.ToLower(val) {
			case "normal":
				filters = append(filters, func(o *client) bool { return o.nChannels.Load()+o.nPatterns.Load() == 0 })
			case "pubsub":
				filters = append(filters, func(o *client) bool { return o.nChannels.Load()+o.nPatterns.Load() > 0 })
			case "master", "replica", "slave":
				filters = append(filters, func(*client) bool { return false })
			default:
				c.err(fmt.Sprintf("ERR Unknown client type '%s'", truncate(val, 128)))
				return
			}
		case "skipme":
			switch strings.ToLower(val) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.err(errSyntax)
				return
			}
		default:
			c.err(errSyntax)
			return
		}
	}
	killed := 0
	for _, o := range c.srv.clientList() {
		if o == c && skipMe {
			continue
		}
		match := true
		for _, f := range filters {
			if !f(o) {
				match = false
				break
			}
		}
		if match {
			c.kill(o)
			killed++
		}
	}
	c.wr.Integer(int64(killed))
}

// kill closes another connection, or this one after the reply is sent.
func (c *client) kill(o *client) {
	if o == c {
		c.quitAfter = true
		return
	}
	o.close()
}

func cmdClientHelp(_ context.Context, c *client, _ [][]byte) {
	writeHelp(c, "CLIENT", []string{
		"GETNAME", "    Return the name of the current connection.",
		"ID", "    Return the ID of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"KILL <ip:port>", "    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are: ID, ADDR, LADDR, TYPE, USER, SKIPME.",
		"LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)]", "    Return information about client connections.",
		"SETINFO <option> <value>", "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
	})
}

func writeHelp(c *client, container string, lines []string) {
	c.wr.ArrayLen(len(lines) + 3)
	c.wr.SimpleString(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.wr.SimpleString(l)
	}
	c.wr.SimpleString("HELP")
	c.wr.SimpleString("    Print this help.")
}

// sortedCommandNames lists the top-level commands in name order, so
// COMMAND replies are stable.
func sortedCommandNames() []string {
	names := make([]string, 0, len(commandTable))
	for n := range commandTable {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func cmdCommandList(_ context.Context, c *client, _ [][]byte) {
	names := sortedCommandNames()
	c.wr.ArrayLen(len(names))
	for _, n := range names {
		writeCommandInfo(c.wr, commandTable[n])
	}
}

func cmdCommandCount(_ context.Context, c *client, _ [][]byte) {
	c.wr.Integer(int64(len(commandTable)))
}

func cmdCommandNames(_ context.Context, c *client, _ [][]byte) {
	names := sortedCommandNames()
	c.wr.ArrayLen(len(names))
	for _, n := range names {
		c.wr.BulkString(n)
	}
}

// lookupCommands resolves COMMAND INFO / DOCS arguments, "container|sub"
// included; unknown names give nil.
func lookupCommands(args [][]byte) []*command {
	out := make([]*command, 0, len(args))
	for _, a := range args {
		name := strings.ToLower(string(a))
		parent, sub, hasSub := strings.Cut(name, "|")
		cmd := commandTable[parent]
		if cmd != nil && hasSub {
			cmd = cmd.subs[sub]
		}
		out = append(out, cmd)
	}
	return out
}

// commandsAsked is every command for COMMAND INFO / DOCS without names,
// else the named ones (nil for an unknown name).
func commandsAsked(args [][]byte) []*command {
	if len(args) > 2 {
		return lookupCommands(args[2:])
	}
	var cmds []*command
	for _, n := range sortedCommandNames() {
		cmds = append(cmds, commandTable[n])
	}
	return cmds
}

func cmdCommandInfo(_ context.Context, c *client, args [][]byte) {
	cmds := commandsAsked(args)
	c.wr.ArrayLen(len(cmds))
	for _, cmd := range cmds {
		if cmd == nil {
			c.wr.NullArray()
			continue
		}
		writeCommandInfo(c.wr, cmd)
	}
}

// writeCommandInfo writes Redis 7's 10-element COMMAND INFO entry. No
// sentinel command has keys, so the key positions are 0 and the key specs
// empty.
func writeCommandInfo(w *resp.Writer, cmd *command) {
	w.ArrayLen(10)
	w.BulkString(cmd.name)
	w.Integer(int64(cmd.arity))
	var flags []string
	if cmd.noAuth {
		flags = append(flags, "no_auth")
	}
	if cmd.pubsub {
		flags = append(flags, "pubsub")
	}
	w.SetLen(len(flags))
	for _, f := range flags {
		w.SimpleString(f)
	}
	w.Integer(0)
	w.Integer(0)
	w.Integer(0)
	w.SetLen(len(cmd.acl))
	for _, a := range cmd.acl {
		w.SimpleString(a)
	}
	w.ArrayLen(0) // tips
	w.ArrayLen(0) // key specs
	subs := make([]string, 0, len(cmd.subs))
	for n := range cmd.subs {
		subs = append(subs, n)
	}
	slices.Sort(subs)
	w.ArrayLen(len(subs))
	for _, n := range subs {
		writeCommandInfo(w, cmd.subs[n])
	}
}

func cmdCommandDocs(_ context.Context, c *client, args [][]byte) {
	var cmds []*command
	for _, cmd := range commandsAsked(args) {
		if cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	c.wr.MapLen(len(cmds))
	for _, cmd := range cmds {
		c.wr.BulkString(cmd.name)
		writeCommandDocs(c.wr, cmd)
	}
}

func writeCommandDocs(w *resp.Writer, cmd *command) {
	n := 3
	if len(cmd.subs) > 0 {
		n++
	}
	w.MapLen(n)
	w.BulkString("summary")
	w.BulkString(cmd.summary)
	w.BulkString("since")
	w.BulkString("1.0.0")
	w.BulkString("group")
	w.BulkString(cmd.group)
	if len(cmd.subs) > 0 {
		subs := make([]string, 0, len(cmd.subs))
		for name := range cmd.subs {
			subs = append(subs, name)
		}
		slices.Sort(subs)
		w.BulkString("subcommands")
		w.MapLen(len(subs))
		for _, name := range subs {
			w.BulkString(cmd.subs[name].name)
			writeCommandDocs(w, cmd.subs[name])
		}
	}
}

func cmdCommandHelp(_ context.Context, c *client, _ [][]byte) {
	writeHelp(c, "COMMAND", []string{
		"(no subcommand)", "    Return details about all commands.",
		"COUNT", "    Return the total number of commands in this server.",
		"LIST", "    Return a list of all commands in this server.",
		"INFO [<command-name> ...]", "    Return details about multiple commands.",
		"DOCS [<command-name> ...]", "    Return documentation details about multiple commands.",
	})
}
