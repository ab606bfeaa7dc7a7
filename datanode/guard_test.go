package datanode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileSeeds are the replies of the hostile-node table (docs/operations.md,
// "Hostile peers"), as bytes on the wire.
var hostileSeeds = map[string][]byte{
	"nested array for PONG":   []byte("*1\r\n*1\r\n+PONG\r\n"),
	"2^31 element array":      []byte("*2147483647\r\n"),
	"2^31 byte bulk, no body": []byte("$2147483647\r\n"),
	"1 GiB INFO, 64 KiB sent": append([]byte("$1073741824\r\n"), bytes.Repeat([]byte("x"), 64<<10)...),
	"closed at once":          nil,
}

// smallLimits make every bound reachable by short fuzz inputs.
var smallLimits = ReplyLimits{MaxReplyBytes: 256, MaxElements: 16, MaxDepth: 3, MaxLineBytes: 32}

func feedAll(lim ReplyLimits, chunks ...[]byte) (int, error) {
	v := newRespValidator(lim)
	total := 0
	for _, c := range chunks {
		n, err := v.feed(c)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func TestValidator_Table(t *testing.T) {
	def := ReplyLimits{}
	tests := []struct {
		name    string
		lim     ReplyLimits
		in      string
		replies int
		reason  string // "" means accepted
		offset  int64  // of the rejected byte
	}{
		{"status", def, "+PONG\r\n", 1, "", 0},
		{"empty status", def, "+\r\n", 1, "", 0},
		{"error", def, "-LOADING Redis is loading\r\n", 1, "", 0},
		{"integer", def, ":-42\r\n", 1, "", 0},
		{"null bulk and array", def, "$-1\r\n*-1\r\n", 2, "", 0},
		{"empty bulk and array", def, "$0\r\n\r\n*0\r\n", 2, "", 0},
		{"info", def, "$11\r\nrole:master\r\n", 1, "", 0},
		{"subscribe confirmation", def, "*3\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n:1\r\n", 1, "", 0},
		{"is-master-down reply", def, "*3\r\n:1\r\n$1\r\n*\r\n:0\r\n", 1, "", 0},
		{"hello reply with modules", def, "*4\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nmodules\r\n*0\r\n", 1, "", 0},
		{"nested pong is well-formed", def, "*1\r\n*1\r\n+PONG\r\n", 1, "", 0},
		{"pipelined replies", def, "+OK\r\n+QUEUED\r\n*2\r\n+OK\r\n:3\r\n", 3, "", 0},
		{"incomplete is not an error", def, "*2\r\n$3\r\nfo", 0, "", 0},

		{"huge array refused at the digit that crosses the bound", def, "*2147483647\r\n", 0, rejectTooMany, 4},
		{"huge bulk refused before its CRLF", def, "$2147483647\r\n", 0, rejectReplyTooLarge, 8},
		{"1 GiB INFO", def, "$1073741824\r\n", 0, rejectReplyTooLarge, 8},
		{"bulk one byte over", smallLimits, "$249\r\n", 0, rejectReplyTooLarge, 3},
		{"bulk exactly at the bound", smallLimits, "$248\r\n" + strings.Repeat("x", 248) + "\r\n", 1, "", 0},
		{"elements summed over the reply", smallLimits, "*2\r\n*8\r\n" + strings.Repeat(":1\r\n", 8) + "*8\r\n", 0, rejectTooMany, 41},
		{"too deep", smallLimits, "*1\r\n*1\r\n*1\r\n*1\r\n", 0, rejectTooDeep, 15},
		{"empty arrays count for depth too", smallLimits, "*1\r\n*1\r\n*1\r\n*0\r\n", 0, rejectTooDeep, 15},
		{"status exactly at the line bound", smallLimits, "+" + strings.Repeat("a", 32) + "\r\n", 1, "", 0},
		{"long status", smallLimits, "+" + strings.Repeat("a", 40), 0, rejectLineTooLong, 33},
		{"reply too large across elements", smallLimits, "*10\r\n" + strings.Repeat("$30\r\n"+strings.Repeat("y", 30)+"\r\n", 10), 0, rejectReplyTooLarge, 229},
		{"limits reset per reply", smallLimits, strings.Repeat("*15\r\n"+strings.Repeat(":1\r\n", 15), 3), 3, "", 0},

		{"RESP3 map", def, "%1\r\n", 0, rejectMalformed, 0},
		{"RESP3 attribute", def, "|1\r\n", 0, rejectMalformed, 0},
		{"garbage", def, "HTTP/1.1 400 Bad Request\r\n", 0, rejectMalformed, 0},
		{"negative length", def, "*-2\r\n", 0, rejectMalformed, 2},
		{"minus alone", def, "$-\r\n", 0, rejectMalformed, 2},
		{"no digits", def, "$\r\n", 0, rejectMalformed, 1},
		{"sign inside digits", def, "*1-\r\n", 0, rejectMalformed, 2},
		{"header without LF", def, "*1\rx", 0, rejectMalformed, 3},
		{"bare LF in a line", def, "+OK\n", 0, rejectMalformed, 3},
		{"CR inside a line", def, "+O\rK\r\n", 0, rejectMalformed, 3},
		{"bulk without trailing CRLF", def, "$3\r\nfooXY", 0, rejectMalformed, 7},
		{"bulk with CR only", def, "$3\r\nfoo\rX", 0, rejectMalformed, 8},
		{"integer with letters", def, ":12a\r\n", 0, rejectMalformed, 3},
		{"integer without digits", def, ":\r\n", 0, rejectMalformed, 1},
		{"integer too long", def, ":" + strings.Repeat("9", 20) + "\r\n", 0, rejectMalformed, 20},
		{"length with 20 digits", smallLimits, "*" + strings.Repeat("0", 20) + "\r\n", 0, rejectMalformed, 20},
		{"accepted replies before a bad one still count", def, "+OK\r\n+OK\r\n!", 2, rejectMalformed, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := feedAll(tc.lim, []byte(tc.in))
			if n != tc.replies {
				t.Errorf("replies = %d, want %d", n, tc.replies)
			}
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var rej *RejectError
			if !errors.As(err, &rej) || !errors.Is(err, ErrReplyRejected) {
				t.Fatalf("err = %v, want a RejectError (%s)", err, tc.reason)
			}
			if rej.Reason != tc.reason || rej.Offset != tc.offset {
				t.Errorf("rejected for %s at byte %d (%v), want %s at byte %d", rej.Reason, rej.Offset, rej, tc.reason, tc.offset)
			}
			// Refused for good: nothing after is looked at.
			v := newRespValidator(tc.lim)
			v.feed([]byte(tc.in))
			if _, err2 := v.feed([]byte("+OK\r\n")); err2 == nil {
				t.Errorf("a refused stream accepted more bytes")
			}
		})
	}
}

func TestValidator_ErrorNamesTheLimit(t *testing.T) {
	_, err := feedAll(ReplyLimits{}, []byte("$1073741824\r\n"))
	if err == nil || !strings.Contains(err.Error(), "ReplyLimits.MaxReplyBytes") || !strings.Contains(err.Error(), "at least 10737418 bytes") {
		t.Fatalf("err = %v, want it to name the length and the limit", err)
	}
}

func TestReplyLimits_Defaults(t *testing.T) {
	var l ReplyLimits
	l.setDefaults()
	if l.MaxReplyBytes != 8<<20 || l.MaxElements != 1024 || l.MaxDepth != 4 || l.MaxLineBytes != 64<<10 {
		t.Fatalf("defaults = %+v", l)
	}
	l = ReplyLimits{MaxReplyBytes: 100}
	l.setDefaults()
	if l.MaxReplyBytes != 100 {
		t.Fatalf("an explicit limit was overridden: %+v", l)
	}
}

// chunkConn is a net.Conn whose reads return the given chunks in order.
type chunkConn struct {
	net.Conn // nil: only Read and Close are used
	chunks   [][]byte
	closed   bool
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func (c *chunkConn) Close() error { c.closed = true; return nil }

func TestGuardedConn_WithholdsTheViolatingChunk(t *testing.T) {
	raw := &chunkConn{chunks: [][]byte{[]byte("+PONG\r\n"), []byte("*2147"), []byte("483647\r\n")}}
	replies := 0
	var rejected *RejectError
	c := guard(raw, ReplyLimits{}, "cmd link to test", func() { replies++ }, func(r *RejectError) { rejected = r })
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "+PONG\r\n" || replies != 1 {
		t.Fatalf("first read = %q, %v (replies %d)", buf[:n], err, replies)
	}
	// "*2147" is not yet over the bound (2147 > 1024 is): refused here,
	// so go-redis never sees even the start of that header.
	n, err = c.Read(buf)
	if n != 0 || !errors.Is(err, ErrReplyRejected) {
		t.Fatalf("second read = %q, %v; want 0 bytes and a rejection", buf[:n], err)
	}
	if !strings.Contains(err.Error(), "cmd link to test") {
		t.Errorf("error %q does not name the link", err)
	}
	if !raw.closed {
		t.Error("the socket was not closed on the violation")
	}
	if rejected == nil || rejected.Reason != rejectTooMany {
		t.Errorf("onError got %v, want too_many_elements", rejected)
	}
	if n, err := c.Read(buf); n != 0 || !errors.Is(err, ErrReplyRejected) {
		t.Errorf("read after the violation = %d, %v; want the same rejection", n, err)
	}
	if _, ok := c.(syscall.Conn); ok {
		t.Error("a guard over a conn without SyscallConn must not claim one")
	}
}

func TestGuardedConn_KeepsSyscallConnOfTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, ok := guard(conn, ReplyLimits{}, "test", nil, nil).(syscall.Conn); !ok {
		t.Fatal("guard over a TCP conn lost SyscallConn; go-redis could no longer notice idle connections the node closed")
	}
}

// refCheck parses one complete reply at the start of b with a plain
// recursive reader and the same rules; it is the oracle for the fuzz test.
func refCheck(b []byte, lim ReplyLimits) (n int, ok bool) {
	lim.setDefaults()
	elems := int64(0)
	var value func(pos, depth int) (int, bool)
	line := func(pos int) (string, int, bool) {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 1 || b[pos+i-1] != '\r' {
			return "", 0, false
		}
		s := string(b[pos : pos+i-1])
		if strings.ContainsAny(s, "\r\n") {
			return "", 0, false
		}
		return s, pos + i + 1, true
	}
	value = func(pos, depth int) (int, bool) {
		if pos >= len(b) {
			return 0, false
		}
		typ := b[pos]
		s, next, ok := line(pos + 1)
		if !ok {
			return 0, false
		}
		switch typ {
		case '+', '-':
			return next, len(s) <= lim.MaxLineBytes
		case ':':
			_, err := strconv.ParseInt(s, 10, 64)
			d := strings.TrimPrefix(s, "-")
			return next, err == nil && len(s) <= lim.MaxLineBytes && len(d) <= maxLenDigits && !strings.HasPrefix(s, "+")
		case '$', '*':
			if s == "-1" {
				return next, true
			}
			if s == "" || len(s) > maxLenDigits || strings.Trim(s, "0123456789") != "" {
				return 0, false
			}
			l, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return 0, false
			}
			if typ == '$' {
				end := next + int(min(l, int64(len(b)))) // clamp: l may be huge
				if int64(end-next) != l || end+2 > len(b) || b[end] != '\r' || b[end+1] != '\n' {
					return 0, false
				}
				return end + 2, true
			}
			if depth > lim.MaxDepth {
				return 0, false
			}
			elems += l
			if elems > int64(lim.MaxElements) {
				return 0, false
			}
			for range l {
				if next, ok = value(next, depth+1); !ok {
					return 0, false
				}
			}
			return next, true
		}
		return 0, false
	}
	end, ok := value(0, 1)
	if !ok || int64(end) > lim.MaxReplyBytes {
		return 0, false
	}
	return end, true
}

// trace feeds data one byte at a time and returns the offsets where replies
// completed and the rejection, if any.
func trace(data []byte, lim ReplyLimits) (ends []int, err error) {
	v := newRespValidator(lim)
	for i := range data {
		n, err := v.feed(data[i : i+1])
		if err != nil {
			return ends, err
		}
		if n == 1 {
			ends = append(ends, i+1)
		}
	}
	return ends, nil
}

func checkStream(t *testing.T, data []byte, split int, lim ReplyLimits) {
	ends, err := trace(data, lim)

	// 1. Chunking does not change the verdict.
	split = min(split, len(data))
	n, err2 := feedAll(lim, data[:split], data[split:])
	n1, err1 := feedAll(lim, data)
	if n != len(ends) || n1 != len(ends) {
		t.Fatalf("replies: byte by byte %d, split at %d %d, whole %d", len(ends), split, n, n1)
	}
	if fmt.Sprint(err) != fmt.Sprint(err2) || fmt.Sprint(err) != fmt.Sprint(err1) {
		t.Fatalf("verdicts differ: byte by byte %v, split %v, whole %v", err, err2, err1)
	}

	// 2. Every accepted reply is a complete, well-formed reply within the limits.
	start := 0
	for _, e := range ends {
		if got, ok := refCheck(data[start:], lim); !ok || got != e-start {
			t.Fatalf("accepted reply %q at %d: reference says len %d ok %v", data[start:e], start, got, ok)
		}
		start = e
	}
	// 3. What follows the last accepted reply is not a valid reply: a
	// rejection was right, and an incomplete tail is indeed incomplete.
	if got, ok := refCheck(data[start:], lim); ok {
		t.Fatalf("reply %q (len %d) at %d is valid but was %v", data[start:start+got], got, start, map[bool]string{true: "rejected", false: "not completed"}[err != nil])
	}
	if err != nil {
		var rej *RejectError
		if !errors.As(err, &rej) || rej.Offset < int64(start) || rej.Offset >= int64(len(data)) {
			t.Fatalf("rejection %v outside the reply at %d..%d", err, start, len(data))
		}
	}
}

func FuzzReplyValidator(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s, uint16(3))
	}
	for _, s := range []string{
		"+PONG\r\n", "-LOADING x\r\n", ":1\r\n", "$-1\r\n", "*-1\r\n", "$0\r\n\r\n",
		"*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhello\r\n",
		"*2\r\n$4\r\npong\r\n$0\r\n\r\n",
		"*5\r\n+OK\r\n+OK\r\n-ERR no config\r\n:1\r\n:0\r\n",
		"*1\r\n*1\r\n*1\r\n*1\r\n", "+" + strings.Repeat("a", 40) + "\r\n",
		"$3\r\nfoo\r\n+OK\r\n*1\r\n:5\r\n", "%1\r\n+a\r\n+b\r\n", ":-\r\n",
	} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		checkStream(t, data, int(split), smallLimits)
		checkStream(t, data, int(split), ReplyLimits{})
	})
}

func BenchmarkValidator_Info(b *testing.B) {
	info := strings.Repeat("connected_slaves:2\r\n", 300)
	reply := []byte("$" + strconv.Itoa(len(info)) + "\r\n" + info + "\r\n")
	v := newRespValidator(ReplyLimits{})
	b.SetBytes(int64(len(reply)))
	for b.Loop() {
		if _, err := v.feed(reply); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidator_Hello(b *testing.B) {
	msg := []byte("*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$90\r\n" + strings.Repeat("h", 90) + "\r\n")
	v := newRespValidator(ReplyLimits{})
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := v.feed(msg); err != nil {
			b.Fatal(err)
		}
	}
}
