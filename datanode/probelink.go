package datanode

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// The PING link of a data node (decisions/0006, step 2). A data node's
// PING, and the hellos riding with it, go over a connection of our own
// instead of go-redis's PING lane: the PING drain writes them in one write
// and reads their replies itself, on the same worker. Through go-redis each
// PING cost a second worker (lane.go), a pool health check (a recvfrom on
// every command), a context and timer for the pending limit and the
// pipeline's allocations; here it costs the write and the read.
//
// The rules are the lanes': one PING in flight, its caller told "no reply"
// at the command timeout while the PING stays pending on its connection
// (owed, below); the next PING first reads what is owed, and a late PONG
// answers it; a connection whose oldest owed reply is older than the
// pending limit is closed and the next PING redials. The dialer is the
// command link's (backoff, TLS, reply limits, the links gauge, the local
// address a hello announces, the Resolved report), and AUTH and CLIENT
// SETNAME go out in the same write as the first PING, renamed as every
// command. go-redis keeps every other command on its one connection; until
// this link has had a reply, those commands first wait for a PING here
// (waitProven), so a node that accepts and never answers gets one command
// connection, as from Redis.

// restOfReply is how long past the command timeout a reply that has
// begun may take to end (readReply).
const restOfReply = 50 * time.Millisecond

// probeRequest is one write on the probe link whose replies are owed, in
// the order they come back.
type probeRequest struct {
	sentAt  time.Time
	auth    bool // AUTH's reply first
	setName bool // then CLIENT SETNAME's
	ping    bool // then the PING's
	pubs    int  // then one reply per PUBLISH
}

// owedReplies is what readOwed read: whether a PING's reply was among
// them and its outcome (nil for PONG, as ping returns it), and the first
// refused PUBLISH.
type owedReplies struct {
	pinged     bool
	pingErr    error
	publishErr error
}

// probeConn is one connection of the probe link and what it still owes.
// Only the holder of the link's turn reads or writes it; close may come
// from any goroutine.
type probeConn struct {
	hc     *helloConn
	owed   []probeRequest
	proven bool // it has had a reply
}

// probeLink is the PING link of one data node.
type probeLink struct {
	c    *redisConn
	dial func(ctx context.Context, network, addr string) (net.Conn, error) // the command link's dialer
	turn chan struct{}                                                     // one sender at a time (the PING drain, or waitProven)

	mu     sync.Mutex
	cur    *probeConn // nil: none open
	closed bool
	proven bool // cur has had a reply
}

func newProbeLink(c *redisConn, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *probeLink {
	return &probeLink{c: c, dial: dial, turn: make(chan struct{}, 1)}
}

// probeResult is what one send learnt: the PING's outcome (nil for PONG,
// as ping returns it), the first refused PUBLISH, and whether this send's
// PUBLISHes were written.
type probeResult struct {
	sent       bool
	publishErr error
	err        error
}

// send sends PING followed by one PUBLISH per payload and waits for the
// replies until ctx ends (the command timeout). A PING still owed from an
// earlier send is read first: when it was answered, that answer is this
// send's and nothing new is written (as lane.run does for late PINGs).
//
// A connection that turns out closed when this send uses it (the node
// restarted, fencing's CLIENT KILL, an idle timeout on the node) costs
// one retry on a fresh connection, not a failed PING: that is what
// go-redis's pool checks every connection for before each command.
func (l *probeLink) send(ctx context.Context, payloads []string) probeResult {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(l.c.p.opts.CommandTimeout)
	}
	return l.sendBy(ctx, deadline, payloads)
}

// sendBy is send with the command's deadline given apart from ctx, which
// only cancels (shutdown): the PING drain makes no context and timer per
// PING (they were 5 % of a settled sentinel's CPU at 100 masters).
func (l *probeLink) sendBy(ctx context.Context, deadline time.Time, payloads []string) probeResult {
	if err := l.takeTurn(ctx, deadline); err != nil {
		return probeResult{err: err}
	}
	defer func() { <-l.turn }()
	r, reused := l.sendOnce(ctx, deadline, payloads)
	if reused && closedByPeer(r.err) && !expired(ctx, deadline) {
		r, _ = l.sendOnce(ctx, deadline, payloads)
	}
	return r
}

// takeTurn waits for the link's turn until ctx ends or the deadline
// passes. The turn is almost always free: only then is no timer made.
func (l *probeLink) takeTurn(ctx context.Context, deadline time.Time) error {
	select {
	case l.turn <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case l.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer.C:
		return errCommandTimeout
	}
}

