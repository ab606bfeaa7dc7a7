package datanode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// The hello subscription of a data node is read here, not through
// go-redis's PubSub: go-redis gives every pub/sub connection fixed 32 KiB
// read and write buffers, 64 KiB per data node whatever the options say
// (docs/decisions/0005-hello-subscription-reader.md). This link reads
// through one linkReadBufferSize reader and writes each batch of commands with
// one Write. The dialer is the same as for every link (backoff, TLS, the
// reply limits of guardedConn, the links gauge), so no byte reaches this
// parser before the validator has passed it.

// helloConn is one pub/sub connection: its socket, its reader and a
// scratch buffer for commands and bulk strings. Only the goroutine of
// receiveHellos uses it; close may come from any goroutine.
type helloConn struct {
	conn    net.Conn
	r       *bufio.Reader
	scratch []byte
}

func (h *helloConn) close() error { return h.conn.Close() }

// respError is an error reply read on the pub/sub link. It is a go-redis
// redis.Error (it has RedisError), so Classify sorts it like the error
// replies of the command links.
type respError string

func (e respError) Error() string { return string(e) }

// RedisError marks respError as a Redis error reply for redis.Error.
func (respError) RedisError() {}

// errBadHelloReply is a reply of a shape no subscription sends (a nested
// array, an unknown type byte): the link is given up as after garbage.
var errBadHelloReply = errors.New("datanode: unexpected reply on the pub/sub link")

// helloMsg is one reply on the subscription: its kind ("message",
// "subscribe", "pong", ...) and up to two more elements, as text. A status
// or integer reply has an empty kind.
type helloMsg struct {
	kind, channel, payload string
}

// appendCommand appends args as a RESP array of bulk strings.
func appendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// openHello dials the pub/sub link and sends AUTH, CLIENT SETNAME and
// SUBSCRIBE in one write (renamed by the master's rename-command table,
// as sentinelReconnectInstance does); it reads the AUTH and CLIENT SETNAME
// replies, and leaves the subscription's confirmation to pump. A nil
// helloConn and a nil error mean the links are closed.
func (c *redisConn) openHello(ctx context.Context) (*helloConn, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, nil
	}
	dctx, cancel := context.WithTimeout(ctx, c.p.opts.DialTimeout)
	conn, err := c.subDial(dctx, "tcp", c.t.addr.String())
	cancel()
	if err != nil {
		return nil, err
	}
	hc := newHelloConn(conn)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = conn.Close()
		return nil, nil
	}
	c.ps = hc
	c.mu.Unlock()
	// Set-up on a node that accepts and never answers waits as long as a
	// pending command does, not the command timeout (lane.go).
	_ = conn.SetDeadline(time.Now().Add(c.pendingLimit()))
	user, pass := c.credentials()
	b := hc.scratch[:0]
	if pass != "" {
		if user != "" {
			b = appendCommand(b, c.rename("AUTH"), user, pass)
		} else {
			b = appendCommand(b, c.rename("AUTH"), pass)
		}
	}
	name := c.p.clientName(linkTypePubSub)
	if name != "" {
		b = appendCommand(b, c.rename("CLIENT"), "SETNAME", name)
	}
	b = appendCommand(b, c.rename("SUBSCRIBE"), monitor.HelloChannel)
	hc.scratch = b[:0]
	if _, err := conn.Write(b); err != nil {
		return hc, err
	}
	if pass != "" {
		if _, err := hc.read(); err != nil {
			return hc, fmt.Errorf("datanode: AUTH on %s: %w", c.t.addr, err)
		}
	}
	if name != "" {
		// A refused CLIENT SETNAME (ACL, renamed away) is harmless, as in
		// Redis; only a broken link fails the connection.
		var refused respError
		if _, err := hc.read(); err != nil && !errors.As(err, &refused) {
			return hc, fmt.Errorf("datanode: CLIENT SETNAME on %s: %w", c.t.addr, err)
		}
	}
	return hc, nil
}

// waitReply waits until idleUntil for the next reply to begin; the error
// is then the timeout. Once a byte is there, the rest of the reply may
// take until restUntil: a timeout in the middle of a reply would leave the
// reader out of step, so that is a broken link, not silence.
func (h *helloConn) waitReply(idleUntil, restUntil time.Time) error {
	if h.r.Buffered() == 0 {
		_ = h.conn.SetReadDeadline(idleUntil)
		if _, err := h.r.Peek(1); err != nil {
			return err
		}
	}
	return h.conn.SetReadDeadline(restUntil)
}

// read reads one whole reply: an array's first three elements as text
// (the rest read and dropped), a status or integer reply as an empty
// message, an error reply as a respError.
func (h *helloConn) read() (helloMsg, error) {
	line, err := h.line()
	if err != nil {
		return helloMsg{}, err
	}
	switch line[0] {
	case '-':
		return helloMsg{}, respError(line[1:])
	case '+', ':':
		return helloMsg{}, nil
	case '*':
	default:
		return helloMsg{}, fmt.Errorf("%w: type %q", errBadHelloReply, line[0])
	}
	n, err := strconv.Atoi(string(line[1:]))
	if err != nil {
		return helloMsg{}, fmt.Errorf("%w: array length %q", errBadHelloReply, line[1:])
	}
	var m helloMsg
	for i := range max(n, 0) {
		s, err := h.element()
		if err != nil {
			return helloMsg{}, err
		}
		switch i {
		case 0:
			m.kind = s
		case 1:
			m.channel = s
		case 2:
			m.payload = s
		}
	}
	return m, nil
}

// element reads one element of a reply array: a bulk string (nil reads as
// ""), a status or an integer, as text.
func (h *helloConn) element() (string, error) {
	line, err := h.line()
	if err != nil {
		return "", err
	}
	switch line[0] {
	case '+', ':':
		return string(line[1:]), nil
	case '$':
	default:
		return "", fmt.Errorf("%w: element type %q", errBadHelloReply, line[0])
	}
	size, err := strconv.Atoi(string(line[1:]))
	if err != nil {
		return "", fmt.Errorf("%w: bulk length %q", errBadHelloReply, line[1:])
	}
	if size < 0 {
		return "", nil
	}
	if cap(h.scratch) < size+2 {
		h.scratch = make([]byte, size+2)
	}
	buf := h.scratch[:size+2]
	if _, err := io.ReadFull(h.r, buf); err != nil {
		return "", err
	}
	return string(buf[:size]), nil
}

// line reads one CRLF-terminated line without its CRLF; the validator in
// front of the reader bounds its length (ReplyLimits), and the bytes of a
// line that fits the buffer are valid only until the next read.
func (h *helloConn) line() ([]byte, error) {
	line, err := h.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A line longer than the buffer (a long error message): the
		// validator has bounded it already.
		line = append([]byte(nil), line...)
		var rest []byte
		rest, err = h.r.ReadBytes('\n')
		line = append(line, rest...)
	}
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	if len(line) == 0 {
		return nil, fmt.Errorf("%w: empty line", errBadHelloReply)
	}
	return line, nil
}

// ping sends PING (renamed) on the subscription; its reply comes back
// through read as a "pong" message.
func (h *helloConn) ping(name string, timeout time.Duration) error {
	b := appendCommand(h.scratch[:0], name)
	h.scratch = b[:0]
	_ = h.conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := h.conn.Write(b)
	return err
}
