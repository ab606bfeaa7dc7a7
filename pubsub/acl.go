package pubsub

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sentinelgo/sentinel/acl"
)

// Redis's ACL error texts.
const (
	errNoPermChannel = "NOPERM this user has no permissions to access one of the channels used as arguments"
	errNoPermCmdFmt  = "NOPERM this user has no permissions to run the '%s' command"
)

// aclState is the server's users and ACL LOG, behind one mutex: commands
// read it on every call, ACL SETUSER and friends change it.
type aclState struct {
	mu  aclMutex
	reg *acl.Registry
}

// aclMutex is aclState's mutex. Every Unlock but checkACL's counts a
// generation: whatever ran under the lock may have changed the users.
// A connection whose user may run a command remembers it with the
// generation, and runs that command again without the lock while the
// generation stands (checkACL): the busiest path takes no shared lock.
type aclMutex struct {
	sync.Mutex
	gen atomic.Uint64
}

// Unlock counts a generation, then unlocks.
func (m *aclMutex) Unlock() {
	m.gen.Add(1)
	m.Mutex.Unlock()
}

// unlockUnchanged unlocks after a section that changed nothing.
func (m *aclMutex) unlockUnchanged() { m.Mutex.Unlock() }

// aclCatalog describes the command table to the acl package: Redis's
// commands with their categories, and ours (which have none unless their
// entry says so).
func aclCatalog() (*acl.Catalog, error) {
	var specs []acl.Spec
	byName := map[string]int{}
	add := func(m *cmdMeta) {
		spec := acl.Spec{Name: m.Name, Categories: m.ACL, NoAuth: m.hasFlag("no_auth")}
		for _, sub := range m.Subs {
			_, name, _ := strings.Cut(sub.Name, "|")
			spec.Subs = append(spec.Subs, acl.Spec{Name: name, Categories: sub.ACL, NoAuth: sub.hasFlag("no_auth")})
		}
		byName[m.Name] = len(specs)
		specs = append(specs, spec)
	}
	for _, m := range redisCommands {
		add(m)
	}
	for _, m := range ourCommands {
		parent, name, ok := strings.Cut(m.Name, "|")
		if !ok {
			add(m)
			continue
		}
		i, found := byName[parent]
		if !found {
			return nil, fmt.Errorf("%w: command %s has no container", ErrServer, m.Name)
		}
		specs[i].Subs = append(specs[i].Subs, acl.Spec{Name: name, Categories: m.ACL, NoAuth: m.hasFlag("no_auth")})
	}
	return acl.NewCatalog(specs)
}

// newACL builds the users: Redis's default user, requirepass as its
// password, then the configured user lines (which may redefine default).
func newACL(opts Options) (*aclState, error) {
	cat, err := aclCatalog()
	if err != nil {
		return nil, err
	}
	reg := acl.NewRegistry(cat)
	reg.AllChannelsDefault = opts.ACLAllChannelsDefault
	reg.SetRequirePass(opts.RequirePass)
	lines := append([]acl.UserLine(nil), opts.ACLUsers...)
	for name, pass := range opts.Users {
		lines = append(lines, acl.UserLine{Source: "Options.Users", Args: []string{name, "on", ">" + pass, "~*", "&*", "+@all"}})
	}
	if err := reg.Load(lines); err != nil {
		return nil, err
	}
	if opts.ACLLogMax != 0 {
		reg.LogMax = opts.ACLLogMax
	}
	return &aclState{reg: reg}, nil
}

// defaultOpen reports whether the default user needs no password (nopass):
// new connections start authenticated when it is also on, and protected
// mode applies.
func (a *aclState) defaultOpen() (nopass, enabled bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.reg.Default()
	return d.NoPass(), d.Enabled()
}

// authenticate checks a user/password pair for AUTH or HELLO (object, as
// the ACL LOG names it); a failure is logged in the ACL LOG (reason auth).
func (s *Server) authenticate(c *client, object, user, pass string) bool {
	a := s.acl
	a.mu.Lock()
	u := a.reg.User(user)
	ok := u != nil && u.Authenticate(pass)
	if !ok {
		if u == nil {
			// Hash anyway, so an unknown user costs the same time.
			_ = acl.HashPassword(pass)
		}
		a.reg.AddLog(acl.LogEntry{Reason: "auth", Context: "toplevel", Object: object, Username: user, ClientInfo: c.infoLine(time.Now())}, time.Now())
	}
	a.mu.Unlock()
	if !ok {
		s.log.Info("authentication failed", "client_id", c.id, "user", user)
	}
	return ok
}