// expired says a send must stop: ctx ended or its deadline passed.
func expired(ctx context.Context, deadline time.Time) bool {
	return ctx.Err() != nil || !time.Now().Before(deadline)
}

// closedByPeer says err is what writing to or reading from a connection
// the other side (or a reconnect of ours) has closed returns.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// sendOnce is one attempt of send, holding the turn; reused says it wrote
// on a connection opened before it.
func (l *probeLink) sendOnce(ctx context.Context, deadline time.Time, payloads []string) (_ probeResult, reused bool) {
	pc, err := l.current()
	if err != nil {
		return probeResult{err: err}, false
	}
	if pc != nil && len(pc.owed) > 0 {
		if time.Since(pc.owed[0].sentAt) >= l.c.pendingLimit() {
			l.drop(pc)
			pc = nil
		} else {
			got, err := l.readOwed(deadline, pc)
			if err != nil && !isTimeout(err) {
				l.drop(pc)
				pc = nil
			}
			switch {
			case got.pinged:
				// The late answer, even when a PUBLISH reply after it
				// broke the link: the node did answer the PING.
				return probeResult{err: got.pingErr}, false
			case err == nil:
				// Only late PUBLISH replies were owed: PING now.
			case isTimeout(err):
				return probeResult{err: err}, false // still owed: nothing more is sent
			case expired(ctx, deadline):
				return probeResult{err: err}, false
			}
		}
	}
	req := probeRequest{ping: true, pubs: len(payloads)}
	fresh := pc == nil
	if fresh {
		if pc, err = l.open(ctx, deadline); err != nil {
			return probeResult{err: err}, false
		}
	}
	b := pc.hc.scratch[:0]
	if fresh {
		b, req.auth, req.setName = l.appendSetup(b)
	}
	b = appendCommand(b, l.c.rename("PING"))
	publish := l.c.rename("PUBLISH")
	for _, p := range payloads {
		b = appendCommand(b, publish, monitor.HelloChannel, p)
	}
	pc.hc.scratch = b[:0]
	_ = pc.hc.conn.SetWriteDeadline(deadline)
	req.sentAt = time.Now()
	if _, err := pc.hc.conn.Write(b); err != nil {
		l.drop(pc)
		return probeResult{err: err}, !fresh
	}
	pc.owed = append(pc.owed, req)
	got, err := l.readOwed(deadline, pc)
	if err != nil && !isTimeout(err) {
		l.drop(pc) // a timeout leaves the replies owed
	}
	if err != nil && !got.pinged {
		// Nothing of this write was answered: a retry sends it again.
		return probeResult{sent: !closedByPeer(err), err: err}, !fresh
	}
	// Answered, even if a PUBLISH reply after the PONG broke the link.
	return probeResult{sent: true, publishErr: got.publishErr, err: got.pingErr}, !fresh
}

// appendSetup appends AUTH and CLIENT SETNAME, as the first write of a
// connection carries them (openHello does the same on the pub/sub link).
func (l *probeLink) appendSetup(b []byte) (_ []byte, auth, setName bool) {
	user, pass := l.c.credentials()
	if pass != "" {
		if user != "" {
			b = appendCommand(b, l.c.rename("AUTH"), user, pass)
		} else {
			b = appendCommand(b, l.c.rename("AUTH"), pass)
		}
	}
	if name := l.c.p.clientName(linkTypeCmd); name != "" {
		b = appendCommand(b, l.c.rename("CLIENT"), "SETNAME", name)
		setName = true
	}
	return b, pass != "", setName
}

// readOwed reads the replies of every owed request, oldest first, waiting
// for each reply to begin until the deadline. Each reply read is struck off its
// request, so a timeout leaves exactly the unread ones owed. Once a PING's
// reply is in, PUBLISH replies that do not come in time stay owed and the
// PING's answer stands. err is the link's.
func (l *probeLink) readOwed(deadline time.Time, pc *probeConn) (got owedReplies, err error) {
	var refused respError
	for len(pc.owed) > 0 {
		req := &pc.owed[0]
		if req.auth {
			if _, err := l.readReply(deadline, pc); err != nil {
				return got, fmt.Errorf("datanode: AUTH on %s: %w", l.c.t.addr, err)
			}
			req.auth = false
		}
		if req.setName {
			// A refused CLIENT SETNAME (ACL, renamed away) is harmless.
			if _, err := l.readReply(deadline, pc); err != nil && !errors.As(err, &refused) {
				return got, fmt.Errorf("datanode: CLIENT SETNAME on %s: %w", l.c.t.addr, err)
			}
			req.setName = false
		}
		if req.ping {
			status, err := l.readReply(deadline, pc)
			if err != nil && !errors.As(err, &refused) {
				return got, err
			}
			req.ping = false
			got.pinged, got.pingErr = true, err
			if err == nil {
				got.pingErr = l.c.checkPong(status)
			}
			l.markProven(pc)
		}
		for req.pubs > 0 {
			_, err := l.readReply(deadline, pc)
			if err != nil && !errors.As(err, &refused) {
				if isTimeout(err) && got.pinged {
					return got, nil
				}
				return got, err
			}
			if err != nil && got.publishErr == nil {
				got.publishErr = err
			}
			req.pubs--
		}
		pc.owed = pc.owed[1:]
	}
	pc.owed = nil // drop the backing array's old requests
	return got, nil
}

