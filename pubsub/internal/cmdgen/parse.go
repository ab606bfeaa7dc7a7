package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// meta mirrors pubsub's cmdMeta.
type meta struct {
	name  string
	arity int64
	flags []string
	acl   []string
	tips  []string
	docs  docs
	subs  []*meta
}

type docs struct {
	summary, since, group, complexity string
	docFlags                          []string
	deprecatedSince, replacedBy       string
	history                           [][2]string
	args                              []*arg
}

type arg struct {
	name, typ, token, summary, since string
	flags                            []string
	deprecatedSince                  string
	args                             []*arg
}

func parseTable(info, docsReply resp.Value) ([]*meta, error) {
	if info.Kind != resp.KindArray || docsReply.Kind != resp.KindMap {
		return nil, fmt.Errorf("COMMAND is %v, COMMAND DOCS %v", info.Kind, docsReply.Kind)
	}
	byName := map[string]resp.Value{}
	for i := 0; i+1 < len(docsReply.Elems); i += 2 {
		byName[docsReply.Elems[i].Str] = docsReply.Elems[i+1]
	}
	var out []*meta
	for _, e := range info.Elems {
		m, err := parseInfo(e)
		if err != nil {
			return nil, err
		}
		d, ok := byName[m.name]
		if !ok {
			return nil, fmt.Errorf("%s: no docs", m.name)
		}
		if err := attachDocs(m, d); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sortMetas(out)
	return out, nil
}

func sortMetas(ms []*meta) {
	slices.SortFunc(ms, func(a, b *meta) int { return strings.Compare(a.name, b.name) })
	for _, m := range ms {
		sortMetas(m.subs)
	}
}

func strs(v resp.Value) []string {
	var out []string
	for _, e := range v.Elems {
		out = append(out, e.Str)
	}
	return out
}

// parseInfo reads one 10-element COMMAND entry. No redis-sentinel command
// has keys: positions other than 0 and key specs are refused, so that the
// generated table need not carry them.
func parseInfo(v resp.Value) (*meta, error) {
	if v.Kind != resp.KindArray || len(v.Elems) != 10 {
		return nil, fmt.Errorf("COMMAND entry: %v with %d elements", v.Kind, len(v.Elems))
	}
	e := v.Elems
	m := &meta{name: e[0].Str, arity: e[1].Int, flags: strs(e[2]), acl: strs(e[6]), tips: strs(e[7])}
	if e[3].Int != 0 || e[4].Int != 0 || e[5].Int != 0 || len(e[8].Elems) != 0 {
		return nil, fmt.Errorf("%s has keys; the table does not model them", m.name)
	}
	for _, s := range e[9].Elems {
		sub, err := parseInfo(s)
		if err != nil {
			return nil, err
		}
		m.subs = append(m.subs, sub)
	}
	return m, nil
}

func attachDocs(m *meta, v resp.Value) error {
	if v.Kind != resp.KindMap {
		return fmt.Errorf("%s docs: %v", m.name, v.Kind)
	}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		key, val := v.Elems[i].Str, v.Elems[i+1]
		switch key {
		case "summary":
			m.docs.summary = val.Str
		case "since":
			m.docs.since = val.Str
		case "group":
			m.docs.group = val.Str
		case "complexity":
			m.docs.complexity = val.Str
		case "doc_flags":
			m.docs.docFlags = strs(val)
		case "deprecated_since":
			m.docs.deprecatedSince = val.Str
		case "replaced_by":
			m.docs.replacedBy = val.Str
		case "history":
			for _, h := range val.Elems {
				if len(h.Elems) != 2 {
					return fmt.Errorf("%s history entry of %d", m.name, len(h.Elems))
				}
				m.docs.history = append(m.docs.history, [2]string{h.Elems[0].Str, h.Elems[1].Str})
			}
		case "arguments":
			args, err := parseArgs(m.name, val)
			if err != nil {
				return err
			}
			m.docs.args = args
		case "subcommands":
			if err := attachSubDocs(m, val); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s docs: unknown field %q", m.name, key)
		}
	}
	return nil
}