// checkACL is the ACL step of dispatch: it writes the NOPERM reply and logs
// the denial when the client's user may not run cmd with these arguments.
func (s *Server) checkACL(c *client, cmd *command, args [][]byte) bool {
	a := s.acl
	if c.aclCmd == cmd && c.aclGen == a.mu.gen.Load()+1 {
		return true // allowed before, and the users have not changed since
	}
	user := c.user // written by this goroutine only (setAuthenticated)
	a.mu.Lock()
	defer a.mu.unlockUnchanged()
	u := a.reg.User(user)
	ac := a.reg.Catalog().Lookup(cmd.name)
	if u == nil || ac == nil {
		// A deleted user's connections are closed; until then, and for a
		// command the catalog lacks, deny.
		c.err(fmt.Sprintf(errNoPermCmdFmt, cmd.name))
		return false
	}
	if u.Unrestricted() {
		// The default user's case: no argument copies, no selector walk.
		c.aclCmd, c.aclGen = cmd, a.mu.gen.Load()+1
		return true
	}
	d, object := denial(u, ac, cmd, args)
	switch d {
	case acl.Allowed:
		return true
	case acl.DeniedChannel:
		c.err(errNoPermChannel)
		a.reg.AddLog(acl.LogEntry{Reason: "channel", Context: "toplevel", Object: object, Username: user, ClientInfo: c.infoLine(time.Now())}, time.Now())
	default:
		c.err(fmt.Sprintf(errNoPermCmdFmt, cmd.name))
		a.reg.AddLog(acl.LogEntry{Reason: "command", Context: "toplevel", Object: cmd.name, Username: user, ClientInfo: c.infoLine(time.Now())}, time.Now())
	}
	return false
}

// denial checks one command for a user; object is the channel refused.
func denial(u *acl.User, ac *acl.Command, cmd *command, args [][]byte) (acl.Denial, string) {
	rest := args[1:]
	if ac.Parent != nil {
		rest = args[2:]
	}
	strs := stringArgs(rest)
	var ch acl.Channels
	switch cmd.name {
	case "subscribe":
		ch.Names = strs
	case "psubscribe":
		ch.Names, ch.Patterns = strs, true
	case "publish":
		ch.Names = strs[:1]
	}
	d := u.Check(ac, strs, ch)
	if d != acl.DeniedChannel {
		return d, ""
	}
	// The object is the first channel no selector allows.
	for _, name := range ch.Names {
		if !u.ChannelAllowed(name, ch.Patterns) {
			return d, name
		}
	}
	return d, ""
}

// dropClientsOf closes the connections of a deleted user (changed nil),
// or, when a change took channels away from a user (Redis's
// ACLKillPubsubClientsIfNeeded), that user's subscribers. Redis closes
// only the subscribers that hold a channel no longer allowed; we close
// every subscriber of the user, which errs on the safe side.
func (s *Server) dropClientsOf(name string, changed bool) {
	for _, c := range s.clientList() {
		c.mu.Lock()
		user := c.user
		c.mu.Unlock()
		if user != name {
			continue
		}
		if !changed || c.nChannels.Load()+c.nPatterns.Load() > 0 {
			c.close()
		}
	}
}

// isLocalPeer is Redis's test of a client allowed in protected mode: a
// Unix socket, or a peer address that is exactly 127.0.0.1 or ::1 (so
// 127.0.0.2 is remote, as in redis-sentinel 7.0).
func isLocalPeer(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		if ip4 := a.IP.To4(); ip4 != nil {
			return ip4.Equal(net.IPv4(127, 0, 0, 1))
		}
		return a.IP.Equal(net.IPv6loopback)
	case *net.UnixAddr:
		return true
	}
	return false
}

// errProtectedMode is redis-sentinel 7.0.15's DENIED text, word for word.
const errProtectedMode = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
	"In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
	"1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
	"2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
	"3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
	"4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
