package pubsub

import (
	"io"
	"net"
	"strings"
	"testing"

	"github.com/sentinelgo/sentinel/acl"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

func userLines(lines ...string) []acl.UserLine {
	out := make([]acl.UserLine, len(lines))
	for i, l := range lines {
		out[i] = acl.UserLine{Source: "test:" + itoa(i+1), Args: strings.Fields(l)}
	}
	return out
}

func wantOK(t *testing.T, v resp.Value) {
	t.Helper()
	if v.Kind != resp.KindSimple || v.Str != "OK" {
		t.Fatalf("reply %+v, want OK", v)
	}
}

func wantErr(t *testing.T, v resp.Value, want string) {
	t.Helper()
	if got := errText(t, v); got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
}

// TestACL_UserDefaultLine: "user default on >pw" closes the sentinel as
// requirepass does (the hole of issue 12: it used to be ignored).
func TestACL_UserDefaultLine(t *testing.T) {
	ts := startServer(t, func(o *Options) {
		o.ACLUsers = userLines("default on >pw ~* &* +@all")
	})
	c := dialRaw(t, ts.addr)
	wantErr(t, c.do("PING"), "NOAUTH Authentication required.")
	wantErr(t, c.do("AUTH", "nope"), "WRONGPASS invalid username-password pair or user is disabled.")
	wantOK(t, c.do("AUTH", "pw"))
	if v := c.do("PING"); v.Str != "PONG" {
		t.Fatalf("PING after AUTH = %+v", v)
	}
	c2 := dialRaw(t, ts.addr)
	wantOK(t, c2.do("AUTH", "default", "pw"))
}

// TestACL_UserDefaultOff: a disabled default user leaves every new
// connection unauthenticated, and no password logs in as default.
func TestACL_UserDefaultOff(t *testing.T) {
	ts := startServer(t, func(o *Options) {
		o.ACLUsers = userLines("default off nopass ~* &* +@all", "admin on >apw ~* &* +@all")
	})
	c := dialRaw(t, ts.addr)
	wantErr(t, c.do("PING"), "NOAUTH Authentication required.")
	wantErr(t, c.do("AUTH", "default", "x"), "WRONGPASS invalid username-password pair or user is disabled.")
	wantErr(t, c.do("AUTH", "x"), errAuthNoPassword)
	wantOK(t, c.do("AUTH", "admin", "apw"))
	if v := c.do("ACL", "WHOAMI"); v.Str != "admin" {
		t.Fatalf("WHOAMI = %+v", v)
	}
}

// TestACL_RequirePassIsDefaultPassword: requirepass sets the default
// user's password, and a "user default" line replaces it (Redis's order).
func TestACL_RequirePassIsDefaultPassword(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.RequirePass = "rp" })
	c := dialRaw(t, ts.addr)
	wantOK(t, c.do("AUTH", "rp"))
	v := c.do("ACL", "LIST")
	if len(v.Elems) != 1 || v.Elems[0].Str != "user default on #"+acl.HashPassword("rp")+" ~* &* +@all" {
		t.Fatalf("ACL LIST = %+v", v)
	}
	ts2 := startServer(t, func(o *Options) {
		o.RequirePass = "rp"
		o.ACLUsers = userLines("default on >pw ~* &* +@all")
	})
	c2 := dialRaw(t, ts2.addr)
	wantErr(t, c2.do("AUTH", "rp"), "WRONGPASS invalid username-password pair or user is disabled.")
	wantOK(t, c2.do("AUTH", "pw"))
}

func TestACL_BadUserLineRefusesToStart(t *testing.T) {
	_, err := New(Options{Addrs: []string{"127.0.0.1:0"}, Controller: newFakeController(),
		ACLUsers: userLines("app on >secret123 +nosuchcommand")})
	if err == nil || !strings.Contains(err.Error(), "test:1") || !strings.Contains(err.Error(), "+nosuchcommand") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "secret123") {
		t.Fatalf("error shows the password: %v", err)
	}
}