// readReply reads one reply: a status or bulk string as its text, an
// error reply as a respError, an integer or array read whole and dropped
// (readStatus). Nothing arriving before the deadline is a timeout. A reply that
// has begun must end by then too, or at the latest restOfReply after it:
// these replies are a few bytes, and a timeout inside one leaves the
// reader out of step, so that is a broken link.
func (l *probeLink) readReply(deadline time.Time, pc *probeConn) (string, error) {
	if err := pc.hc.waitReply(deadline, deadline.Add(restOfReply)); err != nil {
		return "", err // nothing arrived: the reply stays owed
	}
	s, err := pc.hc.readStatus()
	if err != nil && isTimeout(err) {
		// Not a timeout to the caller: the link is out of step.
		return "", fmt.Errorf("datanode: reply from %s stopped mid-way: %v", l.c.t.addr, err)
	}
	return s, err
}

// readStatus reads one reply, returning a status line's or a bulk
// string's text (go-redis accepts a bulk "PONG" as well).
func (h *helloConn) readStatus() (string, error) {
	first, err := h.r.Peek(1)
	if err != nil {
		return "", err
	}
	switch first[0] {
	case '$':
		return h.element()
	case '+':
	default:
		_, err := h.read()
		return "", err
	}
	line, err := h.line()
	if err != nil {
		return "", err
	}
	if string(line) == "+PONG" {
		return "PONG", nil // the usual reply, without an allocation
	}
	return string(line[1:]), nil
}

// current returns the open connection, nil if there is none.
func (l *probeLink) current() (*probeConn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errLinkClosed
	}
	return l.cur, nil
}

// open opens a connection through the command link's dialer, within the
// dial timeout and the command's deadline.
func (l *probeLink) open(ctx context.Context, deadline time.Time) (*probeConn, error) {
	if dl := time.Now().Add(l.c.p.opts.DialTimeout); dl.Before(deadline) {
		deadline = dl
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	conn, err := l.dial(dctx, "tcp", l.c.t.addr.String())
	cancel()
	if err != nil {
		return nil, err
	}
	pc := &probeConn{hc: newHelloConn(conn)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = conn.Close()
		return nil, errLinkClosed
	}
	l.cur, l.proven = pc, false
	return pc, nil
}

func (l *probeLink) markProven(pc *probeConn) {
	if pc.proven {
		return
	}
	pc.proven = true
	l.mu.Lock()
	if l.cur == pc {
		l.proven = true
	}
	l.mu.Unlock()
}

// drop closes pc; the next send redials.
func (l *probeLink) drop(pc *probeConn) {
	l.mu.Lock()
	if l.cur == pc {
		l.cur, l.proven = nil, false
	}
	l.mu.Unlock()
	_ = pc.hc.close()
}

// reset closes the open connection (reconnect); the next send redials.
func (l *probeLink) reset() {
	l.mu.Lock()
	pc := l.cur
	l.cur, l.proven = nil, false
	l.mu.Unlock()
	if pc != nil {
		_ = pc.hc.close()
	}
}

// close closes the link for good.
func (l *probeLink) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.reset()
}

// waitProven holds a command for go-redis's connection until this link has
// had a reply, sending a PING here if it has not: a node that accepts and
// never answers gets one command connection, whose PING the command then
// waits behind, as every command of a fresh link does in Redis.
func (l *probeLink) waitProven(ctx context.Context) error {
	l.mu.Lock()
	proven := l.proven
	l.mu.Unlock()
	if proven {
		return nil
	}
	res := l.send(ctx, nil)
	if !Classify(res.err).Connected() {
		return res.err
	}
	return nil
}

// newHelloConn wraps a connection of our own RESP links (pub/sub, probe).
func newHelloConn(conn net.Conn) *helloConn {
	return &helloConn{conn: conn, r: bufio.NewReaderSize(conn, linkReadBufferSize)}
}
