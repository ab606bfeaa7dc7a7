package resp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
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
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = d.MaxBulkLen
	}
	if l.MaxArgs <= 0 {
		l.MaxArgs = d.MaxArgs
	}
	if l.MaxInlineLen <= 0 {
		l.MaxInlineLen = d.MaxInlineLen
	}
	if l.UnauthMaxArgs <= 0 {
		l.UnauthMaxArgs = d.UnauthMaxArgs
	}
	if l.UnauthMaxBulkLen <= 0 {
		l.UnauthMaxBulkLen = d.UnauthMaxBulkLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
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
const arenaKeep = 64 << 10

// Reader reads client commands from a stream. It is not safe for
// concurrent use.
type Reader struct {
	br            *bufio.Reader
	lim           Limits
	authenticated bool

	arena []byte   // argument bytes of the current command
	ends  []int    // end offset of each argument in arena
	args  [][]byte // slices of arena, returned to the caller
	long  []byte   // scratch for lines longer than the bufio buffer
}

// NewReader returns a Reader over r. It starts authenticated (no
// unauthenticated limits) until SetAuthenticated(false) is called.
func NewReader(r io.Reader, lim Limits) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 16<<10), lim: lim.withDefaults(), authenticated: true}
}

// SetAuthenticated switches between the unauthenticated limits (false) and
// the normal ones (true).
func (r *Reader) SetAuthenticated(ok bool) { r.authenticated = ok }

// Buffered reports how many bytes are already read from the stream but not
// yet parsed: when it is 0 after a command, the pipelined batch is over and
// the replies should be flushed.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// ReadCommand returns the next non-empty command. The returned slices are
// valid only until the next call. Errors are io.EOF (clean close between
// commands), io.ErrUnexpectedEOF (close inside a command), a
// *ProtocolError, or the underlying read error.
func (r *Reader) ReadCommand() ([][]byte, error) {
	if cap(r.arena) > arenaKeep {
		r.arena = nil
	}
	for {
		first, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		r.arena = r.arena[:0]
		r.ends = r.ends[:0]
		if first[0] == '*' {
			err = r.readMultibulk()
		} else {
			err = r.readInline()
		}
		if err != nil {
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
		return r.args, nil
	}
}

// readLine returns the next line including its '\n'. A line longer than
// max is a protocol error with the given reason, reported as soon as more
// than max bytes without a newline have arrived (as Redis checks its query
// buffer after every read), not when the peer finally sends a newline.
func (r *Reader) readLine(max int, tooLong string) ([]byte, error) {
	r.long = r.long[:0]
	for {
		n := r.br.Buffered()
		if n == 0 {
			// One read from the stream, whatever it brings.
			if _, err := r.br.Peek(1); err != nil {
				return nil, eofInside(r.long, err)
			}
			n = r.br.Buffered()
		}
		buf, _ := r.br.Peek(n)
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			if len(r.long)+i > max {
				return nil, protoErr(tooLong)
			}
			if len(r.long) == 0 {
				line, err := r.br.ReadSlice('\n')
				return line, err
			}
			r.long = append(r.long, buf[:i+1]...)
			_, _ = r.br.Discard(i + 1)
			return r.long, nil
		}
		if len(r.long)+n > max {
			return nil, protoErr(tooLong)
		}
		r.long = append(r.long, buf...)
		_, _ = r.br.Discard(n)
	}
}

// eofInside turns an EOF after some bytes of a command into
// io.ErrUnexpectedEOF, so callers can tell a clean close from a torn one.
func eofInside(partial []byte, err error) error {
	if errors.Is(err, io.EOF) && len(partial) > 0 {
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
			return eofInside([]byte{'*'}, err)
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
		if _, err := io.ReadFull(r.br, r.arena[start:]); err != nil {
			return eofInside([]byte{'*'}, err)
		}
		cr, err1 := r.br.ReadByte()
		lf, err2 := r.br.ReadByte()
		if err := errors.Join(err1, err2); err != nil {
			return eofInside([]byte{'*'}, err)
		}
		if cr != '\r' || lf != '\n' {
			return protoErr(reasonBulkTerminator)
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
	arena, ends, ok := SplitArgs(r.arena[:0], r.ends[:0], line)
	r.arena, r.ends = arena, ends
	if !ok {
		return protoErr(reasonUnbalanced)
	}
	if !r.authenticated && len(r.ends) > r.lim.UnauthMaxArgs {
		return protoErr(reasonUnauthMultibulk)
	}
	return nil
}

// SplitArgs splits an inline command line the way Redis's sdssplitargs
// does: arguments separated by white space, "double quotes" with \n \r \t
// \b \a \\ \" and \xHH escapes, 'single quotes' with only \' , and a
// closing quote that must be followed by white space or the end of line.
// Argument bytes are appended to arena and each argument's end offset to
// ends; ok is false for unbalanced quotes.
func SplitArgs(arena []byte, ends []int, line []byte) (_ []byte, _ []int, ok bool) {
	p := 0
	n := len(line)
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p == n {
			return arena, ends, true
		}
		inDouble, inSingle := false, false
		for done := false; !done; {
			switch {
			case inDouble:
				if p == n {
					return arena, ends, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+3 < n && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					arena = append(arena, unhex(line[p+2])<<4|unhex(line[p+3]))
					p += 3
				case c == '\\' && p+1 < n:
					p++
					switch line[p] {
					case 'n':
						arena = append(arena, '\n')
					case 'r':
						arena = append(arena, '\r')
					case 't':
						arena = append(arena, '\t')
					case 'b':
						arena = append(arena, '\b')
					case 'a':
						arena = append(arena, '\a')
					default:
						arena = append(arena, line[p])
					}
				case c == '"':
					if p+1 < n && !isSpace(line[p+1]) {
						return arena, ends, false
					}
					done = true
				default:
					arena = append(arena, c)
				}
			case inSingle:
				if p == n {
					return arena, ends, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+1 < n && line[p+1] == '\'':
					p++
					arena = append(arena, '\'')
				case c == '\'':
					if p+1 < n && !isSpace(line[p+1]) {
						return arena, ends, false
					}
					done = true
				default:
					arena = append(arena, c)
				}
			default:
				if p == n {
					done = true
					break
				}
				switch c := line[p]; c {
				case ' ', '\n', '\r', '\t', '\v', '\f':
					done = true
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					arena = append(arena, c)
				}
			}
			if p < n {
				p++
			}
		}
		ends = append(ends, len(arena))
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
