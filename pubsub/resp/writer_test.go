package resp

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func render(proto int, fn func(w *Writer)) string {
	var b bytes.Buffer
	w := NewWriter(&b)
	w.SetProtocol(proto)
	fn(w)
	_ = w.Flush()
	return b.String()
}

func TestWriterPerProtocol(t *testing.T) {
	tests := []struct {
		name         string
		fn           func(w *Writer)
		resp2, resp3 string
	}{
		{"simple", func(w *Writer) { w.SimpleString("OK") }, "+OK\r\n", "+OK\r\n"},
		{"error strips newlines", func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n", "-ERR a  b\r\n"},
		{"integer", func(w *Writer) { w.Integer(-42) }, ":-42\r\n", ":-42\r\n"},
		{"bulk", func(w *Writer) { w.BulkString("a\r\nb") }, "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"map", func(w *Writer) { w.MapLen(1); w.BulkString("k"); w.Integer(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{"set", func(w *Writer) { w.SetLen(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n"},
		{"push", func(w *Writer) { w.PushLen(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", ">1\r\n$1\r\na\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "ab") }, "$2\r\nab\r\n", "=6\r\ntxt:ab\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"double %.17g", func(w *Writer) { w.Double(0.164) }, "$19\r\n0.16400000000000001\r\n", ",0.16400000000000001\r\n"},
		{"bool", func(w *Writer) { w.Bool(true); w.Bool(false) }, ":1\r\n:0\r\n", "#t\r\n#f\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(RESP2, tt.fn); got != tt.resp2 {
				t.Errorf("RESP2 = %q, want %q", got, tt.resp2)
			}
			if got := render(RESP3, tt.fn); got != tt.resp3 {
				t.Errorf("RESP3 = %q, want %q", got, tt.resp3)
			}
		})
	}
}

// randomValue builds a reply tree of every kind; NaN is left out because it
// never compares equal.
func randomValue(r *rand.Rand, depth int) Value {
	kinds := []Kind{KindSimple, KindError, KindInteger, KindBulk, KindNull, KindVerbatim, KindDouble, KindBool, KindBigNumber}
	if depth < 3 {
		kinds = append(kinds, KindArray, KindMap, KindSet, KindPush)
	}
	word := func() string {
		const letters = "abc xyz-_:0123"
		n := r.IntN(8)
		var b strings.Builder
		for range n {
			b.WriteByte(letters[r.IntN(len(letters))])
		}
		return b.String()
	}
	switch k := kinds[r.IntN(len(kinds))]; k {
	case KindSimple, KindError:
		return Value{Kind: k, Str: word()}
	case KindInteger:
		return Value{Kind: k, Int: r.Int64() - r.Int64()}
	case KindBulk:
		return Value{Kind: k, Str: word() + "\r\n" + word()}
	case KindNull:
		return Value{Kind: k}
	case KindVerbatim:
		return Value{Kind: k, Format: "txt", Str: word()}
	case KindDouble:
		return Value{Kind: k, Float: []float64{0, 1.5, -2.25, 1e300, math.Inf(1), r.NormFloat64()}[r.IntN(6)]}
	case KindBool:
		return Value{Kind: k, Bool: r.IntN(2) == 1}
	case KindBigNumber:
		return Value{Kind: k, Str: "-1234567890123456789012345678901234567890"}
	default:
		n := r.IntN(4)
		if k == KindMap {
			n *= 2
		}
		v := Value{Kind: k, Elems: []Value{}}
		for range n {
			v.Elems = append(v.Elems, randomValue(r, depth+1))
		}
		return v
	}
}

