package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "+switch-master", true},
		{"+s*", "+sdown", true},
		{"+s*", "-sdown", false},
		{"+?down", "+sdown", true},
		{"+?down", "+down", false},
		{"[-+]sdown", "-sdown", true},
		{"[^+]sdown", "+sdown", false},
		{"[a-c]x", "bx", true},
		{"[c-a]x", "bx", true},
		{"a\\*b", "a*b", true},
		{"a\\*b", "axb", false},
		{"*master*", "+switch-master", true},
		{"*a*a*a*a*a*b", strings.Repeat("a", 60), false},
		{"my*", "mymaster", true},
		{"", "", true},
		{"", "x", false},
		{"[abc", "b", true},
		{"*", "anything", true},
		{"*", "", true},
		{"my*", "mymaster", true},
		{"my*", "master", false},
		{"m?ster", "muster", true},
		{"m?ster", "mster", false},
		{"[a-c]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"[^a-c]x", "dx", true},
		{"[^a-c]x", "ax", false},
		{"[abc", "[abc", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"*a*b*c", "xxaxxbxxc", true},
		{"*a*b*c", "xxaxxcxxb", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// refMatch is a direct recursive transcription of the glob rules, used as
// the oracle for FuzzMatch (exponential, so inputs are kept short).
func refMatch(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if refMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && refMatch(p[1:], s[1:])
	case '[':
		if s == "" {
			return false
		}
		next, ok := matchClass(p, 0, s[0])
		return ok && refMatch(p[next:], s[1:])
	case '\\':
		if len(p) >= 2 {
			return s != "" && s[0] == p[1] && refMatch(p[2:], s[1:])
		}
		return s != "" && s[0] == '\\' && refMatch(p[1:], s[1:])
	default:
		return s != "" && s[0] == p[0] && refMatch(p[1:], s[1:])
	}
}

func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{{"*", "x"}, {"+s*", "+sdown"}, {"[^a-c]?\\*", "d-*"}, {"*a*b", "aab"}, {"[", "["}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 12 || len(name) > 16 {
			return
		}
		if got, want := Match(pattern, name), refMatch(pattern, name); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, name, got, want)
		}
	})
}
