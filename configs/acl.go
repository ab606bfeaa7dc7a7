package configs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sentinelgo/sentinel/acl"
	"github.com/sentinelgo/sentinel/configs/sdsargs"
)

// The ACL directives of sentinel.conf. A "user" line is never ignored: it
// is checked here (syntax) and applied by the server at start, which
// refuses to start when a rule names an unknown command.

// confUser is a "user <name> <rules...>" line: kept, Redis-quoted, in
// Sentinel.Users.
func confUser(l *confLine) {
	if err := acl.CheckLine(l.args); err != nil {
		l.failf("%v", err)
		return
	}
	s := &l.p.cfg.Sentinel
	l.p.cfg.lines[fmt.Sprintf("sentinel.users[%d]", len(s.Users))] = l.line
	s.Users = append(s.Users, sdsargs.Join(l.args...))
}

func confACLFile(l *confLine) {
	l.p.cfg.Sentinel.ACLFile = l.args[0]
	l.p.cfg.lines["sentinel.aclfile"] = l.line
}

func confACLLogMaxLen(l *confLine) {
	n, err := strconv.Atoi(l.args[0])
	if err != nil {
		l.failf("%q is not a number", l.args[0])
		return
	}
	l.p.cfg.Sentinel.ACLLogMaxLen = n
	l.p.cfg.lines["sentinel.acllog_max_len"] = l.line
}

// validateACL checks the users (their syntax; command names are checked
// when the server builds them) and Redis's rule that users come from
// either the configuration or an ACL file.
func (v *validator) validateACL(s *Sentinel) {
	for i, u := range s.Users {
		args, ok := sdsargs.Strings(u)
		if !ok {
			v.add(fmt.Sprintf("sentinel.users[%d]", i), "unbalanced quotes")
			continue
		}
		if err := acl.CheckLine(args); err != nil {
			v.add(fmt.Sprintf("sentinel.users[%d]", i), "%v", err)
		}
	}
	if len(s.Users) > 0 && s.ACLFile != "" {
		v.add("sentinel.aclfile", "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. "+
			"This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
	}
	switch s.ACLPubsubDefault {
	case "", "resetchannels", "allchannels":
	default:
		v.add("sentinel.acl_pubsub_default", "must be resetchannels or allchannels, got %q", s.ACLPubsubDefault)
	}
	if s.ACLLogMaxLen < 0 {
		v.add("sentinel.acllog_max_len", "must not be negative, got %d", s.ACLLogMaxLen)
	}
}

// UserLines returns the configured users for the server, each named by
// where it came from (for errors).
func (c *Config) UserLines() ([]acl.UserLine, error) {
	out := make([]acl.UserLine, 0, len(c.Sentinel.Users))
	for i, u := range c.Sentinel.Users {
		args, ok := sdsargs.Strings(u)
		if !ok {
			return nil, fmt.Errorf("configs: sentinel.users[%d]: unbalanced quotes", i)
		}
		out = append(out, acl.UserLine{Source: c.sourceOf(fmt.Sprintf("sentinel.users[%d]", i)), Args: args})
	}
	return out, nil
}

// sourceOf names where a field came from: "file:line", or the field path.
func (c *Config) sourceOf(path string) string {
	if line, ok := c.lines[path]; ok && c.Path != "" {
		return c.Path + ":" + strconv.Itoa(line)
	}
	return path
}

// ParseACLFile reads the text of an ACL file (aclfile): one "user" line
// per user, blank lines allowed; anything else, comments included, is an
// error, as in Redis. Errors name the file and line.
func ParseACLFile(data []byte, name string) ([]acl.UserLine, error) {
	var out []acl.UserLine
	for i, raw := range strings.Split(string(data), "\n") {
		text := strings.Trim(raw, " \t\r\n")
		if text == "" {
			continue
		}
		src := name + ":" + strconv.Itoa(i+1)
		args, ok := sdsargs.Strings(text)
		if !ok {
			return nil, fmt.Errorf("%s: unbalanced quotes in configuration line", src)
		}
		if len(args) < 2 || !strings.EqualFold(args[0], "user") {
			return nil, fmt.Errorf("%s: line should start with user keyword", src)
		}
		if err := acl.CheckLine(args[1:]); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		out = append(out, acl.UserLine{Source: src, Args: args[1:]})
	}
	return out, nil
}

// LoadACLFile reads and parses an ACL file (bounded like a configuration).
func LoadACLFile(path string) ([]acl.UserLine, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("configs: aclfile: %w", err)
	}
	return ParseACLFile(data, path)
}

// SaveACLFile writes user lines to an ACL file atomically, readable by the
// owner only (ACL SAVE).
func SaveACLFile(path string, lines []string) error {
	data := strings.Join(lines, "\n")
	if data != "" {
		data += "\n"
	}
	if err := writeFileAtomic(path, []byte(data), 0o600, nil); err != nil {
		return fmt.Errorf("configs: aclfile: %w", err)
	}
	return nil
}

// mergeUsers applies the ACL users a YAML sentinel saved in its state:
// they win while the YAML's users are still those they were saved against
// (an edit of sentinel.users wins over runtime changes, as for settings).
func mergeUsers(out, cfg *Config, st *State) {
	if st.Users == nil || !slices.Equal(cfg.Sentinel.Users, st.BaseUsers) {
		return
	}
	users := make([]string, 0, len(st.Users))
	for _, line := range st.Users {
		users = append(users, strings.TrimPrefix(line, "user "))
	}
	out.Sentinel.Users = users
}

func quotedAll(in []string) []quoted {
	if in == nil {
		return []quoted{}
	}
	out := make([]quoted, len(in))
	for i, s := range in {
		out[i] = quoted(s)
	}
	return out
}
