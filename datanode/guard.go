package datanode

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
)

// Defaults of ReplyLimits.
const (
	// DefaultMaxReplyBytes bounds one reply, INFO included: a Redis INFO is
	// a few KiB, tens of KiB with many replicas or databases.
	DefaultMaxReplyBytes = 8 << 20
	// DefaultMaxElements bounds the aggregate elements of one reply. The
	// largest reply a sentinel asks for is HELLO's (14 elements in RESP2).
	DefaultMaxElements = 1024
	// DefaultMaxDepth bounds aggregate nesting. HELLO's modules array is
	// the deepest reply we ask for (depth 2).
	DefaultMaxDepth = 4
	// DefaultMaxLineBytes bounds a simple string, error or integer line, as
	// Redis bounds an inline request (PROTO_INLINE_MAX_SIZE).
	DefaultMaxLineBytes = 64 << 10
)

// ReplyLimits bound every reply read from a data node or a peer sentinel.
// They are checked as the bytes arrive, before go-redis sees a header that
// would make it allocate (it sizes arrays and bulk strings from the
// declared length), so a broken or hostile node can cost us at most one
// bounded reply per link. A zero field takes its default.
type ReplyLimits struct {
	// MaxReplyBytes bounds the bytes of one reply, headers included; a bulk
	// string (INFO) whose declared length alone exceeds it is refused at
	// its header.
	MaxReplyBytes int64
	// MaxElements bounds the sum of the declared lengths of every array in
	// one reply.
	MaxElements int
	// MaxDepth bounds how deep arrays nest in one reply.
	MaxDepth int
	// MaxLineBytes bounds a simple string, error or integer.
	MaxLineBytes int
}

func (l *ReplyLimits) setDefaults() {
	l.MaxReplyBytes = orDefault(l.MaxReplyBytes, DefaultMaxReplyBytes)
	l.MaxElements = orDefault(l.MaxElements, DefaultMaxElements)
	l.MaxDepth = orDefault(l.MaxDepth, DefaultMaxDepth)
	l.MaxLineBytes = orDefault(l.MaxLineBytes, DefaultMaxLineBytes)
}

// ErrReplyRejected is wrapped by every error that refuses a reply for
// breaking RESP2 or a ReplyLimits bound. Classify reports it as a connection
// error: the link is closed, as Redis closes a link on a protocol error.
var ErrReplyRejected = errors.New("datanode: reply rejected")

// Reasons a reply is rejected, as they appear in
// sentinel_datanode_replies_rejected_total{reason}.
const (
	rejectMalformed     = "malformed"
	rejectReplyTooLarge = "reply_too_large"
	rejectTooMany       = "too_many_elements"
	rejectTooDeep       = "too_deep"
	rejectLineTooLong   = "line_too_long"
)

// RejectError says why and where a reply was refused.
type RejectError struct {
	Reason string // one of the reject* labels
	Offset int64  // byte offset in the connection's stream
	Detail string
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("%v (%s at byte %d of the stream): %s", ErrReplyRejected, e.Reason, e.Offset, e.Detail)
}

func (e *RejectError) Unwrap() error { return ErrReplyRejected }

// Validator states.
const (
	stType     = iota // expecting the type byte of a value
	stHeader          // reading the decimal length of $ or *
	stHeaderLF        // read the \r of a length line
	stLine            // reading a +, - or : line
	stLineLF          // read the \r of a line
	stBulk            // skipping bulk payload bytes
	stBulkCR          // expecting the \r after a payload
	stBulkLF          // expecting the \n after a payload
)

// maxLenDigits is enough decimal digits for any length we could accept.
const maxLenDigits = 19

// respValidator follows a RESP2 reply stream byte by byte, without
// buffering or allocating, and reports the first byte that breaks the
// protocol or a limit. It is what lets the bounds hold before go-redis
// parses anything: go-redis only ever receives bytes the validator has
// already accepted, so it never sees a length header we refuse.
type respValidator struct {
	lim ReplyLimits

	state  int
	typ    byte
	num    int64 // the length (or integer) being read
	neg    bool
	digits int
	line   int   // bytes of the current line so far
	left   int64 // payload bytes still to skip

	size  int64   // bytes of the current reply so far
	elems int64   // elements declared by the current reply's arrays so far
	open  []int64 // elements still expected by each open array, outermost first

	offset int64 // bytes accepted on this stream
	err    *RejectError
}

func newRespValidator(lim ReplyLimits) *respValidator {
	lim.setDefaults()
	return &respValidator{lim: lim}
}

