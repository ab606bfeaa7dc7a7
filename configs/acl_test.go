package configs

import (
	"reflect"
	"strings"
	"testing"
)

func TestConfUserLines(t *testing.T) {
	cfg, err := ParseConf([]byte("user default on \">my pw\" ~* &* +@all\nuser app on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 -@all +ping\n"), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := cfg.UserLines()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Source != "s.conf:1" || !reflect.DeepEqual(lines[0].Args, []string{"default", "on", ">my pw", "~*", "&*", "+@all"}) || lines[1].Source != "s.conf:2" {
		t.Fatalf("lines = %+v", lines)
	}
}

func TestConfUserErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"user default on bogus\n", "s.conf:1: user: Error in ACL SETUSER modifier 'bogus': Syntax error"},
		{"user app <hidden\n", ""}, // removing a password from a new user: checked at start
		{"user a on\nuser b on\naclfile /x\n", "sentinel.aclfile: Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid"},
		{"user a (+ping\n", "Unmatched parenthesis"},
		{"user\n", "wrong number of arguments"},
		{"acllog-max-len x\n", "is not a number"},
		{"acl-pubsub-default some\n", "must be resetchannels or allchannels"},
	} {
		_, err := ParseConf([]byte(tc.conf), "s.conf")
		switch {
		case tc.want == "" && err != nil && !strings.Contains(err.Error(), "password you are trying to remove"):
			t.Errorf("%q: %v", tc.conf, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: err = %v, want %q", tc.conf, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hidden") {
			t.Errorf("%q: error shows a password: %v", tc.conf, err)
		}
	}
}

func TestParseACLFile(t *testing.T) {
	lines, err := ParseACLFile([]byte("user default on nopass ~* &* +@all\n\nuser app on >pw -@all +ping\n"), "users.acl")
	if err != nil || len(lines) != 2 || lines[1].Source != "users.acl:3" {
		t.Fatalf("lines = %+v, err = %v", lines, err)
	}
	if _, err := ParseACLFile([]byte("# comment\n"), "users.acl"); err == nil || !strings.Contains(err.Error(), "users.acl:1") {
		t.Fatalf("comment accepted: %v", err)
	}
}

func TestYAMLUsers(t *testing.T) {
	cfg, err := Load([]byte("sentinel:\n  users:\n    - default on >pw ~* &* +@all\n    - app on bogus\nmasters: []\n"))
	if err == nil || !strings.Contains(err.Error(), "sentinel.users[1]") {
		t.Fatalf("cfg = %+v, err = %v", cfg, err)
	}
}

func TestRewriteUserLines(t *testing.T) {
	old := "port 26379\nuser default on nopass ~* &* +@all\n# keep\nuser old on nopass\nsentinel monitor m 127.0.0.1 6379 1\n"
	cfg, err := ParseConf([]byte(old), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	st := StateOf(cfg)
	st.Users = []string{"user app on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 resetchannels -@all +ping", "user default on nopass ~* &* +@all"}
	got := string(RewriteConf([]byte(old), st))
	if !strings.Contains(got, "port 26379\nuser app on #30c9") || !strings.Contains(got, "+ping\n# keep\nuser default on nopass ~* &* +@all\nsentinel monitor") || strings.Contains(got, "user old") {
		t.Fatalf("rewrite:\n%s", got)
	}
	st.Users = nil
	if got := string(RewriteConf([]byte(old), st)); !strings.Contains(got, "user old on nopass") {
		t.Fatalf("nil Users must keep the lines:\n%s", got)
	}
	if _, err := ParseConf([]byte(got), "s.conf"); err != nil {
		t.Fatal(err)
	}
}

func TestSaveACLFileRoundTrip(t *testing.T) {
	path := t.TempDir() + "/users.acl"
	if err := SaveACLFile(path, []string{"user default on nopass ~* &* +@all", "user app on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 -@all +ping"}); err != nil {
		t.Fatal(err)
	}
	lines, err := LoadACLFile(path)
	if err != nil || len(lines) != 2 || lines[1].Args[0] != "app" {
		t.Fatalf("lines = %+v, err = %v", lines, err)
	}
}

// TestStateFileUsers: a YAML sentinel's runtime ACL users are saved in the
// state file (hashes) and come back on the next start, unless the YAML's
// users were edited since.
func TestStateFileUsers(t *testing.T) {
	dir := t.TempDir()
	yamlText := "sentinel:\n  users:\n    - default on >pw ~* &* +@all\nmasters: []\n"
	cfg, err := Load([]byte(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	sf := NewStateFile(dir+"/state.yaml", cfg)
	st := StateOf(cfg)
	st.Users = []string{"user default on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* &* +@all", "user app on nopass resetchannels -@all +ping"}
	if err := sf.Save(st); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadState(dir + "/state.yaml")
	if err != nil {
		t.Fatal(err)
	}
	merged := Merge(cfg, loaded)
	if len(merged.Sentinel.Users) != 2 || merged.Sentinel.Users[1] != "app on nopass resetchannels -@all +ping" {
		t.Fatalf("merged users = %q", merged.Sentinel.Users)
	}
	edited, err := Load([]byte("sentinel:\n  users:\n    - default on >other ~* &* +@all\nmasters: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Merge(edited, loaded).Sentinel.Users; len(got) != 1 || got[0] != "default on >other ~* &* +@all" {
		t.Fatalf("an edited YAML must win: %q", got)
	}
}

// FuzzParseACLFile: any ACL file text parses or fails with a line-numbered
// error, never a panic, and never shows a ">password" rule in an error.
func FuzzParseACLFile(f *testing.F) {
	for _, s := range []string{
		"user default on nopass ~* &* +@all\n", "user app on >secretpw -@all +ping\n\nuser b off\n",
		"# comment\n", "user\n", "user x (+ping\n", "user \"a b\" on\n", "user x on bogus\n", "user x <secretpw\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines, err := ParseACLFile([]byte(text), "users.acl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "users.acl:") {
				t.Fatalf("error without a line: %v", err)
			}
			if _, m, ok := strings.Cut(err.Error(), "modifier '"); ok && m != "" && (m[0] == '>' || m[0] == '<') && !strings.HasPrefix(m[1:], "(redacted)") {
				t.Fatalf("error shows a password: %v", err)
			}
			return
		}
		for _, l := range lines {
			if len(l.Args) == 0 {
				t.Fatalf("empty user line from %q", text)
			}
		}
	})
}
