package resp

import (
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Protocol versions a client can choose with HELLO.
const (
	RESP2 = 2
	RESP3 = 3
)

// Writer renders replies for one protocol version into a buffer that only
// Flush writes out: no other method does I/O, so no reply, however large,
// ever reaches the stream outside Flush (where the caller sets its write
// deadline first). The buffer is taken from a pool on the first write and
// given back by a Flush that emptied it, so an idle connection holds none.
// The first write error is sticky: Flush returns it from then on, even with
// nothing buffered, and later replies are discarded. It is not safe for
// concurrent use.
type Writer struct {
	w     io.Writer
	buf   []byte  // nil while idle
	pb    *[]byte // the pool's holder of buf, so Put does not allocate
	err   error
	proto int
}

// Buffers from the pool start at initialWriteBuf bytes and grow by append;
// one that grew past maxPooledWriteBuf (a huge reply, a large pub/sub
// event) is left to the garbage collector instead of being kept.
const (
	initialWriteBuf   = 4 << 10
	maxPooledWriteBuf = 64 << 10
)

var writeBufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, initialWriteBuf)
	return &b
}}

// NewWriter returns a RESP2 Writer over w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, proto: RESP2}
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

// grab makes sure buf comes from the pool before anything is appended
// (append to a nil slice would allocate a fresh one every time).
func (w *Writer) grab() {
	if w.buf == nil {
		w.pb = writeBufPool.Get().(*[]byte)
		w.buf = (*w.pb)[:0]
	}
}

// release gives the buffer back to the pool (or to the collector when it
// grew too large).
func (w *Writer) release() {
	if w.pb == nil {
		return
	}
	if cap(w.buf) <= maxPooledWriteBuf {
		*w.pb = w.buf[:0]
		writeBufPool.Put(w.pb)
	}
	w.buf, w.pb = nil, nil
}

// Flush writes the buffered replies in one Write and returns the buffer
// to the pool. After a failed write it returns that error every time.
func (w *Writer) Flush() error {
	if w.err != nil {
		w.release()
		return w.err
	}
	if len(w.buf) == 0 {
		w.release()
		return nil
	}
	n, err := w.w.Write(w.buf)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	w.release()
	if err != nil {
		w.err = err
	}
	return err
}

// Err returns the sticky write error, nil while none happened.
func (w *Writer) Err() error { return w.err }

// Buffered returns the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Truncate drops what was written after the first n buffered bytes
// (CLIENT REPLY OFF/SKIP: a reply that must not be sent).
func (w *Writer) Truncate(n int) {
	if n >= 0 && n < len(w.buf) {
		w.buf = w.buf[:n]
	}
}

// Raw appends pre-rendered bytes (a message rendered once for many
// subscribers).
func (w *Writer) Raw(b []byte) {
	w.grab()
	w.buf = append(w.buf, b...)
}

func (w *Writer) header(prefix byte, n int64) {
	w.grab()
	w.buf = append(w.buf, prefix)
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '\r', '\n')
}

// str appends s (for fixed tokens and payloads).
func (w *Writer) str(s string) {
	w.grab()
	w.buf = append(w.buf, s...)
}

// line writes prefix, s with CR and LF replaced by spaces (a status or error
// line cannot contain them; Redis does the same in addReplyErrorLength), CRLF.
func (w *Writer) line(prefix byte, s string) {
	w.grab()
	w.buf = append(w.buf, prefix)
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, s)
	}
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
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
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// Null writes a null bulk string: $-1 in RESP2, _ in RESP3.
func (w *Writer) Null() {
	if w.proto == RESP3 {
		w.str("_\r\n")
		return
	}
	w.str("$-1\r\n")
}

// NullArray writes a null array: *-1 in RESP2, _ in RESP3 (what
// SENTINEL GET-MASTER-ADDR-BY-NAME answers for an unknown name).
func (w *Writer) NullArray() {
	if w.proto == RESP3 {
		w.str("_\r\n")
		return
	}
	w.str("*-1\r\n")
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
	w.buf = append(w.buf, format...)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
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

// FormatDouble renders f as Redis 7.0's addReplyDouble does: inf, -inf,
// nan, or printf's %.17g (0.164 is "0.16400000000000001", 0.5 is "0.5").
func FormatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
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
		w.str("#t\r\n")
	} else {
		w.str("#f\r\n")
	}
}
