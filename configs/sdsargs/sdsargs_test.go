package sdsargs

import (
	"reflect"
	"strings"
	"testing"
)

func TestStrings(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: "sentinel monitor m 127.0.0.1 6379 2", want: []string{"sentinel", "monitor", "m", "127.0.0.1", "6379", "2"}},
		{in: "  a\t b  ", want: []string{"a", "b"}},
		{in: `a "b c" d`, want: []string{"a", "b c", "d"}},
		{in: `"\x41\x4a" "\n\r\t\b\a" "\q\\\""`, want: []string{"AJ", "\n\r\t\b\a", `q\"`}},
		{in: `"\x4" "\xzz"`, want: []string{"x4", "xzz"}},
		{in: `'it\'s' 'a\nb'`, want: []string{"it's", `a\nb`}},
		{in: `""`, want: []string{""}},
		{in: `''`, want: []string{""}},
		{in: `ab"c d"`, want: []string{"abc d"}},
		{in: `ab'c d' e`, want: []string{"abc d", "e"}},
		{in: "a\x00b", want: []string{"a\x00b"}},
		{in: `"unterminated`, wantErr: true},
		{in: `'unterminated`, wantErr: true},
		{in: `"a"b`, wantErr: true},
		{in: `'a'b`, wantErr: true},
		{in: `"ends with backslash\`, wantErr: true},
		{in: `'ends with backslash\`, wantErr: true},
		// redis-server 7.0.15 answers ECHO a<VT>b with "a\vb", ECHO <VT>a
		// with "a", ECHO a<VT> with "a\v", and ECHO "a"<VT>b with a
		// wrong-number-of-arguments error (two arguments).
		{in: "a\vb c\fd", want: []string{"a\vb", "c\fd"}},
		{in: "\va \f", want: []string{"a"}},
		{in: "a\v", want: []string{"a\v"}},
		{in: "\"a\"\vb 'c'\fd", want: []string{"a", "b", "c", "d"}},
	}
	for _, tt := range tests {
		got, ok := Strings(tt.in)
		if ok == tt.wantErr {
			t.Errorf("Strings(%q) ok = %v, want error %v", tt.in, ok, tt.wantErr)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Strings(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitReusesArena(t *testing.T) {
	arena, ends, ok := Split(make([]byte, 0, 64), make([]int, 0, 8), []byte(`PING "a b" c`))
	if !ok || string(arena) != "PINGa bc" || !reflect.DeepEqual(ends, []int{4, 7, 8}) {
		t.Fatalf("Split = %q %v %v", arena, ends, ok)
	}
	arena, ends, ok = Split(arena[:0], ends[:0], []byte(`x`))
	if !ok || string(arena) != "x" || !reflect.DeepEqual(ends, []int{1}) {
		t.Fatalf("second Split = %q %v %v", arena, ends, ok)
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "with space", `q"uote`, `back\slash`, "it's", "nl\n", "\x00\xff\x7f", "#hash", "tab\there", "vt\v", "\a\b\r"} {
		args, ok := Strings("x " + Quote(s))
		if !ok || len(args) != 2 || args[1] != s {
			t.Errorf("Quote(%q) = %s does not read back: %q %v", s, Quote(s), args, ok)
		}
	}
	if got := Quote("plain"); got != "plain" {
		t.Errorf("Quote(plain) = %s, want it bare", got)
	}
	if got := Join("a", "b c", ""); got != `a "b c" ""` {
		t.Errorf("Join = %s", got)
	}
}

// FuzzSplit: Split never panics, agrees with Strings, and Join of what it
// read splits back to the same arguments.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{`a "b c" 'd'`, `"\x41"`, `'a\'b'`, `"x`, `ab"c d"`, "\t\v", "a\vb", "\"a\"\fb", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		arena, ends, ok := Split(nil, nil, []byte(line))
		args, ok2 := Strings(line)
		if ok != ok2 {
			t.Fatalf("Split ok = %v, Strings ok = %v", ok, ok2)
		}
		if !ok {
			return
		}
		if len(ends) != len(args) || (len(ends) > 0 && ends[len(ends)-1] != len(arena)) {
			t.Fatalf("ends %v do not match %q", ends, args)
		}
		if total := len(strings.Join(args, "")); total != len(arena) {
			t.Fatalf("arena holds %d bytes, arguments %d", len(arena), total)
		}
		back, ok := Strings(Join(args...))
		if !ok {
			t.Fatalf("Join(%q) does not split", args)
		}
		if len(args) > 0 && !reflect.DeepEqual(back, args) {
			t.Fatalf("split(join(%q)) = %q", args, back)
		}
	})
}

func BenchmarkSplit(b *testing.B) {
	line := []byte(`SENTINEL get-master-addr-by-name "my master" 'x'`)
	arena, ends := make([]byte, 0, 64), make([]int, 0, 8)
	for b.Loop() {
		arena, ends, _ = Split(arena[:0], ends[:0], line)
	}
}
