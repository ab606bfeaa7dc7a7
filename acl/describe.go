package acl

import "strings"

// Describe is ACLDescribeUser: flags, password hashes and selectors, in
// the form ACL LIST and the config rewrite print (without "user <name>").
// The single commands after the categories come in catalog order, where
// Redis's order follows its hash table and changes from process to
// process.
func (u *User) Describe(cat *Catalog) string {
	var b strings.Builder
	for _, f := range u.flags() {
		b.WriteString(f + " ")
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	for i, s := range u.selectors {
		if i == 0 {
			b.WriteString(s.describe(cat))
			continue
		}
		b.WriteString(" (" + s.describe(cat) + ")")
	}
	return b.String()
}

// flags are the user flags in Redis's table order.
func (u *User) flags() []string {
	var out []string
	if u.enabled {
		out = append(out, "on")
	} else {
		out = append(out, "off")
	}
	if u.nopass {
		out = append(out, "nopass")
	}
	if u.skipSanitize {
		out = append(out, "skip-sanitize-payload")
	}
	if u.sanitize {
		out = append(out, "sanitize-payload")
	}
	return out
}

// Passwords returns the password hashes (ACL GETUSER).
func (u *User) Passwords() []string { return append([]string(nil), u.passwords...) }

// Flags returns the flags (ACL GETUSER).
func (u *User) Flags() []string { return u.flags() }

// Selector parts for ACL GETUSER: the root selector's command rules, keys
// and channels, then the same for each extra selector.
type SelectorInfo struct {
	Commands, Keys, Channels string
}

// Selectors describes every selector, the root first.
func (u *User) Selectors(cat *Catalog) []SelectorInfo {
	out := make([]SelectorInfo, len(u.selectors))
	for i, s := range u.selectors {
		out[i] = SelectorInfo{Commands: s.commandRules(cat), Keys: s.keysText(), Channels: s.channelsText()}
	}
	return out
}

func (s *selector) describe(cat *Catalog) string {
	var b strings.Builder
	if k := s.keysText(); k != "" {
		b.WriteString(k + " ")
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.commandRules(cat))
	return b.String()
}

func (s *selector) keysText() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

func (s *selector) channelsText() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, c := range s.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// commandRules is ACLDescribeSelectorCommandRules: +@all or -@all, the
// categories that best approximate the bits (greedily, as Redis does),
// then the single commands that still differ.
func (s *selector) commandRules(cat *Catalog) string {
	if cat == nil {
		return ""
	}
	fake := newSelector(cat)
	rules := []string{"-@all"}
	additive := !s.future
	if s.future {
		rules[0] = "+@all"
		fake.setAll(true)
	}
	temp := s.clone()
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(cat, 1<<j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		bit := uint32(1) << best
		fake.setCategory(cat, bit, additive)
		temp.setCategory(cat, bit, !additive)
		sign := "+@"
		if !additive {
			sign = "-@"
		}
		rules = append(rules, sign+Categories[best])
		applied[best] = true
	}
	rules = s.singleCommands(cat.top, fake, rules)
	return strings.Join(rules, " ")
}

func (s *selector) countCategory(cat *Catalog, bit uint32) (on, off int) {
	for _, cmd := range cat.all {
		if cmd.cats&bit == 0 {
			continue
		}
		if s.bit(cmd.ID) {
			on++
		} else {
			off++
		}
	}
	return on, off
}

func (s *selector) singleCommands(cmds []*Command, fake *selector, rules []string) []string {
	for _, cmd := range cmds {
		user, have := s.bit(cmd.ID), fake.bit(cmd.ID)
		if user != have {
			sign := "-"
			if user {
				sign = "+"
			}
			rules = append(rules, sign+cmd.Name)
			fake.change(cmd, user)
		}
		rules = s.singleCommands(cmd.Subs, fake, rules)
		if !user {
			for _, a := range s.firstArgs[cmd.ID] {
				rules = append(rules, "+"+cmd.Name+"|"+a)
			}
		}
	}
	return rules
}
