package pubsub

import "github.com/sentinelgo/sentinel/pubsub/resp"

//go:generate go run ./internal/cmdgen -o cmdtable_gen.go

// cmdMeta is what COMMAND, COMMAND INFO and COMMAND DOCS say about one
// command. redisCommands (cmdtable_gen.go) holds redis-sentinel 7.0.15's;
// ourCommands (cmdtable.go) the commands we accept on top of it. No
// sentinel command has key arguments, so the key positions are always 0
// and the key specs empty (the generator refuses anything else).
type cmdMeta struct {
	Name  string // lower case; "container|sub" for a subcommand
	Arity int    // Redis's: n > 0 exactly n arguments, n < 0 at least -n (name included)
	Flags []string
	ACL   []string // ACL categories, "@" included
	Tips  []string
	Docs  cmdDocs
	Subs  []*cmdMeta // sorted by name
}

// cmdDocs is COMMAND DOCS's map for one command.
type cmdDocs struct {
	Summary, Since, Group, Complexity string
	DocFlags                          []string
	DeprecatedSince, ReplacedBy       string
	History                           [][2]string // version, change
	Args                              []cmdArg
}

// cmdArg is one argument in COMMAND DOCS.
type cmdArg struct {
	Name, Type, Token, Summary, Since string
	Flags                             []string
	DeprecatedSince                   string
	Args                              []cmdArg // for "block" and "oneof"
}

func (m *cmdMeta) hasFlag(f string) bool {
	for _, g := range m.Flags {
		if g == f {
			return true
		}
	}
	return false
}

func writeSimpleSet(w *resp.Writer, ss []string) {
	w.SetLen(len(ss))
	for _, s := range ss {
		w.SimpleString(s)
	}
}

// writeInfo writes Redis 7's 10-element COMMAND INFO entry.
func (m *cmdMeta) writeInfo(w *resp.Writer) {
	w.ArrayLen(10)
	w.BulkString(m.Name)
	w.Integer(int64(m.Arity))
	writeSimpleSet(w, m.Flags)
	w.Integer(0) // first key
	w.Integer(0) // last key
	w.Integer(0) // step
	writeSimpleSet(w, m.ACL)
	w.SetLen(len(m.Tips))
	for _, t := range m.Tips {
		w.BulkString(t)
	}
	w.SetLen(0) // key specs
	if len(m.Subs) == 0 {
		w.SetLen(0) // Redis: a set when empty, an array otherwise
		return
	}
	w.ArrayLen(len(m.Subs))
	for _, s := range m.Subs {
		s.writeInfo(w)
	}
}

// writeDocs writes the COMMAND DOCS map of m, fields in Redis's order.
func (m *cmdMeta) writeDocs(w *resp.Writer) {
	d := &m.Docs
	n := 3 // summary, since, group
	for _, present := range []bool{d.Complexity != "", len(d.DocFlags) > 0, d.DeprecatedSince != "",
		d.ReplacedBy != "", len(d.History) > 0, len(d.Args) > 0, len(m.Subs) > 0} {
		if present {
			n++
		}
	}
	w.MapLen(n)
	bulkField(w, "summary", d.Summary)
	bulkField(w, "since", d.Since)
	bulkField(w, "group", d.Group)
	if d.Complexity != "" {
		bulkField(w, "complexity", d.Complexity)
	}
	if len(d.DocFlags) > 0 {
		w.BulkString("doc_flags")
		writeSimpleSet(w, d.DocFlags)
	}
	if d.DeprecatedSince != "" {
		bulkField(w, "deprecated_since", d.DeprecatedSince)
	}
	if d.ReplacedBy != "" {
		bulkField(w, "replaced_by", d.ReplacedBy)
	}
	if len(d.History) > 0 {
		w.BulkString("history")
		w.SetLen(len(d.History))
		for _, h := range d.History {
			w.ArrayLen(2)
			w.BulkString(h[0])
			w.BulkString(h[1])
		}
	}
	if len(d.Args) > 0 {
		w.BulkString("arguments")
		writeArgs(w, d.Args)
	}
	if len(m.Subs) > 0 {
		w.BulkString("subcommands")
		w.MapLen(len(m.Subs))
		for _, s := range m.Subs {
			w.BulkString(s.Name)
			s.writeDocs(w)
		}
	}
}

func bulkField(w *resp.Writer, k, v string) {
	w.BulkString(k)
	w.BulkString(v)
}

func writeArgs(w *resp.Writer, args []cmdArg) {
	w.ArrayLen(len(args))
	for i := range args {
		a := &args[i]
		n := 2
		for _, present := range []bool{a.Token != "", a.Summary != "", a.Since != "",
			len(a.Flags) > 0, a.DeprecatedSince != "", len(a.Args) > 0} {
			if present {
				n++
			}
		}
		w.MapLen(n)
		bulkField(w, "name", a.Name)
		bulkField(w, "type", a.Type)
		if a.Token != "" {
			bulkField(w, "token", a.Token)
		}
		if a.Summary != "" {
			bulkField(w, "summary", a.Summary)
		}
		if a.Since != "" {
			bulkField(w, "since", a.Since)
		}
		if len(a.Flags) > 0 {
			w.BulkString("flags")
			writeSimpleSet(w, a.Flags)
		}
		if a.DeprecatedSince != "" {
			bulkField(w, "deprecated_since", a.DeprecatedSince)
		}
		if len(a.Args) > 0 {
			w.BulkString("arguments")
			writeArgs(w, a.Args)
		}
	}
}
