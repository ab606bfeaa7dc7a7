package acl

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// User is one ACL user.
type User struct {
	Name         string
	enabled      bool // "on"; a new user is "off"
	nopass       bool
	sanitize     bool
	skipSanitize bool
	passwords    []string // SHA-256 hex, in the order added
	selectors    []*selector
	// allChannelsDefault is acl-pubsub-default allchannels: "reset" then
	// allows every channel.
	allChannelsDefault bool
}

// NewUser returns a user as ACL SETUSER creates it: off, no password, no
// commands, no keys and no channels (acl-pubsub-default resetchannels).
func NewUser(cat *Catalog, name string) *User {
	return &User{Name: name, selectors: []*selector{newSelector(cat)}}
}

// NewDefaultUser returns Redis's initial "default" user: on, nopass,
// ~* &* +@all.
func NewDefaultUser(cat *Catalog) *User {
	u := NewUser(cat, "default")
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		_ = u.Apply(cat, op)
	}
	return u
}

// Clone returns an independent copy (ACL SETUSER applies its rules to a
// copy, so a failing rule changes nothing).
func (u *User) Clone() *User {
	cp := *u
	cp.passwords = append([]string(nil), u.passwords...)
	cp.selectors = make([]*selector, len(u.selectors))
	for i, s := range u.selectors {
		cp.selectors[i] = s.clone()
	}
	return &cp
}

// Enabled reports whether the user can authenticate ("on").
func (u *User) Enabled() bool { return u.enabled }

// NoPass reports whether any password is accepted ("nopass").
func (u *User) NoPass() bool { return u.nopass }

// root is the selector that rules outside parentheses change.
func (u *User) root() *selector { return u.selectors[0] }

// ApplyAll applies rules in order and stops at the first error.
func (u *User) ApplyAll(cat *Catalog, rules []string) error {
	for _, op := range MergeSelectors(rules) {
		if err := u.Apply(cat, op); err != nil {
			return err
		}
	}
	return nil
}

// Apply is ACLSetUser: one rule. With a nil catalog command names are not
// checked (the syntax check of a configuration file).
func (u *User) Apply(cat *Catalog, op string) error {
	if op == "" {
		return nil
	}
	switch lower := strings.ToLower(op); {
	case lower == "on":
		u.enabled = true
	case lower == "off":
		u.enabled = false
	case lower == "skip-sanitize-payload":
		u.skipSanitize, u.sanitize = true, false
	case lower == "sanitize-payload":
		u.skipSanitize, u.sanitize = false, true
	case lower == "nopass":
		u.nopass, u.passwords = true, nil
	case lower == "resetpass":
		u.nopass, u.passwords = false, nil
	case op[0] == '>' || op[0] == '#':
		h, err := hashOf(op)
		if err != nil {
			return err
		}
		if !containsString(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
	case op[0] == '<' || op[0] == '!':
		h, err := hashOf(op)
		if err != nil {
			return err
		}
		i := indexString(u.passwords, h)
		if i < 0 {
			return ruleErr(op, errNoSuchPassword)
		}
		u.passwords = append(u.passwords[:i], u.passwords[i+1:]...)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(cat)
		for _, inner := range splitSpaces(op[1 : len(op)-1]) {
			if err := s.apply(cat, inner); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, s)
	case lower == "clearselectors":
		u.selectors = u.selectors[:1]
	case lower == "reset":
		for _, r := range []string{"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "clearselectors", "-@all"} {
			_ = u.Apply(cat, r)
		}
		if u.allChannelsDefault {
			_ = u.Apply(cat, "allchannels")
		}
	default:
		return u.root().apply(cat, op)
	}
	return nil
}

// hashOf returns the SHA-256 hex a password rule names: hashed for > and
// <, checked for # and !.
func hashOf(op string) (string, error) {
	if op[0] == '>' || op[0] == '<' {
		return HashPassword(op[1:]), nil
	}
	h := op[1:]
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return "", ruleErr(op, errBadHash)
	}
	return h, nil
}

// HashPassword is how passwords are stored and shown: lower-case SHA-256 hex.
func HashPassword(pass string) string {
	sum := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(sum[:])
}

// MergeSelectors joins a "(...)" selector spread over several arguments
// into one, as Redis does for ACL SETUSER and user lines. An unclosed
// parenthesis is left as it is (Apply then reports a syntax error).
func MergeSelectors(args []string) []string {
	out := make([]string, 0, len(args))
	open := -1
	for _, a := range args {
		if open >= 0 {
			out[open] += " " + a
			if strings.HasSuffix(a, ")") {
				open = -1
			}
			continue
		}
		out = append(out, a)
		if strings.HasPrefix(a, "(") && !strings.HasSuffix(a, ")") {
			open = len(out) - 1
		}
	}
	return out
}

// UnclosedSelector reports whether args open a "(" selector they do not
// close (Redis answers "Unmatched parenthesis in acl selector ...").
func UnclosedSelector(args []string) (string, bool) {
	open := ""
	for _, a := range args {
		switch {
		case open != "":
			if strings.HasSuffix(a, ")") {
				open = ""
			}
		case strings.HasPrefix(a, "(") && !strings.HasSuffix(a, ")"):
			open = a
		}
	}
	return open, open != ""
}

func splitSpaces(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' })
}

func containsString(list []string, s string) bool { return indexString(list, s) >= 0 }

func indexString(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// errCode is the errno Redis's ACLSetUser reports.
type errCode int

const (
	errSyntax errCode = iota
	errUnknown
	errAfterAllKeys
	errAfterAllChannels
	errNoSuchPassword
	errBadHash
	errFirstArgOfSub
)

var errTexts = [...]string{
	errSyntax:           "Syntax error",
	errUnknown:          "Unknown command or category name in ACL",
	errAfterAllKeys:     "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
	errAfterAllChannels: "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
	errNoSuchPassword:   "The password you are trying to remove from the user does not exist",
	errBadHash:          "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
	errFirstArgOfSub:    "Allowing first-arg of a subcommand is not supported",
}

// RuleError is a rule Apply refused.
type RuleError struct {
	Op   string // the rule as given (may hold a password: see Redacted)
	code errCode
}

// Error is Redis's ACL SETUSER reply text without the "ERR " prefix.
func (e *RuleError) Error() string {
	return "Error in ACL SETUSER modifier '" + e.Op + "': " + e.Reason()
}

// Reason is the explanation alone ("Syntax error").
func (e *RuleError) Reason() string { return errTexts[e.code] }

// Redacted is Error with a password rule hidden, for logs.
func (e *RuleError) Redacted() string {
	return "Error in ACL SETUSER modifier '" + Redact(e.Op) + "': " + e.Reason()
}

// IsUnknownCommand reports an unknown command or category (which a
// configuration file's syntax check lets through, as Redis does).
func (e *RuleError) IsUnknownCommand() bool { return e.code == errUnknown }

func ruleErr(op string, code errCode) error { return &RuleError{Op: op, code: code} }

// Redact hides the password of a ">pw" or "<pw" rule.
func Redact(op string) string {
	if op != "" && (op[0] == '>' || op[0] == '<') {
		return op[:1] + "(redacted)"
	}
	return op
}

// AsRuleError returns the *RuleError in err, if any.
func AsRuleError(err error) (*RuleError, bool) {
	var re *RuleError
	ok := errors.As(err, &re)
	return re, ok
}
