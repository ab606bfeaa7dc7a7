package acl

import (
	"strings"
	"testing"
)

// testCatalog is a small table shaped like a sentinel's: a container with
// subcommands, no-auth commands, and categories.
func testCatalog(t testing.TB) *Catalog {
	t.Helper()
	cat, err := NewCatalog([]Spec{
		{Name: "ping", Categories: []string{"@fast", "@connection"}},
		{Name: "auth", Categories: []string{"@fast", "@connection"}, NoAuth: true},
		{Name: "info", Categories: []string{"@slow", "@dangerous"}},
		{Name: "publish", Categories: []string{"@pubsub", "@fast"}},
		{Name: "subscribe", Categories: []string{"@pubsub", "@slow"}},
		{Name: "psubscribe", Categories: []string{"@pubsub", "@slow"}},
		{Name: "sentinel", Categories: []string{"@admin", "@slow", "@dangerous"}, Subs: []Spec{
			{Name: "masters", Categories: []string{"@admin", "@slow", "@dangerous"}},
			{Name: "get-master-addr-by-name", Categories: []string{"@admin", "@slow", "@dangerous"}},
			{Name: "reset", Categories: []string{"@admin", "@slow", "@dangerous"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestDescribe(t *testing.T) {
	cat := testCatalog(t)
	for _, tc := range []struct{ rules, want string }{
		{"", "off resetchannels -@all"},
		{"on nopass", "on nopass resetchannels -@all"},
		{"+@all -ping", "off resetchannels +@all -ping"},
		{"+@all -@dangerous", "off resetchannels +@all -@dangerous"},
		{"-@all +@all", "off resetchannels +@all"},
		{"~* &* +@all", "off ~* &* +@all"},
		{"allkeys allchannels", "off ~* &* -@all"},
		{"%R~foo ~bar* &x &x", "off %R~foo ~bar* resetchannels &x -@all"},
		{"+sentinel|masters", "off resetchannels -@all +sentinel|masters"},
		{"+ping|foo", "off resetchannels -@all +ping|foo"},
		{"reset", "off sanitize-payload resetchannels -@all"},
		{"sanitize-payload skip-sanitize-payload", "off skip-sanitize-payload resetchannels -@all"},
		{"+@all -@all +info", "off resetchannels -@all +info"},
		{"(+ping)", "off resetchannels -@all (resetchannels -@all +ping)"},
		{">pw", "off #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 resetchannels -@all"},
		{">pw nopass", "off nopass resetchannels -@all"},
		{"+sentinel", "off resetchannels -@all +@admin"},
	} {
		u := NewUser(cat, "t")
		if err := u.ApplyAll(cat, strings.Fields(tc.rules)); err != nil {
			t.Fatalf("%q: %v", tc.rules, err)
		}
		if got := u.Describe(cat); got != tc.want {
			t.Errorf("%q: Describe = %q, want %q", tc.rules, got, tc.want)
		}
		// The description applied to a new user gives the same user.
		v := NewUser(cat, "t")
		if err := v.ApplyAll(cat, strings.Fields(u.Describe(cat))); err != nil {
			t.Fatalf("%q: re-apply: %v", tc.rules, err)
		}
		if v.Describe(cat) != u.Describe(cat) {
			t.Errorf("%q: round trip %q != %q", tc.rules, v.Describe(cat), u.Describe(cat))
		}
	}
}

func TestRuleErrors(t *testing.T) {
	cat := testCatalog(t)
	for _, tc := range []struct{ rules, want string }{
		{"-ping|foo", "Error in ACL SETUSER modifier '-ping|foo': Unknown command or category name in ACL"},
		{"+sentinel|", "Error in ACL SETUSER modifier '+sentinel|': Syntax error"},
		{"+nosuch", "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"},
		{"+@nosuch", "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"},
		{"&* &x", "Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"},
		{"~* ~x", "Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"},
		{"<nope", "Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist"},
		{"#abc", "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{"+sentinel|masters|x", "Error in ACL SETUSER modifier '+sentinel|masters|x': Allowing first-arg of a subcommand is not supported"},
		{"bogus", "Error in ACL SETUSER modifier 'bogus': Syntax error"},
		{"%X~a", "Error in ACL SETUSER modifier '%X~a': Syntax error"},
	} {
		u := NewUser(cat, "t")
		err := u.ApplyAll(cat, strings.Fields(tc.rules))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: err = %v, want %q", tc.rules, err, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	cat := testCatalog(t)
	u := NewUser(cat, "app")
	if err := u.ApplyAll(cat, strings.Fields("on >pw -@all +ping +sentinel|get-master-addr-by-name +subscribe &+switch-master &__sentinel__:*")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cmd  string
		args []string
		ch   Channels
		want Denial
	}{
		{"ping", nil, Channels{}, Allowed},
		{"auth", nil, Channels{}, Allowed},
		{"info", nil, Channels{}, DeniedCommand},
		{"sentinel|get-master-addr-by-name", nil, Channels{}, Allowed},
		{"sentinel|masters", nil, Channels{}, DeniedCommand},
		{"subscribe", nil, Channels{Names: []string{"+switch-master"}}, Allowed},
		{"subscribe", nil, Channels{Names: []string{"__sentinel__:hello"}}, Allowed},
		{"subscribe", nil, Channels{Names: []string{"+switch-master", "+sdown"}}, DeniedChannel},
		{"psubscribe", nil, Channels{Names: []string{"*"}, Patterns: true}, DeniedCommand},
	} {
		if got := u.Check(cat.Lookup(tc.cmd), tc.args, tc.ch); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.cmd, tc.ch, got, tc.want)
		}
	}
	if !u.Authenticate("pw") || u.Authenticate("nope") {
		t.Error("Authenticate")
	}
	_ = u.Apply(cat, "off")
	if u.Authenticate("pw") {
		t.Error("a disabled user authenticated")
	}
}

func TestRegistryLoad(t *testing.T) {
	cat := testCatalog(t)
	r := NewRegistry(cat)
	r.SetRequirePass("secret")
	if !r.Default().Authenticate("secret") || r.Default().NoPass() {
		t.Fatal("requirepass not applied")
	}
	err := r.Load([]UserLine{{Source: "f:1", Args: []string{"default", "on", ">pw", "~*", "&*", "+@all"}}, {Source: "f:2", Args: []string{"a", "on", ">apw", "+nosuch"}}})
	if err == nil || !strings.Contains(err.Error(), "f:2") || strings.Contains(err.Error(), "apw") {
		t.Fatalf("err = %v", err)
	}
	if !r.Default().Authenticate("secret") {
		t.Fatal("a failed Load changed the users")
	}
	if err := r.Load([]UserLine{{Source: "f:1", Args: []string{"default", "on", ">pw", "~*", "&*", "+@all"}}}); err != nil {
		t.Fatal(err)
	}
	if r.Default().Authenticate("secret") || !r.Default().Authenticate("pw") {
		t.Fatal("a user default line must replace requirepass")
	}
	if got := r.Lines(); len(got) != 1 || got[0] != "user default on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* &* +@all" {
		t.Fatalf("Lines = %q", got)
	}
	err = r.Load([]UserLine{{Source: "f:1", Args: []string{"x", "on"}}, {Source: "f:2", Args: []string{"x", "off"}}})
	if err == nil || !strings.Contains(err.Error(), "Duplicate user") {
		t.Fatalf("duplicate: %v", err)
	}
	err = r.Load([]UserLine{{Source: "f:3", Args: []string{"x", "<secretpw"}}})
	if err == nil || strings.Contains(err.Error(), "secretpw") {
		t.Fatalf("password in error: %v", err)
	}
}

func TestCheckLine(t *testing.T) {
	if err := CheckLine([]string{"a", "on", "+nosuchcommand", ">pw"}); err != nil {
		t.Errorf("unknown commands pass the syntax check: %v", err)
	}
	if err := CheckLine([]string{"a", "bogus"}); err == nil {
		t.Error("bogus accepted")
	}
	if err := CheckLine([]string{"a", "(+ping"}); err == nil {
		t.Error("unclosed selector accepted")
	}
}

func TestLogGrouping(t *testing.T) {
	r := NewRegistry(testCatalog(t))
	r.LogMax = 2
	t0 := mustTime(t)
	r.AddLog(LogEntry{Reason: "command", Object: "info", Username: "a"}, t0)
	r.AddLog(LogEntry{Reason: "command", Object: "info", Username: "a"}, t0.Add(30e9))
	r.AddLog(LogEntry{Reason: "auth", Object: "AUTH", Username: "a"}, t0.Add(31e9))
	r.AddLog(LogEntry{Reason: "command", Object: "info", Username: "a"}, t0.Add(32e9))
	got := r.Log(-1)
	if len(got) != 2 || got[0].Object != "info" || got[0].Count != 3 || got[1].Reason != "auth" {
		t.Fatalf("log = %+v", got)
	}
	r.AddLog(LogEntry{Reason: "command", Object: "info", Username: "a"}, t0.Add(200e9))
	r.AddLog(LogEntry{Reason: "command", Object: "ping", Username: "a"}, t0.Add(201e9))
	if got := r.Log(-1); len(got) != 2 || got[1].Count != 1 {
		t.Fatalf("log after 60 s = %+v", got)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"+switch-master", "+switch-master", true}, {"+*", "+sdown", true},
		{"__sentinel__:*", "__sentinel__:hello", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"[ab]x", "bx", true}, {"[^ab]x", "bx", false}, {"[a-c]", "b", true}, {"\\*", "*", true},
		{"\\*", "a", false}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false},
	} {
		if got := Match(tc.p, tc.s); got != tc.want {
			t.Errorf("Match(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestAllChannelsDefault(t *testing.T) {
	cat := testCatalog(t)
	r := NewRegistry(cat)
	r.AllChannelsDefault = true
	_, u, err := r.SetUser("app", []string{"on", "nopass"})
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Describe(cat); got != "on nopass &* -@all" {
		t.Fatalf("new user = %q", got)
	}
	_, u, _ = r.SetUser("app", []string{"resetchannels", "reset"})
	if got := u.Describe(cat); got != "off sanitize-payload &* -@all" {
		t.Fatalf("after reset = %q", got)
	}
}

// BenchmarkCheck is the per-command cost of the ACL check for a restricted
// user (a command bit and one channel glob).
func BenchmarkCheck(b *testing.B) {
	cat := testCatalog(b)
	u := NewUser(cat, "app")
	if err := u.ApplyAll(cat, strings.Fields("on nopass -@all +ping +sentinel|get-master-addr-by-name +subscribe &+switch-master &__sentinel__:*")); err != nil {
		b.Fatal(err)
	}
	cmd := cat.Lookup("sentinel|get-master-addr-by-name")
	sub := cat.Lookup("subscribe")
	ch := Channels{Names: []string{"__sentinel__:hello"}}
	for b.Loop() {
		if u.Check(cmd, nil, Channels{}) != Allowed || u.Check(sub, nil, ch) != Allowed {
			b.Fatal("denied")
		}
	}
}