func (v *respValidator) reject(reason, format string, args ...any) *RejectError {
	v.err = &RejectError{Reason: reason, Offset: v.offset, Detail: fmt.Sprintf(format, args...)}
	return v.err
}

// feed checks the next bytes of the stream. It returns how many replies
// were completed by b, or the reason the stream is refused; once refused it
// refuses everything after.
func (v *respValidator) feed(b []byte) (replies int, err error) {
	if v.err != nil {
		return 0, v.err
	}
	for i := 0; i < len(b); {
		if v.state == stBulk {
			// The header already checked that the whole payload fits in
			// MaxReplyBytes; skip it without looking.
			n := min(int64(len(b)-i), v.left)
			v.left -= n
			v.size += n
			v.offset += int64(n)
			i += int(n)
			if v.left == 0 {
				v.state = stBulkCR
			}
			continue
		}
		c := b[i]
		if v.size >= v.lim.MaxReplyBytes {
			return replies, v.reject(rejectReplyTooLarge, "reply longer than %d bytes (ReplyLimits.MaxReplyBytes)", v.lim.MaxReplyBytes)
		}
		done, err := v.step(c)
		if err != nil {
			return replies, err
		}
		i++
		v.size++
		v.offset++
		if done {
			replies++
			v.size, v.elems = 0, 0
		}
	}
	return replies, nil
}

// step consumes one byte; done reports that it completed a whole reply.
func (v *respValidator) step(c byte) (done bool, err error) {
	switch v.state {
	case stType:
		v.typ = c
		v.num, v.neg, v.digits, v.line = 0, false, 0, 0
		switch c {
		case '+', '-', ':':
			v.state = stLine
		case '$', '*':
			v.state = stHeader
		default:
			return false, v.reject(rejectMalformed, "type byte %q is not RESP2 (+ - : $ *)", c)
		}
		return false, nil

	case stHeader:
		switch {
		case c == '-' && v.digits == 0 && !v.neg:
			v.neg = true
		case c >= '0' && c <= '9':
			v.digits++
			v.num = v.num*10 + int64(c-'0')
			if v.digits > maxLenDigits {
				return false, v.reject(rejectMalformed, "length of %q has more than %d digits", v.typ, maxLenDigits)
			}
			if v.neg && v.num != 1 {
				return false, v.reject(rejectMalformed, "negative length of %q other than -1", v.typ)
			}
			// Refuse as soon as the digits exceed a bound: a header that
			// is still arriving never reaches go-redis either way.
			if err := v.checkLength(false); err != nil {
				return false, err
			}
		case c == '\r' && v.digits > 0:
			v.state = stHeaderLF
		default:
			return false, v.reject(rejectMalformed, "byte %q in the length of %q", c, v.typ)
		}
		return false, nil

	case stHeaderLF:
		if c != '\n' {
			return false, v.reject(rejectMalformed, "length line of %q ends in %q, want \\r\\n", v.typ, c)
		}
		if v.neg { // $-1 or *-1: a null, a complete value
			v.state = stType
			return v.valueDone(), nil
		}
		if err := v.checkLength(true); err != nil {
			return false, err
		}
		if v.typ == '$' {
			v.left = v.num
			v.state = stBulk
			if v.left == 0 {
				v.state = stBulkCR
			}
			return false, nil
		}
		v.state = stType
		v.elems += v.num
		if v.num == 0 {
			return v.valueDone(), nil
		}
		v.open = append(v.open, v.num)
		return false, nil

	case stLine:
		switch {
		case c == '\r':
			if v.typ == ':' && v.digits == 0 {
				return false, v.reject(rejectMalformed, "integer reply without digits")
			}
			v.state = stLineLF
			return false, nil // the CRLF is not part of the line's length
		case c == '\n':
			return false, v.reject(rejectMalformed, "line of %q ends in a bare \\n", v.typ)
		case v.typ == ':':
			if c == '-' && v.line == 0 {
				break
			}
			if c < '0' || c > '9' {
				return false, v.reject(rejectMalformed, "byte %q in an integer reply", c)
			}
			v.digits++
			if v.digits > maxLenDigits {
				return false, v.reject(rejectMalformed, "integer reply longer than %d digits", maxLenDigits)
			}
		}
		v.line++
		if v.line > v.lim.MaxLineBytes {
			return false, v.reject(rejectLineTooLong, "line of %q longer than %d bytes (ReplyLimits.MaxLineBytes)", v.typ, v.lim.MaxLineBytes)
		}
		return false, nil

	case stLineLF:
		if c != '\n' {
			return false, v.reject(rejectMalformed, "line of %q has a \\r followed by %q", v.typ, c)
		}
		v.state = stType
		return v.valueDone(), nil

	case stBulkCR:
		if c != '\r' {
			return false, v.reject(rejectMalformed, "bulk string not followed by \\r\\n (got %q)", c)
		}
		v.state = stBulkLF
		return false, nil

	case stBulkLF:
		if c != '\n' {
			return false, v.reject(rejectMalformed, "bulk string not followed by \\r\\n (got \\r%q)", c)
		}
		v.state = stType
		return v.valueDone(), nil
	}
	return false, v.reject(rejectMalformed, "validator in unknown state %d", v.state)
}

