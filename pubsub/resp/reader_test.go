package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// readAll reads commands until an error and returns them with the error.
func readAll(t testing.TB, in string, lim Limits, authenticated bool) ([][]string, error) {
	t.Helper()
	rd := NewReader(strings.NewReader(in), lim)
	rd.SetAuthenticated(authenticated)
	var out [][]string
	for {
		args, err := rd.ReadCommand()
		if err != nil {
			return out, err
		}
		var cmd []string
		for _, a := range args {
			cmd = append(cmd, string(a))
		}
		out = append(out, cmd)
	}
}

func TestReadCommandAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][]string
	}{
		{"multibulk", "*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}}},
		{"pipelined", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nPING\r\n$1\r\nx\r\n", [][]string{{"PING"}, {"PING", "x"}}},
		{"binary bulk", "*2\r\n$4\r\nPING\r\n$4\r\na\r\nb\r\n", [][]string{{"PING", "a\r\nb"}}},
		{"empty bulk", "*2\r\n$4\r\nPING\r\n$0\r\n\r\n", [][]string{{"PING", ""}}},
		{"empty multibulk skipped", "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}}},
		{"inline crlf", "PING\r\n", [][]string{{"PING"}}},
		{"inline lf", "PING\n", [][]string{{"PING"}}},
		{"inline args", "ping hello  world\r\n", [][]string{{"ping", "hello", "world"}}},
		{"inline double quotes", `PING "a b"` + "\r\n", [][]string{{"PING", "a b"}}},
		{"inline single quotes", "PING 'a b'\r\n", [][]string{{"PING", "a b"}}},
		{"inline escapes", `PING "a\x41\n\"\\"` + "\r\n", [][]string{{"PING", "aA\n\"\\"}}},
		{"inline single escape", `PING 'it\'s'` + "\r\n", [][]string{{"PING", "it's"}}},
		{"inline empty quoted", `PING ""` + "\r\n", [][]string{{"PING", ""}}},
		{"inline quote mid token", `PING a"b c"` + "\r\n", [][]string{{"PING", "ab c"}}},
		// As redis-server 7.0.15: \v and \f separate arguments only
		// between them, never inside a bare word.
		{"inline vt ff inside word", "PING a\vb\f\r\n", [][]string{{"PING", "a\vb\f"}}},
		{"inline vt ff between", "PING \v\"a\"\fb\r\n", [][]string{{"PING", "a", "b"}}},
		{"blank lines skipped", "\r\n   \r\nPING\r\nPING\r\n", [][]string{{"PING"}, {"PING"}}},
		{"mixed", "PING\r\n*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}, {"PING"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.in, Limits{}, true)
			if !errors.Is(err, io.EOF) {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if !equalCmds(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func equalCmds(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") || len(a[i]) != len(b[i]) {
			return false
		}
	}
	return true
}

// The reasons are the ones the real redis-sentinel 7.0.15 sent for the same
// bytes (testdata/redis-7.0.15/transcript-protocol.txt).
func TestReadCommandProtocolErrors(t *testing.T) {
	small := Limits{MaxBulkLen: 100, MaxArgs: 8, MaxInlineLen: 64}
	tests := []struct {
		name   string
		in     string
		lim    Limits
		unauth bool
		reason string
		before int // commands read before the error
	}{
		{"bad count", "*x\r\n", Limits{}, false, "invalid multibulk length", 0},
		{"plus count", "*+1\r\n$4\r\nPING\r\n", Limits{}, false, "invalid multibulk length", 0},
		{"leading zero", "*01\r\n$4\r\nPING\r\n", Limits{}, false, "invalid multibulk length", 0},
		{"lf only header", "*1\n$4\r\nPING\r\n", Limits{}, false, "invalid multibulk length", 0},
		{"too many args", "*9\r\n", small, false, "invalid multibulk length", 0},
		{"not dollar", "*1\r\n%4\r\nPING\r\n", Limits{}, false, "expected '$', got '%'", 0},
		{"nested", "*1\r\n*1\r\n", Limits{}, false, "expected '$', got '*'", 0},
		{"integer element", "*1\r\n:1\r\n", Limits{}, false, "expected '$', got ':'", 0},
		{"bad bulk len", "*1\r\n$x\r\n", Limits{}, false, "invalid bulk length", 0},
		{"negative bulk", "*1\r\n$-1\r\n", Limits{}, false, "invalid bulk length", 0},
		{"space bulk len", "*1\r\n$ 4\r\nPING\r\n", Limits{}, false, "invalid bulk length", 0},
		{"lf bulk header", "*1\r\n$4\nPING\r\n", Limits{}, false, "invalid bulk length", 0},
		{"bulk over limit", "*1\r\n$101\r\n", small, false, "invalid bulk length", 0},
		{"after good one", "*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n", Limits{}, false, "invalid bulk length", 1},
		{"bad terminator", "*1\r\n$4\r\nPINGxx\r\n", Limits{}, false, "expected CRLF after bulk string", 0},
		{"unbalanced double", "PING \"abc\r\n", Limits{}, false, "unbalanced quotes in request", 0},
		{"unbalanced single", "PING 'abc\r\n", Limits{}, false, "unbalanced quotes in request", 0},
		{"quote then text", "PING \"a\"b\r\n", Limits{}, false, "unbalanced quotes in request", 0},
		{"inline too long", "PING " + strings.Repeat("a", 70) + "\r\n", small, false, "too big inline request", 0},
		{"inline too long no newline", "PING " + strings.Repeat("a", 70000), Limits{}, false, "too big inline request", 0},
		{"count line too long", "*" + strings.Repeat("1", 70000), Limits{}, false, "too big mbulk count string", 0},
		{"bulk line too long", "*1\r\n$" + strings.Repeat("1", 70000), Limits{}, false, "too big bulk count string", 0},
		{"unauth args", "*11\r\n", Limits{}, true, "unauthenticated multibulk length", 0},
		{"unauth bulk", "*1\r\n$16385\r\n", Limits{}, true, "unauthenticated bulk length", 0},
		{"unauth inline args", "a b c d e f g h i j k\r\n", Limits{}, true, "unauthenticated multibulk length", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.in, tt.lim, !tt.unauth)
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ProtocolError", err)
			}
			if pe.Reason != tt.reason {
				t.Fatalf("reason = %q, want %q", pe.Reason, tt.reason)
			}
			if !errors.Is(err, ErrProtocol) {
				t.Fatal("errors.Is(err, ErrProtocol) = false")
			}
			if want := "ERR Protocol error: " + tt.reason; pe.RESPError() != want {
				t.Fatalf("RESPError = %q, want %q", pe.RESPError(), want)
			}
			if len(got) != tt.before {
				t.Fatalf("read %d commands before the error, want %d", len(got), tt.before)
			}
		})
	}
}

func TestReadCommandTornInput(t *testing.T) {
	for _, in := range []string{"*1\r\n$4\r\nPI", "*2\r\n$4\r\nPING\r\n", "PING", "*1\r\n$4\r\nPING\r"} {
		_, err := readAll(t, in, Limits{}, true)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: err = %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

func TestReadCommandLongLineWithinLimit(t *testing.T) {
	// Longer than the 16 KB bufio buffer, shorter than the 64 KB limit.
	arg := strings.Repeat("z", 40000)
	got, err := readAll(t, "PING "+arg+"\r\n", Limits{}, true)
	if !errors.Is(err, io.EOF) || len(got) != 1 || got[0][1] != arg {
		t.Fatalf("got %d commands, err %v", len(got), err)
	}
}

func TestReadCommandArgsAreReused(t *testing.T) {
	// The contract is "valid until the next call"; make sure the second
	// command does not leak bytes of the first.
	rd := NewReader(strings.NewReader("*2\r\n$4\r\nPING\r\n$5\r\nhello\r\n*1\r\n$4\r\nPING\r\n"), Limits{})
	if _, err := rd.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	args, err := rd.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 1 || string(args[0]) != "PING" || cap(args[0]) != 4 {
		t.Fatalf("second command = %q (cap %d)", args, cap(args[0]))
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "1": 1, "-1": -1, "16380": 16380, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, want := range good {
		if got, ok := ParseInt(s); !ok || got != want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", " 1", "1 ", "1x", "9223372036854775808", "-9223372036854775809", "99999999999999999999"} {
		if _, ok := ParseInt(s); ok {
			t.Errorf("ParseInt(%q) accepted", s)
		}
	}
}

func encodeCommand(args [][]byte) []byte {
	var b bytes.Buffer
	w := NewWriter(&b)
	w.ArrayLen(len(args))
	for _, a := range args {
		w.Bulk(a)
	}
	_ = w.Flush()
	return b.Bytes()
}

func FuzzReadCommand(f *testing.F) {
	seeds := []string{
		"*1\r\n$4\r\nPING\r\n",
		"*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$8\r\nmymaster\r\n",
		"PING\r\n", "PING \"a\\x41\"\r\n", "PING 'a\\'b'\r\n", "\r\n", "*0\r\n", "*-1\r\n",
		"*x\r\n", "*1\r\n%4\r\n", "*1\r\n$-1\r\n", "*1\r\n$4\r\nPINGxx\r\n", "PING \"abc\r\n",
		"*2\r\n$4\r\nPING\r\n", "*1\r\n*1\r\n:1\r\n", "*99\r\n", "*1\r\n$99999\r\n",
		"%1\r\n+a\r\n+b\r\n", ">2\r\n$1\r\na\r\n$1\r\nb\r\n", "=7\r\ntxt:abc\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("a b c d e f g h i j k l\r\n"), true)
	lim := Limits{MaxBulkLen: 64, MaxArgs: 8, MaxInlineLen: 128, UnauthMaxArgs: 4, UnauthMaxBulkLen: 16}
	f.Fuzz(func(t *testing.T, in []byte, unauth bool) {
		rd := NewReader(bytes.NewReader(in), lim)
		rd.SetAuthenticated(!unauth)
		maxArgs, maxBulk := lim.MaxArgs, lim.MaxBulkLen
		if unauth {
			maxArgs, maxBulk = lim.UnauthMaxArgs, lim.UnauthMaxBulkLen
		}
		for {
			args, err := rd.ReadCommand()
			if err != nil {
				return
			}
			if len(args) == 0 {
				t.Fatal("empty command returned")
			}
			total := 0
			for _, a := range args {
				total += len(a)
			}
			// Inline arguments are bounded by the line length, multi-bulk
			// ones by the bulk limit.
			if len(args) > max(maxArgs, lim.MaxInlineLen) || total > max(maxArgs*maxBulk, lim.MaxInlineLen) {
				t.Fatalf("limits exceeded: %d args, %d bytes", len(args), total)
			}
			// Any command re-encoded as multi-bulk reads back identically.
			again := NewReader(bytes.NewReader(encodeCommand(args)), Limits{})
			back, err := again.ReadCommand()
			if err != nil {
				t.Fatalf("re-read: %v", err)
			}
			if len(back) != len(args) {
				t.Fatalf("re-read %d args, want %d", len(back), len(args))
			}
			for i := range back {
				if !bytes.Equal(back[i], args[i]) {
					t.Fatalf("arg %d = %q, want %q", i, back[i], args[i])
				}
			}
		}
	})
}

func BenchmarkReadPipelined(b *testing.B) {
	var batch bytes.Buffer
	for range 64 {
		batch.WriteString("*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$8\r\nmymaster\r\n")
	}
	in := batch.Bytes()
	src := bytes.NewReader(in)
	rd := NewReader(src, Limits{})
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(in)
		for range 64 {
			if _, err := rd.ReadCommand(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