func attachSubDocs(m *meta, v resp.Value) error {
	for i := 0; i+1 < len(v.Elems); i += 2 {
		name := v.Elems[i].Str
		idx := slices.IndexFunc(m.subs, func(s *meta) bool { return s.name == name })
		if idx < 0 {
			return fmt.Errorf("%s: docs for unknown subcommand %s", m.name, name)
		}
		if err := attachDocs(m.subs[idx], v.Elems[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func parseArgs(where string, v resp.Value) ([]*arg, error) {
	var out []*arg
	for _, av := range v.Elems {
		a := &arg{}
		for i := 0; i+1 < len(av.Elems); i += 2 {
			key, val := av.Elems[i].Str, av.Elems[i+1]
			switch key {
			case "name":
				a.name = val.Str
			case "type":
				a.typ = val.Str
			case "token":
				a.token = val.Str
			case "summary":
				a.summary = val.Str
			case "since":
				a.since = val.Str
			case "flags":
				a.flags = strs(val)
			case "deprecated_since":
				a.deprecatedSince = val.Str
			case "arguments":
				sub, err := parseArgs(where, val)
				if err != nil {
					return nil, err
				}
				a.args = sub
			default:
				return nil, fmt.Errorf("%s argument %s: unknown field %q", where, a.name, key)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// The printers below write Go composite literals of pubsub's types.

func q(s string) string { return strconv.Quote(s) }

func strList(ss []string) string {
	if len(ss) == 0 {
		return "nil"
	}
	qs := make([]string, len(ss))
	for i, s := range ss {
		qs[i] = q(s)
	}
	return "[]string{" + strings.Join(qs, ", ") + "}"
}

func writeMeta(b *strings.Builder, m *meta) {
	fmt.Fprintf(b, "{\nName: %s, Arity: %d,\n", q(m.name), m.arity)
	fmt.Fprintf(b, "Flags: %s,\nACL: %s,\n", strList(m.flags), strList(m.acl))
	if len(m.tips) > 0 {
		fmt.Fprintf(b, "Tips: %s,\n", strList(m.tips))
	}
	b.WriteString("Docs: cmdDocs{\n")
	writeDocs(b, &m.docs)
	b.WriteString("},\n")
	if len(m.subs) > 0 {
		b.WriteString("Subs: []*cmdMeta{\n")
		for _, s := range m.subs {
			writeMeta(b, s)
			b.WriteString(",\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}")
}

func writeDocs(b *strings.Builder, d *docs) {
	field := func(name, v string) {
		if v != "" {
			fmt.Fprintf(b, "%s: %s,\n", name, q(v))
		}
	}
	field("Summary", d.summary)
	field("Since", d.since)
	field("Group", d.group)
	field("Complexity", d.complexity)
	if len(d.docFlags) > 0 {
		fmt.Fprintf(b, "DocFlags: %s,\n", strList(d.docFlags))
	}
	field("DeprecatedSince", d.deprecatedSince)
	field("ReplacedBy", d.replacedBy)
	if len(d.history) > 0 {
		b.WriteString("History: [][2]string{\n")
		for _, h := range d.history {
			fmt.Fprintf(b, "{%s, %s},\n", q(h[0]), q(h[1]))
		}
		b.WriteString("},\n")
	}
	if len(d.args) > 0 {
		b.WriteString("Args: ")
		writeArgs(b, d.args)
		b.WriteString(",\n")
	}
}

func writeArgs(b *strings.Builder, args []*arg) {
	b.WriteString("[]cmdArg{\n")
	for _, a := range args {
		fmt.Fprintf(b, "{Name: %s, Type: %s", q(a.name), q(a.typ))
		for _, f := range []struct{ k, v string }{{"Token", a.token}, {"Summary", a.summary}, {"Since", a.since}} {
			if f.v != "" {
				fmt.Fprintf(b, ", %s: %s", f.k, q(f.v))
			}
		}
		if len(a.flags) > 0 {
			fmt.Fprintf(b, ", Flags: %s", strList(a.flags))
		}
		if a.deprecatedSince != "" {
			fmt.Fprintf(b, ", DeprecatedSince: %s", q(a.deprecatedSince))
		}
		if len(a.args) > 0 {
			b.WriteString(", Args: ")
			writeArgs(b, a.args)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}")
}