// downgrade is what a RESP2 client reads back for a RESP3 value.
func downgrade(v Value) Value {
	switch v.Kind {
	case KindMap, KindSet, KindPush, KindArray:
		out := Value{Kind: KindArray, Elems: []Value{}}
		for _, e := range v.Elems {
			out.Elems = append(out.Elems, downgrade(e))
		}
		return out
	case KindVerbatim:
		return Value{Kind: KindBulk, Str: v.Str}
	case KindDouble:
		return Value{Kind: KindBulk, Str: FormatDouble(v.Float)}
	case KindBigNumber:
		return Value{Kind: KindBulk, Str: v.Str}
	case KindBool:
		if v.Bool {
			return Value{Kind: KindInteger, Int: 1}
		}
		return Value{Kind: KindInteger, Int: 0}
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		v := randomValue(r, 0)
		for _, proto := range []int{RESP2, RESP3} {
			wire := render(proto, func(w *Writer) { w.WriteValue(v) })
			got, err := NewValueReader(strings.NewReader(wire), Limits{}).ReadValue()
			if err != nil {
				t.Fatalf("case %d RESP%d: read %q: %v", i, proto, wire, err)
			}
			want := v
			if proto == RESP2 {
				want = downgrade(v)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d RESP%d: wire %q\n got %+v\nwant %+v", i, proto, wire, got, want)
			}
		}
	}
}

func TestValueReaderLimits(t *testing.T) {
	lim := Limits{MaxDepth: 2, MaxArgs: 4, MaxBulkLen: 8}
	for _, in := range []string{"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "*5\r\n", "$9\r\n", "=2\r\nab\r\n", "%-1\r\n", "#x\r\n", ",abc\r\n", "(12a\r\n", "!3\r\n"} {
		_, err := NewValueReader(strings.NewReader(in), lim).ReadValue()
		if err == nil || err == io.EOF {
			t.Errorf("%q: err = %v, want a protocol error", in, err)
		}
	}
}

func FuzzReadValue(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$1\r\na\r\n", "$-1\r\n", "*-1\r\n", "_\r\n", "#t\r\n", ",1.5\r\n", ",inf\r\n",
		"(123\r\n", "=7\r\ntxt:abc\r\n", "%1\r\n+a\r\n:1\r\n", "~1\r\n+a\r\n", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n",
		"*2\r\n*1\r\n:1\r\n*1\r\n*1\r\n_\r\n", "*1\r\n", "$5\r\nab\r\n",
	} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxBulkLen: 64, MaxArgs: 16, MaxInlineLen: 128, MaxDepth: 4}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := NewValueReader(bytes.NewReader(in), lim).ReadValue()
		if err != nil {
			return
		}
		wire := render(RESP3, func(w *Writer) { w.WriteValue(v) })
		back, err := NewValueReader(strings.NewReader(wire), lim).ReadValue()
		if err != nil {
			t.Fatalf("re-read of %q: %v", wire, err)
		}
		if !sameValue(back, v) {
			t.Fatalf("round trip changed %+v into %+v", v, back)
		}
	})
}

// sameValue is reflect.DeepEqual with NaN equal to itself.
func sameValue(a, b Value) bool {
	if a.Kind == KindDouble && b.Kind == KindDouble && math.IsNaN(a.Float) && math.IsNaN(b.Float) {
		return true
	}
	if len(a.Elems) != len(b.Elems) {
		return false
	}
	for i := range a.Elems {
		if !sameValue(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	a.Elems, b.Elems = nil, nil
	return reflect.DeepEqual(a, b)
}

// BenchmarkWriteMasterMap writes a SENTINEL MASTER-sized reply: 20 field
// pairs, as a RESP3 map.
func BenchmarkWriteMasterMap(b *testing.B) {
	fields := []string{
		"name", "mymaster", "ip", "127.0.0.1", "port", "16380", "runid", "aadd102a69cf33b432d1505d30f2f741f1d3d9b7",
		"flags", "master", "link-pending-commands", "0", "link-refcount", "1", "last-ping-sent", "0",
		"last-ok-ping-reply", "936", "last-ping-reply", "936", "down-after-milliseconds", "5000",
		"info-refresh", "2972", "role-reported", "master", "role-reported-time", "2976", "config-epoch", "0",
		"num-slaves", "2", "num-other-sentinels", "2", "quorum", "2", "failover-timeout", "180000", "parallel-syncs", "1",
	}
	w := NewWriter(io.Discard)
	w.SetProtocol(RESP3)
	b.ReportAllocs()
	for b.Loop() {
		w.MapLen(len(fields) / 2)
		for _, f := range fields {
			w.BulkString(f)
		}
		_ = w.Flush()
	}
}
