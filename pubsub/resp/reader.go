package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/sentinelgo/sentinel/configs/sdsargs"
)

// Limits bound what a Reader accepts from one peer. A zero field takes the
// value of DefaultLimits.
type Limits struct {
	// MaxBulkLen is the largest bulk string accepted (Redis's
	// proto-max-bulk-len is 512 MB; a sentinel never needs more than a few
	// hundred bytes per argument, so the default is 1 MB).
	MaxBulkLen int
	// MaxArgs is the largest multi-bulk count (Redis: 1024*1024). ReadValue
	// applies it to every aggregate.
	MaxArgs int
	// MaxInlineLen is the longest inline command, and the longest "*N" or
	// "$N" header line (Redis: PROTO_INLINE_MAX_SIZE, 64 KB).
	MaxInlineLen int
	// UnauthMaxArgs and UnauthMaxBulkLen apply before the client has
	// authenticated, as Redis 7.0 does (10 arguments, 16 KB each), so an
	// unauthenticated peer cannot make us buffer much.
	UnauthMaxArgs    int
	UnauthMaxBulkLen int
	// MaxDepth bounds aggregate nesting in ReadValue (client commands are
	// never nested).
	MaxDepth int
}

// DefaultLimits returns the limits used when a field is zero.
func DefaultLimits() Limits {
	return Limits{
		MaxBulkLen:       1 << 20,
		MaxArgs:          1 << 20,
		MaxInlineLen:     64 << 10,
		UnauthMaxArgs:    10,
		UnauthMaxBulkLen: 16 << 10,
		MaxDepth:         16,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.MaxBulkLen, &d.MaxBulkLen}, {&l.MaxArgs, &d.MaxArgs}, {&l.MaxInlineLen, &d.MaxInlineLen},
		{&l.UnauthMaxArgs, &d.UnauthMaxArgs}, {&l.UnauthMaxBulkLen, &d.UnauthMaxBulkLen}, {&l.MaxDepth, &d.MaxDepth},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// ErrProtocol is matched (errors.Is) by every *ProtocolError.
var ErrProtocol = errors.New("resp: protocol error")

// ProtocolError is malformed input from the peer. Redis answers it with
// "-ERR Protocol error: <Reason>" and closes the connection; so do we.
type ProtocolError struct {
	Reason string // e.g. "invalid multibulk length"
}

func (e *ProtocolError) Error() string { return "resp: Protocol error: " + e.Reason }

// RESPError is the reply text (without the leading '-') Redis sends for
// this error.
func (e *ProtocolError) RESPError() string { return "ERR Protocol error: " + e.Reason }

// Is makes errors.Is(err, ErrProtocol) true.
func (e *ProtocolError) Is(target error) bool { return target == ErrProtocol }

func protoErr(reason string) error { return &ProtocolError{Reason: reason} }

// Redis's exact reasons, from processMultibulkBuffer / processInlineBuffer.
const (
	reasonMultibulkLen    = "invalid multibulk length"
	reasonBulkLen         = "invalid bulk length"
	reasonUnauthMultibulk = "unauthenticated multibulk length"
	reasonUnauthBulk      = "unauthenticated bulk length"
	reasonBigInline       = "too big inline request"
	reasonBigMbulkCount   = "too big mbulk count string"
	reasonBigBulkCount    = "too big bulk count string"
	reasonUnbalanced      = "unbalanced quotes in request"
	// Redis silently skips the two bytes after a bulk payload; we insist
	// they are CRLF, so a length that lies is caught at once.
	reasonBulkTerminator = "expected CRLF after bulk string"
)

// arenaKeep is the arena capacity kept between commands; a larger arena
// (after one big argument) is dropped so idle connections stay small.
const arenaKeep = 4 << 10

// Input buffering. An idle connection's goroutine waits in Read on the
// small buffer inside the Reader, so it holds no more than that. A read
// that fills the small buffer (a pipelined batch) or a line that does not
// fit in it moves the Reader to a pooled buffer of bigReadBuf bytes, which
// grows for lines up to MaxInlineLen and goes back to the pool as soon as
// everything read is parsed (the next read would wait for the peer).
const (
	smallReadBuf = 256
	bigReadBuf   = 16 << 10
)

var readBufPool = sync.Pool{New: func() any {
	b := make([]byte, bigReadBuf)
	return &b
}}

// Reader reads client commands from a stream. It is not safe for
// concurrent use.
type Reader struct {
	src           io.Reader
	lim           Limits
	authenticated bool

	buf     []byte  // small[:] or a larger buffer; buf[r:w] is unparsed input
	r, w    int     //
	pb      *[]byte // pool holder of buf when buf is the pooled buffer
	wantBig bool    // the last read filled the small buffer: more is coming
	// keepBig: the last read into the pooled buffer brought more than the
	// small buffer holds (a pipelining client): keep the pooled buffer
	// between batches, so each batch is one read, not a small one first.
	keepBig bool
	rerr    error // read error to report once the buffered bytes are used

	arena []byte   // argument bytes of the current command
	ends  []int    // end offset of each argument in arena
	args  [][]byte // slices of arena, returned to the caller

	small [smallReadBuf]byte

	// BeforeRead, when set, runs before every read from the stream, that
	// is before the Reader may block: the server flushes its pending
	// replies there, so a reply never waits in a buffer while we wait for
	// input (a blank line or half a command after it, say). An error ends
	// the read with that error.
	BeforeRead func() error
}

// NewReader returns a Reader over r. It starts authenticated (no
// unauthenticated limits) until SetAuthenticated(false) is called.
func NewReader(r io.Reader, lim Limits) *Reader {
	rd := &Reader{src: r, lim: lim.withDefaults(), authenticated: true}
	rd.buf = rd.small[:]
	return rd
}

// SetAuthenticated switches between the unauthenticated limits (false) and
// the normal ones (true).
func (r *Reader) SetAuthenticated(ok bool) { r.authenticated = ok }

// Buffered reports how many bytes are already read from the stream but not
// yet parsed: when it is 0 after a command, the pipelined batch is over and
// the replies should be flushed.
func (r *Reader) Buffered() int { return r.w - r.r }

// BufferSize reports the capacity of the input buffer in use (for tests
// and for CLIENT LIST's qbuf fields): the small one while idle.
func (r *Reader) BufferSize() int { return len(r.buf) }

// shrink returns to the small buffer when nothing is left to parse, so a
// Reader that waits for its peer holds no pooled buffer.
func (r *Reader) shrink() {
	if r.r != r.w {
		return
	}
	r.r, r.w = 0, 0
	if r.pb == nil && len(r.buf) == smallReadBuf || r.pb != nil && r.keepBig {
		return
	}
	if r.pb != nil {
		readBufPool.Put(r.pb)
		r.pb = nil
	}
	r.buf = r.small[:]
	r.wantBig = false
}

// Release gives the pooled buffer back when nothing is buffered, as the
// end of a batch does for a client that does not pipeline: the owner
// calls it when the connection goes idle.
func (r *Reader) Release() {
	r.keepBig = false
	r.shrink()
}

// onSmall reports whether the Reader uses its own small buffer.
func (r *Reader) onSmall() bool { return len(r.buf) == smallReadBuf && r.pb == nil }

// room makes space for need unparsed bytes in total (need > Buffered()):
// it compacts the buffer, or moves to the pooled buffer (after a read that
// filled the small one, or when need does not fit), or to a larger one
// for a line longer than the pooled buffer.
func (r *Reader) room(need int) {
	small := r.onSmall()
	if need <= len(r.buf) && !(small && r.wantBig) {
		if r.w+(need-(r.w-r.r)) > len(r.buf) {
			r.w = copy(r.buf, r.buf[r.r:r.w])
			r.r = 0
		}
		return
	}
	var nb []byte
	var pb *[]byte
	if need <= bigReadBuf {
		pb = readBufPool.Get().(*[]byte)
		nb = *pb
	} else {
		nb = make([]byte, max(need, 2*len(r.buf)))
	}
	r.w = copy(nb, r.buf[r.r:r.w])
	r.r = 0
	if r.pb != nil {
		readBufPool.Put(r.pb)
	}
	r.buf, r.pb = nb, pb
	r.wantBig = false
}

// fill reads once from the stream into the free part of the buffer,
// after making room for need unparsed bytes in total (at least one more
// than are buffered). It returns an error only when no byte came.
func (r *Reader) fill(need int) error {
	if r.rerr != nil {
		return r.rerr
	}
	if r.BeforeRead != nil {
		if err := r.BeforeRead(); err != nil {
			r.rerr = err
			return err
		}
	}
	r.room(max(need, r.w-r.r+1))
	small := r.onSmall()
	free := len(r.buf) - r.w
	n, err := r.read(r.buf[r.w:])
	r.w += n
	if r.pb != nil {
		r.keepBig = n > smallReadBuf
	}
	if small && n == free {
		r.wantBig = true
	}
	if err != nil {
		if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			// Not sticky: a deadline that passes while waiting for a new
			// command leaves the Reader usable (ReadCommand makes one
			// inside a command final).
			return err
		}
		r.rerr = err
		if n == 0 {
			return err
		}
	}
	return nil
}