// TestACL_RestrictedClient: the user a client library needs can ask for
// the master and follow +switch-master, and nothing else.
func TestACL_RestrictedClient(t *testing.T) {
	ts := startServer(t, func(o *Options) {
		o.ACLUsers = userLines("default on >pw ~* &* +@all",
			"app on >apw resetchannels &+switch-master -@all +ping +sentinel|get-master-addr-by-name +subscribe")
	})
	c := dialRaw(t, ts.addr)
	wantOK(t, c.do("AUTH", "app", "apw"))
	if v := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); v.Kind != resp.KindArray || len(v.Elems) != 2 {
		t.Fatalf("get-master-addr-by-name = %+v", v)
	}
	wantErr(t, c.do("SENTINEL", "MASTERS"), "NOPERM this user has no permissions to run the 'sentinel|masters' command")
	wantErr(t, c.do("INFO"), "NOPERM this user has no permissions to run the 'info' command")
	wantErr(t, c.do("ACL", "WHOAMI"), "NOPERM this user has no permissions to run the 'acl|whoami' command")
	wantErr(t, c.do("PSUBSCRIBE", "*"), "NOPERM this user has no permissions to run the 'psubscribe' command")
	wantErr(t, c.do("SUBSCRIBE", "+switch-master", "+sdown"), errNoPermChannel)
	if v := c.do("SUBSCRIBE", "+switch-master"); v.Kind != resp.KindArray || v.Elems[1].Str != "+switch-master" {
		t.Fatalf("subscribe = %+v", v)
	}

	admin := dialRaw(t, ts.addr)
	wantOK(t, admin.do("AUTH", "pw"))
	log := admin.do("ACL", "LOG")
	if len(log.Elems) != 5 {
		t.Fatalf("ACL LOG has %d entries, want 5: %+v", len(log.Elems), log)
	}
	first := logFields(log.Elems[0])
	if first["reason"] != "channel" || first["object"] != "+sdown" || first["username"] != "app" || first["count"] != "1" {
		t.Fatalf("latest entry = %v", first)
	}
	if !strings.Contains(first["client-info"], " user=app ") {
		t.Fatalf("client-info = %q", first["client-info"])
	}
	list := admin.do("CLIENT", "LIST")
	if !strings.Contains(list.Str, " user=app ") {
		t.Fatalf("CLIENT LIST lacks user=app: %q", list.Str)
	}
	// Taking the channel away disconnects the subscriber.
	wantOK(t, admin.do("ACL", "SETUSER", "app", "resetchannels"))
	c.expectClosed()
}

func logFields(v resp.Value) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		val := v.Elems[i+1]
		s := val.Str
		if val.Kind == resp.KindInteger {
			s = itoa(int(val.Int))
		}
		m[v.Elems[i].Str] = s
	}
	return m
}

func TestACL_SetUserGetUserDelUser(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	wantOK(t, c.do("ACL", "SETUSER", "bob", "on", ">bpw", "-@all", "+ping", "&a*"))
	wantErr(t, c.do("ACL", "SETUSER", "bob", "+nosuch"), "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL")
	wantErr(t, c.do("ACL", "SETUSER", "bob", "(+ping"), "ERR Unmatched parenthesis in acl selector starting at '(+ping'.")
	wantErr(t, c.do("ACL", "SETUSER", "a b"), "ERR Usernames can't contain spaces or null characters")
	v := c.do("ACL", "GETUSER", "bob")
	f := logFields(v)
	if f["commands"] != "-@all +ping" || f["channels"] != "&a*" || f["keys"] != "" {
		t.Fatalf("GETUSER = %v", f)
	}
	if v := c.do("ACL", "GETUSER", "nosuch"); v.Kind != resp.KindNull {
		t.Fatalf("GETUSER nosuch = %+v", v)
	}
	if v := c.do("ACL", "USERS"); len(v.Elems) != 2 || v.Elems[0].Str != "bob" || v.Elems[1].Str != "default" {
		t.Fatalf("USERS = %+v", v)
	}
	if v := c.do("ACL", "DRYRUN", "bob", "info"); v.Str != "This user has no permissions to run the 'info' command" {
		t.Fatalf("DRYRUN = %+v", v)
	}
	if v := c.do("ACL", "DRYRUN", "bob", "ping"); v.Str != "OK" {
		t.Fatalf("DRYRUN ping = %+v", v)
	}
	if v := c.do("ACL", "GENPASS", "5"); len(v.Str) != 2 {
		t.Fatalf("GENPASS 5 = %+v", v)
	}
	bob := dialRaw(t, ts.addr)
	wantOK(t, bob.do("AUTH", "bob", "bpw"))
	wantErr(t, c.do("ACL", "DELUSER", "default"), "ERR The 'default' user cannot be removed")
	if v := c.do("ACL", "DELUSER", "bob", "nosuch"); v.Int != 1 {
		t.Fatalf("DELUSER = %+v", v)
	}
	bob.expectClosed()
	wantErr(t, c.do("ACL", "SAVE"), errNoACLFile)
}

