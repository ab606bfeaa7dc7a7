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

// bulkField writes one map entry whose key and value are bulk strings.
func bulkField(w *resp.Writer, k, v string) {
	w.BulkString(k)
	w.BulkString(v)
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
	var f docFields
	f.bulk("summary", d.Summary)
	f.bulk("since", d.Since)
	f.bulk("group", d.Group)
	f.optBulk("complexity", d.Complexity)
	f.optSet("doc_flags", d.DocFlags)
	f.optBulk("deprecated_since", d.DeprecatedSince)
	f.optBulk("replaced_by", d.ReplacedBy)
	if len(d.History) > 0 {
		f.add("history", func(w *resp.Writer) {
			w.SetLen(len(d.History))
			for _, h := range d.History {
				w.ArrayLen(2)
				w.BulkString(h[0])
				w.BulkString(h[1])
			}
		})
	}
	f.optArgs(d.Args)
	if len(m.Subs) > 0 {
		f.add("subcommands", func(w *resp.Writer) {
			w.MapLen(len(m.Subs))
			for _, s := range m.Subs {
				w.BulkString(s.Name)
				s.writeDocs(w)
			}
		})
	}
	f.write(w)
}

func writeArgs(w *resp.Writer, args []cmdArg) {
	w.ArrayLen(len(args))
	for i := range args {
		a := &args[i]
		var f docFields
		f.bulk("name", a.Name)
		f.bulk("type", a.Type)
		f.optBulk("token", a.Token)
		f.optBulk("summary", a.Summary)
		f.optBulk("since", a.Since)
		f.optSet("flags", a.Flags)
		f.optBulk("deprecated_since", a.DeprecatedSince)
		f.optArgs(a.Args)
		f.write(w)
	}
}

// docFields collects the fields of one COMMAND DOCS map in order, so that
// the map's length is the count of what is written. Optional fields are
// left out when empty, as Redis does.
type docFields []func(w *resp.Writer)

// add appends field k whose value value writes.
func (f *docFields) add(k string, value func(w *resp.Writer)) {
	*f = append(*f, func(w *resp.Writer) {
		w.BulkString(k)
		value(w)
	})
}

func (f *docFields) bulk(k, v string) {
	*f = append(*f, func(w *resp.Writer) { bulkField(w, k, v) })
}

func (f *docFields) optBulk(k, v string) {
	if v != "" {
		f.bulk(k, v)
	}
}

func (f *docFields) optSet(k string, ss []string) {
	if len(ss) > 0 {
		f.add(k, func(w *resp.Writer) { writeSimpleSet(w, ss) })
	}
}

func (f *docFields) optArgs(args []cmdArg) {
	if len(args) > 0 {
		f.add("arguments", func(w *resp.Writer) { writeArgs(w, args) })
	}
}

func (f docFields) write(w *resp.Writer) {
	w.MapLen(len(f))
	for _, field := range f {
		field(w)
	}
}