// read is one Read from the stream that returns at least one byte or an
// error: a reader that keeps returning 0, nil would make us spin, so it
// gets a bounded number of tries, as bufio gives it.
func (r *Reader) read(p []byte) (int, error) {
	for range 100 {
		n, err := r.src.Read(p)
		if n < 0 || n > len(p) {
			return 0, errNegativeRead
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

var errNegativeRead = errors.New("resp: reader returned an invalid count")

// ReadCommand returns the next non-empty command. The returned slices are
// valid only until the next call. Errors are io.EOF (clean close between
// commands), io.ErrUnexpectedEOF (close inside a command), a
// *ProtocolError, or the underlying read error. Every error is final,
// except a read deadline (os.ErrDeadlineExceeded) that passed before any
// byte of a new command arrived: ReadCommand may then be called again.
func (r *Reader) ReadCommand() ([][]byte, error) {
	if cap(r.arena) > arenaKeep {
		r.arena = nil
	}
	for {
		r.shrink()
		if r.r == r.w {
			if err := r.fill(1); err != nil {
				return nil, err
			}
		}
		r.arena = r.arena[:0]
		r.ends = r.ends[:0]
		var err error
		if r.buf[r.r] == '*' {
			err = r.readMultibulk()
		} else {
			err = r.readInline()
		}
		if err != nil {
			if r.rerr == nil {
				r.rerr = err // half a command was consumed: the stream is lost
			}
			return nil, err
		}
		if len(r.ends) == 0 {
			continue // "*0", "*-1" and blank lines are skipped, as Redis does
		}
		r.args = r.args[:0]
		start := 0
		for _, end := range r.ends {
			r.args = append(r.args, r.arena[start:end:end])
			start = end
		}
		r.shrink() // the arguments live in arena, not in buf
		return r.args, nil
	}
}

// readLine returns the next line including its '\n'; the slice is valid
// until the next read. A line longer than max is a protocol error with the
// given reason, reported as soon as more than max bytes without a newline
// have arrived (as Redis checks its query buffer after every read), not
// when the peer finally sends a newline.
func (r *Reader) readLine(max int, tooLong string) ([]byte, error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(r.buf[r.r+scanned:r.w], '\n'); i >= 0 {
			end := r.r + scanned + i
			if end-r.r > max {
				return nil, protoErr(tooLong)
			}
			line := r.buf[r.r : end+1]
			r.r = end + 1
			return line, nil
		}
		scanned = r.w - r.r
		if scanned > max {
			return nil, protoErr(tooLong)
		}
		if err := r.fill(scanned + 1); err != nil {
			return nil, eofInside(scanned, err)
		}
	}
}

// readFull fills dst from the buffered input and then the stream. Large
// payloads are read straight into dst rather than through the buffer.
func (r *Reader) readFull(dst []byte) error {
	n := copy(dst, r.buf[r.r:r.w])
	r.r += n
	dst = dst[n:]
	for len(dst) > 0 {
		if r.rerr != nil {
			return r.rerr
		}
		if len(dst) >= bigReadBuf {
			m, err := r.read(dst)
			dst = dst[m:]
			if err != nil {
				r.rerr = err
			}
			continue
		}
		if err := r.fill(len(dst)); err != nil {
			return err
		}
		n := copy(dst, r.buf[r.r:r.w])
		r.r += n
		dst = dst[n:]
	}
	return nil
}

// readCRLF consumes the two bytes that end a bulk payload.
func (r *Reader) readCRLF() error {
	for r.w-r.r < 2 {
		if err := r.fill(2); err != nil {
			return err
		}
	}
	ok := r.buf[r.r] == '\r' && r.buf[r.r+1] == '\n'
	r.r += 2
	if !ok {
		return protoErr(reasonBulkTerminator)
	}
	return nil
}

// eofInside turns an EOF after some bytes of a command into
// io.ErrUnexpectedEOF, so callers can tell a clean close from a torn one.
func eofInside(partial int, err error) error {
	if errors.Is(err, io.EOF) && partial > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *Reader) readMultibulk() error {
	line, err := r.readLine(r.lim.MaxInlineLen, reasonBigMbulkCount)
	if err != nil {
		return err
	}
	n, ok := parseHeader(line)
	if !ok || n > int64(r.lim.MaxArgs) {
		return protoErr(reasonMultibulkLen)
	}
	if !r.authenticated && n > int64(r.lim.UnauthMaxArgs) {
		return protoErr(reasonUnauthMultibulk)
	}
	if n <= 0 {
		return nil
	}
	maxBulk := r.lim.MaxBulkLen
	if !r.authenticated {
		maxBulk = min(maxBulk, r.lim.UnauthMaxBulkLen)
	}
	for range n {
		line, err := r.readLine(r.lim.MaxInlineLen, reasonBigBulkCount)
		if err != nil {
			return eofInside(1, err)
		}
		if line[0] != '$' {
			return protoErr(fmt.Sprintf("expected '$', got '%c'", line[0]))
		}
		size, ok := parseHeader(line)
		if !ok || size < 0 || size > int64(r.lim.MaxBulkLen) {
			return protoErr(reasonBulkLen)
		}
		if size > int64(maxBulk) {
			return protoErr(reasonUnauthBulk)
		}
		start := len(r.arena)
		r.arena = slices.Grow(r.arena, int(size))[:start+int(size)]
		if err := r.readFull(r.arena[start:]); err != nil {
			return eofInside(1, err)
		}
		if err := r.readCRLF(); err != nil {
			return eofInside(1, err)
		}
		r.ends = append(r.ends, len(r.arena))
	}
	return nil
}

// parseHeader parses the integer of a "*N\r\n" or "$N\r\n" line the way
// Redis's string2ll does: optional '-', no '+', no leading zeros, no
// spaces, and the line must end in CRLF.
func parseHeader(line []byte) (int64, bool) {
	if len(line) < 4 || line[len(line)-2] != '\r' {
		return 0, false
	}
	return parseInt(line[1 : len(line)-2])
}

// parseInt is string2ll: the canonical decimal form of an int64 only.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if len(b) > 1 && b[0] == '0' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		if v == 0 {
			return 0, false // "-0" is not canonical
		}
		return -int64(v-1) - 1, true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// ParseInt parses a decimal integer argument as Redis's string2ll does
// (no '+', no leading zeros, no spaces). Handlers use it for ports,
// quorums and epochs so "01" is refused exactly where Redis refuses it.
func ParseInt(s string) (int64, bool) {
	return parseInt([]byte(s))
}

func (r *Reader) readInline() error {
	line, err := r.readLine(r.lim.MaxInlineLen, reasonBigInline)
	if err != nil {
		return err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	arena, ends, ok := sdsargs.Split(r.arena[:0], r.ends[:0], line)
	r.arena, r.ends = arena, ends
	if !ok {
		return protoErr(reasonUnbalanced)
	}
	if !r.authenticated && len(r.ends) > r.lim.UnauthMaxArgs {
		return protoErr(reasonUnauthMultibulk)
	}
	return nil
}
