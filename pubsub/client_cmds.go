package pubsub

import (
	"context"
	"fmt"
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
			if !c.srv.userExists(val) {
				c.err(fmt.Sprintf("ERR No such user '%s'", truncate(val, 128)))
				return
			}
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
	// redis-sentinel 7.0.15's text, word for word.
	writeHelp(c, "CLIENT", []string{
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
	})
}

// cmdClientNoEvict accepts ON and OFF: a sentinel evicts no client for
// memory, so the flag changes nothing.
func cmdClientNoEvict(_ context.Context, c *client, args [][]byte) {
	switch strings.ToLower(string(args[2])) {
	case "on", "off":
		c.wr.SimpleString("OK")
	default:
		c.err(errSyntax)
	}
}

// cmdClientUnblock answers 0: no sentinel command blocks.
func cmdClientUnblock(_ context.Context, c *client, args [][]byte) {
	if _, ok := resp.ParseInt(string(args[2])); !ok {
		c.err("ERR value is not an integer or out of range")
		return
	}
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "timeout", "error":
		default:
			c.err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	c.wr.Integer(0)
}

func writeHelp(c *client, container string, lines []string) {
	c.wr.ArrayLen(len(lines) + 3)
	c.wr.SimpleString(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.wr.SimpleString(l)
	}
	c.wr.SimpleString("HELP")
	c.wr.SimpleString("    Prints this help.")
}

// userExists reports whether CLIENT KILL USER names a known user: the
// default user or a configured one.
func (s *Server) userExists(name string) bool {
	_, ok := s.opts.Users[name]
	return ok || name == "default"
}
