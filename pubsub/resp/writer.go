package resp

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
)

// Protocol versions a client can choose with HELLO.
const (
	RESP2 = 2
	RESP3 = 3
)

// Writer renders replies for one protocol version. Writes are buffered;
// errors are sticky and reported by Flush. It is not safe for concurrent
// use.
type Writer struct {
	bw    *bufio.Writer
	proto int
	num   []byte
}

// NewWriter returns a RESP2 Writer over w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 16<<10), proto: RESP2, num: make([]byte, 0, 24)}
}

// SetProtocol selects RESP2 or RESP3 for the following replies.
func (w *Writer) SetProtocol(p int) {
	if p == RESP3 {
		w.proto = RESP3
	} else {
		w.proto = RESP2
	}
}

// Protocol returns the protocol version in use.
func (w *Writer) Protocol() int { return w.proto }

// Flush writes the buffered replies.
func (w *Writer) Flush() error { return w.bw.Flush() }

// Buffered returns the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return w.bw.Buffered() }

// Raw appends pre-rendered bytes (a message rendered once for many
// subscribers).
func (w *Writer) Raw(b []byte) { _, _ = w.bw.Write(b) }

func (w *Writer) header(prefix byte, n int64) {
	_ = w.bw.WriteByte(prefix)
	w.num = strconv.AppendInt(w.num[:0], n, 10)
	_, _ = w.bw.Write(w.num)
	_, _ = w.bw.WriteString("\r\n")
}

// line writes prefix, s with CR and LF replaced by spaces (a status or error
// line cannot contain them; Redis does the same in addReplyErrorLength), CRLF.
func (w *Writer) line(prefix byte, s string) {
	_ = w.bw.WriteByte(prefix)
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, s)
	}
	_, _ = w.bw.WriteString(s)
	_, _ = w.bw.WriteString("\r\n")
}

// SimpleString writes +s.
func (w *Writer) SimpleString(s string) { w.line('+', s) }

// Error writes -s; s is the full text such as "ERR unknown command".
func (w *Writer) Error(s string) { w.line('-', s) }

// Integer writes :n.
func (w *Writer) Integer(n int64) { w.header(':', n) }

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	_, _ = w.bw.Write(b)
	_, _ = w.bw.WriteString("\r\n")
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	_, _ = w.bw.WriteString(s)
	_, _ = w.bw.WriteString("\r\n")
}

// Null writes a null bulk string: $-1 in RESP2, _ in RESP3.
func (w *Writer) Null() {
	if w.proto == RESP3 {
		_, _ = w.bw.WriteString("_\r\n")
		return
	}
	_, _ = w.bw.WriteString("$-1\r\n")
}

// NullArray writes a null array: *-1 in RESP2, _ in RESP3 (what
// SENTINEL GET-MASTER-ADDR-BY-NAME answers for an unknown name).
func (w *Writer) NullArray() {
	if w.proto == RESP3 {
		_, _ = w.bw.WriteString("_\r\n")
		return
	}
	_, _ = w.bw.WriteString("*-1\r\n")
}

// ArrayLen starts an array of n elements.
func (w *Writer) ArrayLen(n int) { w.header('*', int64(n)) }

// MapLen starts a map of n key/value pairs; RESP2 gets a flat array of 2n.
func (w *Writer) MapLen(n int) {
	if w.proto == RESP3 {
		w.header('%', int64(n))
		return
	}
	w.header('*', 2*int64(n))
}

// SetLen starts a set of n elements; RESP2 gets an array.
func (w *Writer) SetLen(n int) {
	if w.proto == RESP3 {
		w.header('~', int64(n))
		return
	}
	w.header('*', int64(n))
}

// PushLen starts an out-of-band push (pub/sub messages); RESP2 gets an
// array.
func (w *Writer) PushLen(n int) {
	if w.proto == RESP3 {
		w.header('>', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Verbatim writes a verbatim string with a three-letter format ("txt");
// RESP2 gets a plain bulk string.
func (w *Writer) Verbatim(format, s string) {
	if w.proto != RESP3 {
		w.BulkString(s)
		return
	}
	if len(format) != 3 {
		format = "txt"
	}
	w.header('=', int64(len(s)+4))
	_, _ = w.bw.WriteString(format)
	_ = w.bw.WriteByte(':')
	_, _ = w.bw.WriteString(s)
	_, _ = w.bw.WriteString("\r\n")
}

// Double writes a RESP3 double; RESP2 gets its text as a bulk string.
func (w *Writer) Double(f float64) {
	text := FormatDouble(f)
	if w.proto != RESP3 {
		w.BulkString(text)
		return
	}
	w.line(',', text)
}

// FormatDouble renders f as RESP3 does: inf, -inf, nan, or the shortest
// decimal form that parses back to f.
func FormatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// Bool writes a RESP3 boolean; RESP2 gets the integer 1 or 0, as Redis does.
func (w *Writer) Bool(b bool) {
	if w.proto != RESP3 {
		if b {
			w.Integer(1)
		} else {
			w.Integer(0)
		}
		return
	}
	if b {
		_, _ = w.bw.WriteString("#t\r\n")
	} else {
		_, _ = w.bw.WriteString("#f\r\n")
	}
}
