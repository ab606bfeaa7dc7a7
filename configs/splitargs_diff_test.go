package configs

import (
	"reflect"
	"testing"

	"github.com/sentinelgo/sentinel/configs/sdsargs"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// FuzzSplitArgsSame runs configs' and pubsub/resp's sdssplitargs on the
// same line and requires the same arguments and the same verdict.
func FuzzSplitArgsSame(f *testing.F) {
	for _, s := range []string{`a "b c" 'd'`, `"\x41"`, `'a\'b'`, `"x`, `ab"c d"`, "\t\v", "a\vb", "a\fb c", `"a"` + "\v", "'a'\fb", "\x00 a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		want, err := splitArgs(line)
		arena, ends, ok := resp.SplitArgs(nil, nil, []byte(line))
		if ok != (err == nil) {
			t.Fatalf("%q: configs err=%v, resp ok=%v", line, err, ok)
		}
		if _, ok2 := sdsargs.Strings(line); ok2 != ok {
			t.Fatalf("%q: sdsargs ok=%v, resp ok=%v", line, ok2, ok)
		}
		if !ok {
			return
		}
		var got []string
		start := 0
		for _, end := range ends {
			got = append(got, string(arena[start:end]))
			start = end
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: configs %q, resp %q", line, want, got)
		}
		shared, ok2 := sdsargs.Strings(line)
		if !ok2 || !reflect.DeepEqual(shared, want) {
			t.Fatalf("%q: configs %q, sdsargs %q %v", line, want, shared, ok2)
		}
		if q := sdsargs.Join(want...); q != joinArgs(want...) {
			t.Fatalf("join %q: %q vs %q", want, q, joinArgs(want...))
		}
	})
}
