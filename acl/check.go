package acl

import "crypto/subtle"

// Denial is why a command was refused, in Redis's order of relevance.
type Denial int

// The denials; Allowed is no denial.
const (
	Allowed Denial = iota
	DeniedCommand
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// Channels lists the channels a command names, for the check.
type Channels struct {
	Names []string
	// Patterns: the names are PSUBSCRIBE patterns, matched literally
	// against the user's patterns; otherwise they are channel names
	// matched against them as globs.
	Patterns bool
}

// Check is ACLCheckAllUserCommandPerm for a command without keys: allowed
// when one selector allows both the command and every channel. args are
// the arguments after the command name (and subcommand), for +cmd|arg.
// The denial picked when none allows is the most relevant (a channel over
// the command), as Redis picks it.
func (u *User) Check(cmd *Command, args []string, ch Channels) Denial {
	relevant := DeniedCommand
	for _, s := range u.selectors {
		d := s.check(cmd, args, ch)
		if d == Allowed {
			return Allowed
		}
		relevant = max(relevant, d)
	}
	return relevant
}

func (s *selector) check(cmd *Command, args []string, ch Channels) Denial {
	if !s.allCommands && !cmd.NoAuth && !s.bit(cmd.ID) && !s.firstArgAllowed(cmd, args) {
		return DeniedCommand
	}
	if s.allChannels {
		return Allowed
	}
	for _, name := range ch.Names {
		if !s.channelAllowed(name, ch.Patterns) {
			return DeniedChannel
		}
	}
	return Allowed
}

func (s *selector) firstArgAllowed(cmd *Command, args []string) bool {
	allowed := s.firstArgs[cmd.ID]
	if len(allowed) == 0 || len(args) == 0 {
		return false
	}
	for _, a := range allowed {
		if equalFold(a, args[0]) {
			return true
		}
	}
	return false
}

func (s *selector) channelAllowed(name string, pattern bool) bool {
	for _, p := range s.channels {
		if (pattern && p == name) || (!pattern && Match(p, name)) {
			return true
		}
	}
	return false
}

// ChannelAllowed reports whether some selector allows a channel (or, with
// pattern, a PSUBSCRIBE pattern): what ACL SETUSER checks to disconnect
// subscribers that lost a channel.
func (u *User) ChannelAllowed(name string, pattern bool) bool {
	for _, s := range u.selectors {
		if s.allChannels || s.channelAllowed(name, pattern) {
			return true
		}
	}
	return false
}

// Authenticate reports whether pass logs in as u: enabled, and nopass or
// one of its passwords. Every hash is compared in constant time.
func (u *User) Authenticate(pass string) bool {
	if !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := HashPassword(pass)
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare([]byte(h), []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// KeepsChannels reports whether after allows every channel pattern before
// had (or all channels): when it does not, subscribers of the user may
// hold channels they lost.
func KeepsChannels(before, after *User) bool {
	have := map[string]bool{}
	for _, s := range after.selectors {
		if s.allChannels {
			return true
		}
		for _, c := range s.channels {
			have[c] = true
		}
	}
	for _, s := range before.selectors {
		if s.allChannels {
			return false
		}
		for _, c := range s.channels {
			if !have[c] {
				return false
			}
		}
	}
	return true
}

// Unrestricted reports whether one selector allows every command and
// every channel (Redis's default user, +@all &*): Check allows anything
// then, whatever the command and its arguments, so a caller may skip it.
func (u *User) Unrestricted() bool {
	for _, s := range u.selectors {
		if s.allCommands && s.allChannels {
			return true
		}
	}
	return false
}
