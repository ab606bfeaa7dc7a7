package supervisor

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/sentinelgo/sentinel/acl"
)

// Who may change raft membership or take a snapshot over HTTP
// (docs/security.md, "Raft membership over HTTP"): an operator of this
// sentinel, proved with the client port's own credentials in HTTP basic
// auth — a user of the client port that is on, has a password, and may run
// admin commands (+@all or +@admin); requirepass is the password of the
// user "default", which an empty basic-auth user name means. When no user
// of the client port has a password there is nothing to check against:
// changes are then accepted from loopback only.

// raftAuthRealm names the credentials a 401 asks for.
const raftAuthRealm = `Basic realm="sentinel (client-port user)", charset="UTF-8"`

// aclUser is what raftAuth needs of one client-port user, read from its
// ACL LIST line: "user <name> <flags> #<sha256>... <rules>".
type aclUser struct {
	name    string
	on      bool
	nopass  bool
	hashes  []string
	isAdmin bool
}

// parseUserLine reads one line of pubsub.Server.UserLines. Flags and
// password hashes come first; everything after them is the user's rules.
func parseUserLine(line string) (aclUser, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "user" {
		return aclUser{}, false
	}
	u := aclUser{name: f[1]}
	rest := f[2:]
	for len(rest) > 0 {
		tok := rest[0]
		switch {
		case tok == "on":
			u.on = true
		case tok == "off":
			u.on = false
		case tok == "nopass":
			u.nopass = true
		case strings.HasPrefix(tok, "#"):
			u.hashes = append(u.hashes, tok[1:])
		case strings.HasSuffix(tok, "sanitize-payload"):
		default:
			u.isAdmin = adminRules(rest)
			return u, true
		}
		rest = rest[1:]
	}
	return u, true
}

// adminRules reports whether a user's root-selector rules allow admin
// commands: +@all or +@admin, and no later rule taking admin or
// dangerous commands (or SENTINEL) away. Rules of extra selectors "(...)"
// are not read.
func adminRules(rules []string) bool {
	admin := false
	for _, r := range rules {
		if strings.HasPrefix(r, "(") {
			break
		}
		switch strings.ToLower(r) {
		case "+@all", "allcommands", "+@admin":
			admin = true
		case "-@all", "nocommands", "-@admin", "-@dangerous", "-sentinel":
			admin = false
		}
	}
	return admin
}

// raftAuth checks the HTTP requests that change raft state.
type raftAuth struct {
	// users returns the client port's users as ACL LIST prints them (nil
	// before the client port exists).
	users func() []string
}

// guard wraps a handler that changes raft state.
func (a raftAuth) guard(d *raftDriver, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		code, why := a.check(r)
		if code != 0 {
			d.log.Warn("raft: HTTP change refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "why", why)
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", raftAuthRealm)
			}
			http.Error(w, why, code)
			return
		}
		next(w, r)
	}
}

// check returns 0 when the request may change raft state, else the HTTP
// status and why.
func (a raftAuth) check(r *http.Request) (int, string) {
	var users []aclUser
	if a.users != nil {
		for _, line := range a.users() {
			if u, ok := parseUserLine(line); ok && u.on && !u.nopass && len(u.hashes) > 0 {
				users = append(users, u)
			}
		}
	}
	if len(users) == 0 {
		if isLoopback(r.RemoteAddr) {
			return 0, ""
		}
		return http.StatusForbidden, "no client-port user has a password (requirepass or an ACL user): raft changes are accepted from loopback only"
	}
	name, pass, ok := r.BasicAuth()
	if !ok {
		return http.StatusUnauthorized, "raft changes need HTTP basic auth with a client-port user and its password (requirepass: user default)"
	}
	if name == "" {
		name = "default"
	}
	hash := acl.HashPassword(pass)
	for _, u := range users {
		if u.name != name {
			continue
		}
		match := 0
		for _, h := range u.hashes {
			match |= subtle.ConstantTimeCompare([]byte(h), []byte(hash))
		}
		if match == 0 {
			break
		}
		if !u.isAdmin {
			return http.StatusForbidden, "user " + name + " may not run admin commands (+@admin or +@all)"
		}
		return 0, ""
	}
	return http.StatusUnauthorized, "wrong user name or password"
}

// isLoopback reports whether a request's remote address is a loopback IP.
func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