// checkLength applies the limits to the length read so far; complete says
// the header line has ended, so depth is checked too.
func (v *respValidator) checkLength(complete bool) error {
	if v.typ == '$' {
		// The smallest the reply can end up: what came so far, the byte
		// being read, the rest of the header line, payload and \r\n.
		least := v.size + 1 + v.num + 2
		if !complete {
			least += 2
		}
		if least > v.lim.MaxReplyBytes {
			return v.reject(rejectReplyTooLarge, "bulk string of %s bytes would exceed %d bytes (ReplyLimits.MaxReplyBytes)", v.declared(complete), v.lim.MaxReplyBytes)
		}
		return nil
	}
	if v.elems+v.num > int64(v.lim.MaxElements) {
		return v.reject(rejectTooMany, "array of %s elements would exceed %d elements per reply (ReplyLimits.MaxElements)", v.declared(complete), v.lim.MaxElements)
	}
	if complete && len(v.open)+1 > v.lim.MaxDepth {
		return v.reject(rejectTooDeep, "arrays nested deeper than %d (ReplyLimits.MaxDepth)", v.lim.MaxDepth)
	}
	return nil
}

// declared describes the length read so far: the header is refused as
// soon as its digits cross a bound, so there may be more digits to come.
func (v *respValidator) declared(complete bool) string {
	if complete {
		return strconv.FormatInt(v.num, 10)
	}
	return "at least " + strconv.FormatInt(v.num, 10)
}

// valueDone closes the arrays the finished value completes; it reports
// whether that finished the whole reply.
func (v *respValidator) valueDone() bool {
	for len(v.open) > 0 {
		top := len(v.open) - 1
		v.open[top]--
		if v.open[top] > 0 {
			return false
		}
		v.open = v.open[:top]
	}
	return true
}

// guardedConn runs every byte read from a link through a respValidator
// before go-redis sees it. On the first violation it closes the socket and
// fails this and every later Read, so go-redis drops the connection the way
// it drops any broken one.
type guardedConn struct {
	net.Conn
	desc    string // "cmd link to host:port", for errors
	onReply func() // a complete valid reply arrived
	onError func(*RejectError)

	mu  sync.Mutex // go-redis reads from one goroutine, but be safe
	v   *respValidator
	err error
}

// guardedSysConn is a guardedConn over a socket that exposes its file
// descriptor, which go-redis's pool health check peeks at (MSG_PEEK, never
// consuming) to notice a connection the node closed while it was idle.
type guardedSysConn struct {
	*guardedConn
	sys syscall.Conn
}

func (c guardedSysConn) SyscallConn() (syscall.RawConn, error) { return c.sys.SyscallConn() }

// guard wraps conn; the result keeps SyscallConn only if conn has it, so a
// TLS link (which must not be peeked at) stays without it.
func guard(conn net.Conn, lim ReplyLimits, desc string, onReply func(), onError func(*RejectError)) net.Conn {
	g := &guardedConn{Conn: conn, desc: desc, onReply: onReply, onError: onError, v: newRespValidator(lim)}
	if sc, ok := conn.(syscall.Conn); ok {
		return guardedSysConn{guardedConn: g, sys: sc}
	}
	return g
}

func (c *guardedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n, rerr := c.Conn.Read(p)
	if n == 0 {
		return 0, rerr
	}
	c.mu.Lock()
	replies, verr := c.v.feed(p[:n])
	if verr != nil {
		c.err = fmt.Errorf("datanode: %s: %w", c.desc, verr)
		err = c.err
	}
	c.mu.Unlock()
	if verr != nil {
		// Nothing of this chunk reaches go-redis: not the header it might
		// have allocated for, nor anything after it.
		_ = c.Conn.Close()
		var rej *RejectError
		if c.onError != nil && errors.As(verr, &rej) {
			c.onError(rej)
		}
		return 0, err
	}
	if replies > 0 && c.onReply != nil {
		c.onReply()
	}
	return n, rerr
}
