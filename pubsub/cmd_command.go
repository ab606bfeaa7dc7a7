package pubsub

import (
	"context"
	"slices"
	"strings"

	"github.com/sentinelgo/sentinel/glob"
)

// The COMMAND family shows redisCommands only (see cmdtable.go), in name
// order; redis-sentinel lists the same entries in hash order.

func cmdCommandAll(_ context.Context, c *client, _ [][]byte) {
	c.wr.ArrayLen(len(redisCommands))
	for _, m := range redisCommands {
		m.writeInfo(c.wr)
	}
}

func cmdCommandCount(_ context.Context, c *client, _ [][]byte) {
	c.wr.Integer(int64(len(redisCommands)))
}

// lookupMeta finds a listed command by name, "container|sub" included,
// ignoring case; nil when COMMAND does not list it.
func lookupMeta(name string) *cmdMeta {
	name = strings.ToLower(name)
	parent, _, hasSub := strings.Cut(name, "|")
	for _, m := range redisCommands {
		if m.Name != parent {
			continue
		}
		if !hasSub {
			return m
		}
		for _, s := range m.Subs {
			if s.Name == name {
				return s
			}
		}
	}
	return nil
}

// cmdCommandInfo answers COMMAND INFO [name ...]: every command without
// names, else one entry per name, a null for an unknown one.
func cmdCommandInfo(ctx context.Context, c *client, args [][]byte) {
	if len(args) == 2 {
		cmdCommandAll(ctx, c, args)
		return
	}
	c.wr.ArrayLen(len(args) - 2)
	for _, a := range args[2:] {
		if m := lookupMeta(string(a)); m != nil {
			m.writeInfo(c.wr)
		} else {
			c.wr.Null() // RESP2: a null bulk string, as Redis
		}
	}
}

// cmdCommandDocs answers COMMAND DOCS [name ...]: a map of the known
// names (unknown ones are left out) to their docs.
func cmdCommandDocs(_ context.Context, c *client, args [][]byte) {
	metas := redisCommands
	if len(args) > 2 {
		metas = nil
		for _, a := range args[2:] {
			if m := lookupMeta(string(a)); m != nil {
				metas = append(metas, m)
			}
		}
	}
	c.wr.MapLen(len(metas))
	for _, m := range metas {
		c.wr.BulkString(m.Name)
		m.writeDocs(c.wr)
	}
}

// cmdCommandNames answers COMMAND LIST [FILTERBY MODULE|ACLCAT|PATTERN x]:
// every name, subcommands as "container|sub", that passes the filter.
func cmdCommandNames(_ context.Context, c *client, args [][]byte) {
	match, ok := commandListFilter(args)
	if !ok {
		c.err(errSyntax)
		return
	}
	var names []string
	var walk func([]*cmdMeta)
	walk = func(ms []*cmdMeta) {
		for _, m := range ms {
			if match(m) {
				names = append(names, m.Name)
			}
			walk(m.Subs)
		}
	}
	walk(redisCommands)
	c.wr.ArrayLen(len(names))
	for _, n := range names {
		c.wr.BulkString(n)
	}
}

// commandListFilter parses what follows COMMAND LIST: nothing, or
// FILTERBY MODULE|ACLCAT|PATTERN x. ok is false for anything else.
func commandListFilter(args [][]byte) (match func(*cmdMeta) bool, ok bool) {
	if len(args) == 2 {
		return func(*cmdMeta) bool { return true }, true
	}
	if len(args) != 5 || !strings.EqualFold(string(args[2]), "filterby") {
		return nil, false
	}
	arg := strings.ToLower(string(args[4]))
	switch strings.ToLower(string(args[3])) {
	case "module":
		return func(*cmdMeta) bool { return false }, true // no modules
	case "aclcat":
		return func(m *cmdMeta) bool { return slices.Contains(m.ACL, "@"+arg) }, true
	case "pattern":
		return func(m *cmdMeta) bool { return glob.Match(arg, m.Name) }, true
	}
	return nil, false
}

// cmdCommandGetKeys answers COMMAND GETKEYS / GETKEYSANDFLAGS: no
// sentinel command has keys, so after the lookup Redis's "no key
// arguments" error is the only other answer.
func cmdCommandGetKeys(_ context.Context, c *client, args [][]byte) {
	// Like Redis's lookupCommand: the first argument names a top-level
	// command, the second a subcommand when that command has some.
	m := lookupMeta(string(args[2]))
	if m != nil && len(args) > 3 && len(m.Subs) > 0 {
		m = lookupMeta(string(args[2]) + "|" + string(args[3]))
	}
	if m == nil || strings.Contains(string(args[2]), "|") {
		c.err("ERR Invalid command specified")
		return
	}
	c.err("ERR The command has no key arguments")
}

func cmdCommandHelp(_ context.Context, c *client, _ [][]byte) {
	// redis-sentinel 7.0.15's text, word for word.
	writeHelp(c, "COMMAND", []string{
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	})
}

// cmdNotSupported answers the commands redis-sentinel has, COMMAND
// lists, and we do not run (docs/compatibility.md lists them).
func cmdNotSupported(_ context.Context, c *client, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	if len(args) > 1 && commandTable[name] != nil && commandTable[name].subs != nil {
		name += "|" + strings.ToLower(string(args[1]))
	}
	c.err("ERR '" + name + "' is not supported by this sentinel")
}
