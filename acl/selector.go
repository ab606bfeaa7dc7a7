package acl

import (
	"strings"
)

// selector is a set of permissions: the user's root selector or one of
// its "(...)" selectors.
type selector struct {
	bits []uint64 // allowed command IDs
	// future is Redis's reserved bit: set only by +@all, so that the
	// description starts with +@all (the user may run commands added
	// later) rather than -@all.
	future      bool
	allCommands bool // every bit set, the fast path of the check
	allKeys     bool
	keys        []keyPattern
	allChannels bool
	channels    []string
	firstArgs   map[int][]string // +cmd|arg of a command without subcommands
}

type keyPattern struct {
	pattern string
	read    bool
	write   bool
}

func (p keyPattern) String() string {
	switch {
	case p.read && p.write:
		return "~" + p.pattern
	case p.read:
		return "%R~" + p.pattern
	default:
		return "%W~" + p.pattern
	}
}

func newSelector(cat *Catalog) *selector {
	n := 0
	if cat != nil {
		n = cat.size()
	}
	return &selector{bits: make([]uint64, (n+63)/64)}
}

func (s *selector) clone() *selector {
	cp := *s
	cp.bits = append([]uint64(nil), s.bits...)
	cp.keys = append([]keyPattern(nil), s.keys...)
	cp.channels = append([]string(nil), s.channels...)
	if s.firstArgs != nil {
		cp.firstArgs = make(map[int][]string, len(s.firstArgs))
		for id, a := range s.firstArgs {
			cp.firstArgs[id] = append([]string(nil), a...)
		}
	}
	return &cp
}

func (s *selector) bit(id int) bool { return s.bits[id/64]&(1<<(id%64)) != 0 }

func (s *selector) setBit(id int, v bool) {
	if v {
		s.bits[id/64] |= 1 << (id % 64)
		return
	}
	s.bits[id/64] &^= 1 << (id % 64)
	s.allCommands = false
}

// change allows or blocks a command and, for a container, its subcommands.
func (s *selector) change(cmd *Command, allow bool) {
	s.setBit(cmd.ID, allow)
	delete(s.firstArgs, cmd.ID)
	for _, sub := range cmd.Subs {
		s.setBit(sub.ID, allow)
	}
}

func (s *selector) setCategory(cat *Catalog, bit uint32, allow bool) {
	for _, cmd := range cat.all {
		if cmd.cats&bit != 0 {
			s.change(cmd, allow)
		}
	}
}

func (s *selector) setAll(allow bool) {
	for i := range s.bits {
		s.bits[i] = 0
		if allow {
			s.bits[i] = ^uint64(0)
		}
	}
	s.future, s.allCommands, s.firstArgs = allow, allow, nil
}

// apply is ACLSetSelector: one rule that concerns a selector. cat may be
// nil, for a syntax check that cannot know command names.
func (s *selector) apply(cat *Catalog, op string) error {
	switch lower := strings.ToLower(op); {
	case lower == "allkeys" || op == "~*":
		s.allKeys, s.keys = true, nil
	case lower == "resetkeys":
		s.allKeys, s.keys = false, nil
	case lower == "allchannels" || op == "&*":
		s.allChannels, s.channels = true, nil
	case lower == "resetchannels":
		s.allChannels, s.channels = false, nil
	case lower == "allcommands" || lower == "+@all":
		s.setAll(true)
	case lower == "nocommands" || lower == "-@all":
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		return s.addKey(op)
	case op[0] == '&':
		return s.addChannel(op)
	case len(op) > 1 && op[1] == '@' && (op[0] == '+' || op[0] == '-'):
		bit := categoryBit(op[2:])
		if bit == 0 {
			return ruleErr(op, errUnknown)
		}
		if cat != nil {
			s.setCategory(cat, bit, op[0] == '+')
		}
	case op[0] == '+':
		return s.allow(cat, op)
	case op[0] == '-':
		if cat == nil {
			return nil
		}
		cmd := cat.Lookup(op[1:])
		if cmd == nil {
			return ruleErr(op, errUnknown)
		}
		s.change(cmd, false)
	default:
		return ruleErr(op, errSyntax)
	}
	return nil
}

func (s *selector) addKey(op string) error {
	if s.allKeys {
		return ruleErr(op, errAfterAllKeys)
	}
	p := keyPattern{read: true, write: true}
	rest := op[1:]
	if op[0] == '%' {
		p = keyPattern{}
		i := 1
		for ; i < len(op); i++ {
			switch ch := op[i]; {
			case (ch == 'R' || ch == 'r') && !p.read:
				p.read = true
				continue
			case (ch == 'W' || ch == 'w') && !p.write:
				p.write = true
				continue
			case ch == '~':
				i++
			default:
				return ruleErr(op, errSyntax)
			}
			break
		}
		rest = op[min(i, len(op)):]
	}
	if hasSpace(rest) {
		return ruleErr(op, errSyntax)
	}
	p.pattern = rest
	for i := range s.keys {
		if s.keys[i].pattern == rest {
			s.keys[i].read = s.keys[i].read || p.read
			s.keys[i].write = s.keys[i].write || p.write
			return nil
		}
	}
	s.keys = append(s.keys, p)
	return nil
}

func (s *selector) addChannel(op string) error {
	if s.allChannels {
		return ruleErr(op, errAfterAllChannels)
	}
	pat := op[1:]
	if hasSpace(pat) {
		return ruleErr(op, errSyntax)
	}
	for _, c := range s.channels {
		if c == pat {
			return nil
		}
	}
	s.channels = append(s.channels, pat)
	return nil
}

// allow handles "+cmd", "+container|sub" and "+cmd|first-arg".
func (s *selector) allow(cat *Catalog, op string) error {
	name := op[1:]
	bar := strings.LastIndexByte(name, '|')
	if bar < 0 {
		if cat == nil {
			return nil
		}
		cmd := cat.Lookup(name)
		if cmd == nil {
			return ruleErr(op, errUnknown)
		}
		s.change(cmd, true)
		return nil
	}
	if cat == nil {
		if name[bar+1:] == "" {
			return ruleErr(op, errSyntax)
		}
		return nil
	}
	cmd := cat.Lookup(name[:bar])
	switch {
	case cmd == nil:
		return ruleErr(op, errUnknown)
	case cmd.Parent != nil:
		return ruleErr(op, errFirstArgOfSub)
	case name[bar+1:] == "":
		return ruleErr(op, errSyntax)
	case len(cmd.Subs) > 0:
		sub := cat.Lookup(name)
		if sub == nil {
			return ruleErr(op, errUnknown)
		}
		s.change(sub, true)
	default:
		arg := name[bar+1:]
		if s.firstArgs == nil {
			s.firstArgs = map[int][]string{}
		}
		for _, a := range s.firstArgs[cmd.ID] {
			if strings.EqualFold(a, arg) {
				return nil
			}
		}
		s.firstArgs[cmd.ID] = append(s.firstArgs[cmd.ID], arg)
	}
	return nil
}

func hasSpace(s string) bool {
	return strings.ContainsAny(s, " \t\n\r\v\f")
}
