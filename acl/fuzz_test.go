package acl

import (
	"strings"
	"testing"
	"time"
)

func mustTime(t testing.TB) time.Time {
	t.Helper()
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
}

// FuzzRules applies arbitrary rules: never a panic; a user's description
// applied to a new user describes the same user; a failing rule set leaves
// the registry's user unchanged; the syntax check never refuses what the
// full check accepts.
func FuzzRules(f *testing.F) {
	for _, s := range []string{
		"on >pw ~* &* +@all", "-@all +ping +sentinel|get-master-addr-by-name &+switch-master",
		"+@all -@dangerous", "(+ping ~x) nopass", "%RW~a %R~b %W~c resetkeys", "reset",
		"+ping|x +sentinel|masters|y", "#30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 !30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4",
		"&* &x", "allcommands nocommands allchannels resetchannels", "<x", "(", "()", "+@pubsub -publish",
	} {
		f.Add(s)
	}
	cat := testCatalog(f)
	f.Fuzz(func(t *testing.T, rules string) {
		args := strings.Fields(rules)
		if len(args) > 64 {
			args = args[:64]
		}
		r := NewRegistry(cat)
		before := strings.Join(r.Lines(), "\n")
		_, u, err := r.SetUser("default", args)
		if err != nil {
			if after := strings.Join(r.Lines(), "\n"); after != before {
				t.Fatalf("failed SETUSER changed the user: %q -> %q", before, after)
			}
			if re, ok := AsRuleError(err); ok && len(re.Op) > 8 && (re.Op[0] == '>' || re.Op[0] == '<') && strings.Contains(re.Redacted(), re.Op[1:]) {
				t.Fatalf("redacted error shows a password: %q", re.Redacted())
			}
			return
		}
		if err := CheckLine(append([]string{"x"}, args...)); err != nil {
			if _, open := UnclosedSelector(args); !open {
				t.Fatalf("syntax check refused %q accepted by SETUSER: %v", args, err)
			}
		}
		desc := u.Describe(cat)
		if selectorHasParen(args) {
			// A pattern with a parenthesis inside a selector does not
			// survive a description, in Redis either.
			return
		}
		v := NewUser(cat, "default")
		if err := v.ApplyAll(cat, strings.Fields(desc)); err != nil {
			t.Fatalf("description %q does not apply: %v", desc, err)
		}
		if got := v.Describe(cat); got != desc {
			t.Fatalf("round trip of %q: %q != %q", args, got, desc)
		}
		for _, c := range cat.all {
			for _, ch := range []Channels{{}, {Names: []string{"a"}}, {Names: []string{"a*"}, Patterns: true}} {
				if u.Check(c, []string{"x"}, ch) != v.Check(c, []string{"x"}, ch) {
					t.Fatalf("%q: check of %s differs after round trip", args, c.Name)
				}
			}
		}
	})
}

// selectorHasParen reports a "(...)" selector with a parenthesis inside.
func selectorHasParen(args []string) bool {
	for _, a := range MergeSelectors(args) {
		if len(a) >= 2 && a[0] == '(' && strings.ContainsAny(a[1:len(a)-1], "()") {
			return true
		}
	}
	return false
}