// TestACL_UsersChangedHook: SETUSER and DELUSER hand the user lines to the
// owner, who persists them; the lines hold hashes, never a password.
func TestACL_UsersChangedHook(t *testing.T) {
	var got [][]string
	ts := startServer(t, func(o *Options) {
		o.OnUsersChanged = func(lines []string) { got = append(got, lines) }
	})
	c := dialRaw(t, ts.addr)
	wantOK(t, c.do("ACL", "SETUSER", "bob", "on", ">verysecret"))
	if v := c.do("ACL", "DELUSER", "bob"); v.Int != 1 {
		t.Fatal(v)
	}
	if len(got) != 2 || len(got[0]) != 2 || len(got[1]) != 1 {
		t.Fatalf("hook calls = %q", got)
	}
	if strings.Contains(strings.Join(got[0], "\n"), "verysecret") {
		t.Fatal("a user line holds the password")
	}
}

// TestProtectedMode_DefaultUserPassword: protected mode denies remote
// clients only while the default user is nopass, whatever set its
// password (requirepass or a user line), as Redis 7.0 does.
func TestProtectedMode_DefaultUserPassword(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  func(*Options)
		admit bool
	}{
		{"nopass", func(*Options) {}, false},
		{"requirepass", func(o *Options) { o.RequirePass = "x" }, true},
		{"user default line", func(o *Options) { o.ACLUsers = userLines("default on >pw ~* &* +@all") }, true},
		{"user default off nopass", func(o *Options) { o.ACLUsers = userLines("default off nopass") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Addrs: []string{"127.0.0.1:0"}, ProtectedMode: true, Controller: newFakeController()}
			tc.opts(&opts)
			srv, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			server, client := net.Pipe()
			defer client.Close()
			remote := remoteAddrConn{Conn: server, remote: &net.TCPAddr{IP: net.ParseIP("127.0.0.2"), Port: 5555}}
			got := make(chan string, 1)
			go func() {
				b, _ := io.ReadAll(client)
				got <- string(b)
			}()
			c := srv.register(remote)
			if (c != nil) != tc.admit {
				t.Fatalf("admitted = %v, want %v", c != nil, tc.admit)
			}
			if c != nil {
				srv.unregister(c)
				server.Close()
				<-got
				return
			}
			if reply := <-got; reply != "-"+errProtectedMode+"\r\n" {
				t.Fatalf("reply %q", reply)
			}
		})
	}
}

func TestACL_SaveLoad(t *testing.T) {
	var file []string
	ts := startServer(t, func(o *Options) {
		o.SaveACLFile = func(lines []string) error { file = lines; return nil }
		o.LoadACLFile = func() ([]acl.UserLine, error) {
			var out []acl.UserLine
			for _, l := range file {
				out = append(out, acl.UserLine{Source: "users.acl", Args: strings.Fields(strings.TrimPrefix(l, "user "))})
			}
			return out, nil
		}
	})
	c := dialRaw(t, ts.addr)
	wantOK(t, c.do("ACL", "SETUSER", "bob", "on", ">bpw", "+ping"))
	wantOK(t, c.do("ACL", "SAVE"))
	if len(file) != 2 || !strings.HasPrefix(file[0], "user bob on #") {
		t.Fatalf("saved %q", file)
	}
	if v := c.do("ACL", "DELUSER", "bob"); v.Int != 1 {
		t.Fatalf("DELUSER = %+v", v)
	}
	wantOK(t, c.do("ACL", "LOAD"))
	bob := dialRaw(t, ts.addr)
	wantOK(t, bob.do("AUTH", "bob", "bpw"))
}
