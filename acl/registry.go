package acl

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Registry holds the users and the ACL LOG. Not safe for concurrent use.
type Registry struct {
	cat    *Catalog
	users  map[string]*User
	log    []*LogEntry // newest first
	LogMax int         // acllog-max-len (default 128)
	// AllChannelsDefault is acl-pubsub-default allchannels: new users,
	// and users after "reset", may use every channel (Redis 7.0's default
	// is resetchannels: none).
	AllChannelsDefault bool
}

// newUser creates a user with the registry's channel default.
func (r *Registry) newUser(name string) *User {
	u := NewUser(r.cat, name)
	u.allChannelsDefault = r.AllChannelsDefault
	if r.AllChannelsDefault {
		_ = u.Apply(r.cat, "allchannels")
	}
	return u
}

// NewRegistry returns a registry with Redis's initial default user.
func NewRegistry(cat *Catalog) *Registry {
	return &Registry{cat: cat, users: map[string]*User{"default": NewDefaultUser(cat)}, LogMax: 128}
}

// Catalog returns the catalog the rules are checked against.
func (r *Registry) Catalog() *Catalog { return r.cat }

// User returns a user, or nil.
func (r *Registry) User(name string) *User { return r.users[name] }

// Default returns the default user.
func (r *Registry) Default() *User { return r.users["default"] }

// SetRequirePass is requirepass: the default user's passwords become pass
// alone, or nopass when it is empty.
func (r *Registry) SetRequirePass(pass string) {
	d := r.Default()
	_ = d.Apply(r.cat, "resetpass")
	if pass == "" {
		_ = d.Apply(r.cat, "nopass")
		return
	}
	_ = d.Apply(r.cat, ">"+pass)
}

// SetUser is ACL SETUSER: it creates the user if needed and applies the
// rules to a copy, so that an error changes nothing. The user before the
// change (nil when created) is returned with the new one.
func (r *Registry) SetUser(name string, rules []string) (before, after *User, err error) {
	if hasSpace(name) || strings.ContainsRune(name, 0) {
		return nil, nil, redisText("Usernames can't contain spaces or null characters")
	}
	before = r.users[name]
	u := r.newUser(name)
	if before != nil {
		u = before.Clone()
	}
	if err := u.ApplyAll(r.cat, rules); err != nil {
		return nil, nil, err
	}
	r.users[name] = u
	return before, u, nil
}

// DelUser removes a user and reports whether it existed. It removes
// "default" too: ACL DELUSER refuses that name before calling it.
func (r *Registry) DelUser(name string) bool {
	if _, ok := r.users[name]; !ok {
		return false
	}
	delete(r.users, name)
	return true
}

// Names returns the user names, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.users))
	for n := range r.users {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lines returns "user <name> <description>" for every user, by name: ACL
// LIST, ACL SAVE and the config rewrite.
func (r *Registry) Lines() []string {
	names := r.Names()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "user " + n + " " + r.users[n].Describe(r.cat)
	}
	return out
}

// UserLine is one configured user: a "user" line of a configuration file
// or an ACL file, without the word "user".
type UserLine struct {
	Source string // where it came from, for errors ("sentinel.conf:12")
	Args   []string
}

// Load replaces the users with the configured ones, as Redis does at
// start: the default user keeps its state (requirepass) unless a line
// names it, in which case it is reset first; a user named twice is an
// error. Nothing changes when an error is returned. The error text never
// holds a plaintext password.
func (r *Registry) Load(lines []UserLine) error {
	users := map[string]*User{"default": r.Default().Clone()}
	seen := map[string]bool{}
	for _, l := range lines {
		if len(l.Args) == 0 {
			return fmt.Errorf("%s: user: wrong number of arguments", l.Source)
		}
		name := l.Args[0]
		if seen[name] {
			return fmt.Errorf("%s: user %s: Duplicate user found. A user can only be defined once in config files", l.Source, name)
		}
		seen[name] = true
		if hasSpace(name) || strings.ContainsRune(name, 0) {
			return fmt.Errorf("%s: Spaces not allowed in ACL usernames", l.Source)
		}
		if open, ok := UnclosedSelector(l.Args[1:]); ok {
			return fmt.Errorf("%s: user %s: Unmatched parenthesis in acl selector starting at '%s'", l.Source, name, Redact(open))
		}
		u := users[name]
		if u == nil {
			u = r.newUser(name)
		} else {
			_ = u.Apply(r.cat, "reset")
		}
		if err := u.ApplyAll(r.cat, l.Args[1:]); err != nil {
			if re, ok := AsRuleError(err); ok {
				return fmt.Errorf("%s: user %s: %s", l.Source, name, re.Redacted())
			}
			return fmt.Errorf("%s: user %s: %w", l.Source, name, err)
		}
		users[name] = u
	}
	r.users = users
	return nil
}

// CheckLine checks a user line's syntax without a catalog (unknown command
// names pass, as in Redis's first pass over a configuration file).
func CheckLine(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("wrong number of arguments")
	}
	if hasSpace(args[0]) {
		return redisText("Spaces not allowed in ACL usernames")
	}
	if open, ok := UnclosedSelector(args[1:]); ok {
		return redisText("Unmatched parenthesis in acl selector starting at '" + Redact(open) + "'")
	}
	u := NewUser(nil, args[0])
	for _, op := range MergeSelectors(args[1:]) {
		if err := u.Apply(nil, op); err != nil {
			if re, ok := AsRuleError(err); ok {
				if re.IsUnknownCommand() {
					continue
				}
				return fmt.Errorf("%s", re.Redacted())
			}
			return err
		}
	}
	return nil
}

// LogEntry is one ACL LOG entry.
type LogEntry struct {
	Count      int
	Reason     string // "command", "key", "channel", "auth"
	Context    string // "toplevel"
	Object     string
	Username   string
	Created    time.Time // of the latest occurrence
	ClientInfo string
}

// logGrouping is how close a repeat must be to count in the same entry.
const logGrouping = 60 * time.Second

// AddLog records a denial: a repeat of a recent entry (same reason,
// context, object and user within 60 s) is counted there and moves to the
// top, as in Redis.
func (r *Registry) AddLog(e LogEntry, now time.Time) {
	for i, o := range r.log {
		if o.Reason == e.Reason && o.Context == e.Context && o.Object == e.Object &&
			o.Username == e.Username && now.Sub(o.Created) <= logGrouping {
			o.Count++
			o.Created, o.ClientInfo = now, e.ClientInfo
			copy(r.log[1:i+1], r.log[:i])
			r.log[0] = o
			return
		}
	}
	e.Count, e.Created = 1, now
	r.log = append([]*LogEntry{&e}, r.log...)
	if r.LogMax >= 0 && len(r.log) > r.LogMax {
		r.log = r.log[:r.LogMax]
	}
}

// Log returns up to n entries (all with n < 0), newest first.
func (r *Registry) Log(n int) []LogEntry {
	if n < 0 || n > len(r.log) {
		n = len(r.log)
	}
	out := make([]LogEntry, n)
	for i := range out {
		out[i] = *r.log[i]
	}
	return out
}

// ResetLog empties the ACL LOG.
func (r *Registry) ResetLog() { r.log = nil }

// redisText is an error whose text is Redis's, capital letter included.
type redisText string

func (e redisText) Error() string { return string(e) }
