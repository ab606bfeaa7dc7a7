package pubsub

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// client is one connection. Its serve goroutine owns the reader, the
// authentication state and the subscription sets; the writer is shared
// with the delivery goroutine (pub/sub messages) under wmu.
type client struct {
	srv     *Server
	id      uint64
	conn    net.Conn
	rd      *resp.Reader
	created time.Time

	wmu           sync.Mutex
	wr            *resp.Writer
	writeDeadline time.Time // the write deadline set last; under wmu
	peekFD        peeker    // nil when the socket cannot be peeked (TLS)

	// Read by CLIENT LIST from other connections' goroutines.
	mu       sync.Mutex
	name     string
	libName  string
	libVer   string
	user     string
	lastCmd  string
	lastSeen time.Time
	proto    int
	tracking *trackingState // CLIENT TRACKING; nil when off (tracking.go)
	reply    replyMode      // CLIENT REPLY (reply.go); serve goroutine only

	authenticated bool
	quitAfter     bool                // close once the current reply is flushed
	channels      map[string]struct{} // nil until the first (P)SUBSCRIBE
	patterns      map[string]struct{}
	sub           *subscriber
	nChannels     atomic.Int32 // len(channels), readable by CLIENT LIST
	nPatterns     atomic.Int32 // len(patterns)

	closeOnce    sync.Once
	delivery     sync.WaitGroup
	stopDelivery context.CancelFunc // nil until the first (P)SUBSCRIBE
	counted      countingConn       // conn, counting bytes for INFO

	// batchAt is when the pipelined batch the current command belongs to
	// was read (one clock read per batch, not per command); inBatch says
	// more of that batch is buffered. Serve goroutine only.
	batchAt time.Time
	inBatch bool
	// votes are is-master-down-by-addr requests whose replies wait for
	// the rest of the batch (votebatch.go), with the context to answer
	// them in. Serve goroutine only, under wmu.
	votes    []monitor.IsMasterDownRequest
	votesCtx context.Context

	// Per-connection caches of the command path, serve goroutine only:
	// the last command resolved, by its name bytes as sent (commands.go),
	// and the last one checkACL allowed, with the ACL generation then (+1,
	// so that zero never matches).
	cmdCache cmdCache
	aclCmd   *command
	aclGen   uint64

	// Idle hand-off state, used by the serve goroutine only.
	ranCommands  bool         // this goroutine ran a command: its stack may have grown
	waitingIdle  bool         // the read under way waits for a new command
	idleDeadline time.Time    // read deadline armed for the hand-off; zero when none
	handOffs     atomic.Int64 // for tests
	parkable     bool         // the socket can wait in the server's parker (park.go)
	inEpoll      bool         // registered with the parker's epoll set; under its mu
}

func newClient(s *Server, nc net.Conn) *client {
	now := time.Now()
	c := &client{
		srv:           s,
		id:            s.nextClientID.Add(1),
		conn:          nc,
		counted:       countingConn{Conn: nc, stats: &s.stats},
		created:       now,
		lastSeen:      now,
		user:          "default",
		proto:         resp.RESP2,
		authenticated: !s.authRequired(),
	}
	c.counted.client = c
	_, sys := nc.(syscall.Conn)
	c.parkable = sys && s.parker != nil
	c.rd = c.newReader()
	c.wr = resp.NewWriter(&c.counted)
	c.peekFD = newPeeker(nc)
	return c
}

// newReader makes the connection's command reader; a parked connection
// has none (park.go).
func (c *client) newReader() *resp.Reader {
	rd := resp.NewReader(&c.counted, c.srv.opts.Limits)
	rd.BeforeRead = c.flushBeforeRead
	rd.SetAuthenticated(c.authenticated)
	return rd
}

// close closes the connection; the serve goroutine then exits. Safe to
// call from any goroutine, any number of times.
func (c *client) close() {
	c.closeOnce.Do(func() {
		_ = c.conn.Close()
		// A parked connection has no goroutine to notice: give it one,
		// whose read fails at once and which tears it down.
		if p := c.srv.parker; p != nil && p.unpark(c) {
			p.resume(c)
		}
	})
}

// serve runs the read–dispatch–flush loop until the peer leaves, a
// protocol error, QUIT, or the connection is closed (Run closes every
// connection when its context ends). It waits for the delivery goroutine
// it may have started.
//
// An idle connection costs what its goroutine holds while blocked in
// Read, so this loop keeps that path shallow: the reply work is in handle
// and the error work in readFailed, whose frames exist only while they
// run. Commands still grow the stack (to 4 KB or more), and Go never
// shrinks a 4 KB stack back, so a connection idle for idlePark is parked
// without a goroutine (park.go) and resumed on a fresh one when the client
// speaks; where it cannot be parked, a connection idle for idleHandOff
// moves to a fresh goroutine, which starts at the 2 KB minimum.
func (c *client) serve(ctx context.Context) {
	handedOff := false
	defer func() {
		if !handedOff {
			c.finish()
		}
	}()
	c.ranCommands = false
	if c.rd == nil {
		c.rd = c.newReader()
	}
	for {
		c.prepareRead()
		args, err := c.rd.ReadCommand()
		if err != nil {
			if c.waitingIdle && errors.Is(err, os.ErrDeadlineExceeded) {
				handedOff = true
				if !c.park() {
					c.handOff(ctx)
				}
				return
			}
			c.readFailed(ctx, err)
			return
		}
		if !c.handle(ctx, args) {
			return
		}
	}
}

// idleHandOff is how long a connection waits for its next command before
// its goroutine is replaced by a fresh one (see serve).
const idleHandOff = 5 * time.Second

// prepareRead arms the idle deadline before the read of a new command,
// when this goroutine has run commands. The deadline is moved only once
// half of it has passed, so a busy connection re-arms it every few seconds
// rather than on every command. Called by serve only.
func (c *client) prepareRead() {
	c.waitingIdle = c.rd.Buffered() == 0
	if !c.waitingIdle || !c.ranCommands && !c.parkable {
		return
	}
	now := time.Now()
	wait := idleHandOff
	if c.parkable {
		wait = idlePark
	}
	if c.idleDeadline.Sub(now) < wait/2 {
		c.idleDeadline = now.Add(wait)
		_ = c.conn.SetReadDeadline(c.idleDeadline)
	}
}

// handOff continues serving the connection on a new goroutine, owned like
// this one by Run.
func (c *client) handOff(ctx context.Context) {
	// A failed park (the parker closing at shutdown, epoll refusing the
	// socket) has released the reader already; serve makes a new one.
	if c.rd != nil {
		c.rd.Release()
	}
	c.idleDeadline = time.Time{}
	_ = c.conn.SetReadDeadline(time.Time{})
	c.handOffs.Add(1)
	c.srv.conns.Go(func() { c.serve(ctx) })
}

// handle runs one command and flushes the replies when the pipelined
// batch is over. It reports whether to read the next command.
//
//go:noinline
func (c *client) handle(ctx context.Context, args [][]byte) bool {
	c.ranCommands = true
	if !c.inBatch {
		c.batchAt = time.Now()
	}
	c.wmu.Lock()
	c.srv.dispatch(ctx, c, args)
	var ferr error
	c.inBatch = c.rd.Buffered() > 0
	if !c.inBatch || c.wr.Buffered() > maxReplyBuffer || c.quitAfter {
		ferr = c.flush()
	}
	c.wmu.Unlock()
	return ferr == nil && !c.quitAfter
}

// readFailed answers a protocol error as Redis does (the connection is
// closed right after) and logs unexpected read errors.
//
//go:noinline
func (c *client) readFailed(ctx context.Context, err error) {
	var pe *resp.ProtocolError
	if errors.As(err, &pe) {
		c.srv.metrics.protocolErrors.Inc()
		c.srv.log.Debug("protocol error, closing connection", "client_id", c.id, "err", err)
		c.wmu.Lock()
		c.answerVotes()
		c.wr.Error(pe.RESPError())
		_ = c.flush() // the connection is closed next whatever happens
		c.wmu.Unlock()
	} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
		c.srv.log.Debug("client read failed", "client_id", c.id, "err", err)
	}
}

// finish tears the connection down once serve returns.
func (c *client) finish() {
	// Leave the bus first: once remove returns no Publish can queue to
	// us, so a closing client is never miscounted as a slow one.
	c.unsubscribeAll()
	if c.stopDelivery != nil {
		c.stopDelivery()
	}
	c.close()
	c.delivery.Wait()
	c.srv.unregister(c)
}

// flushBeforeRead sends replies still buffered before the reader blocks:
// a pipelined batch that ends in a blank line or half a command must not
// leave its replies waiting for more input. When the rest of the batch is
// already in the socket (a batch larger than the reader's first read) the
// read will not block, and the replies wait for the end of the batch:
// one write per batch, as Redis, instead of one per read.
func (c *client) flushBeforeRead() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if (c.wr.Buffered() > 0 || len(c.votes) > 0) && c.wr.Buffered() <= maxReplyBuffer && c.peekFD != nil && c.peekFD.readable() {
		return nil
	}
	if err := c.flush(); err != nil {
		return flushError{err}
	}
	return nil
}

// flushError is a write that failed before a read: it ends the connection
// like a read error. It hides the cause from errors.Is, so a write timeout
// is never taken for the idle read deadline.
type flushError struct{ err error }

func (e flushError) Error() string { return "writing replies: " + e.err.Error() }

// flush writes buffered replies with a fresh deadline, so a client that
// never reads cannot hold a goroutine forever. It returns the writer's
// sticky error even with nothing buffered: after a failed write the
// connection is unusable and every caller closes it. Caller holds wmu.
func (c *client) flush() error {
	c.answerVotes()
	if c.wr.Buffered() == 0 {
		return c.wr.Err()
	}
	// Moving the deadline is a runtime timer update; a busy connection
	// flushing thousands of times a second moves it only once an eighth of
	// the timeout has passed, so every write still gets at least 7/8 of it.
	now := time.Now()
	timeout := c.srv.opts.WriteTimeout
	if c.writeDeadline.Sub(now) < timeout-timeout/8 {
		c.writeDeadline = now.Add(timeout)
		_ = c.conn.SetWriteDeadline(c.writeDeadline)
	}
	return c.wr.Flush()
}

// subscriberFor returns the connection's subscriber, creating it and its
// delivery goroutine on first use.
func (c *client) subscriberFor(ctx context.Context) *subscriber {
	if c.sub != nil {
		return c.sub
	}
	s := newSubscriber(c.srv.opts.OutputLimit, func(pending int) {
		c.srv.stats.slowSubscriber.Add(1)
		c.srv.log.Warn("disconnecting slow subscriber: client-output-buffer-limit pubsub reached",
			"client_id", c.id, "pending_bytes", pending)
		c.close()
	})
	s.proto.Store(int32(c.wr.Protocol()))
	c.mu.Lock() // CLIENT LIST on other connections reads it (omem)
	c.sub = s
	c.mu.Unlock()
	// Only subscribers pay for a context of their own: it stops the
	// delivery goroutine when serve finishes.
	ctx, c.stopDelivery = context.WithCancel(ctx)
	// Made here rather than in newClient: most connections never subscribe.
	c.channels = make(map[string]struct{})
	c.patterns = make(map[string]struct{})
	c.delivery.Go(func() { c.deliver(ctx, s) })
	return s
}

// deliverChunk bounds the events copied into the reply buffer per write,
// so a backlog is written in pieces of this size (one event at least,
// however large) while the rest stays queued and accounted.
const deliverChunk = 64 << 10

// deliver drains the subscriber's queue into the connection. Events are
// appended after any reply the serve goroutine left buffered (wmu orders
// them as Redis's single output buffer does) and written by flush; a
// write that fails or times out closes the connection.
func (c *client) deliver(ctx context.Context, s *subscriber) {
	var frames [][]byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		for {
			var n int
			frames, n = s.take(frames[:0], deliverChunk)
			if len(frames) == 0 {
				break
			}
			c.wmu.Lock()
			for _, f := range frames {
				c.wr.Raw(f)
			}
			err := c.flush()
			c.wmu.Unlock()
			clear(frames) // the queue no longer pins these events
			s.done(n)
			if err != nil {
				c.deliveryFailed(ctx, s, err)
				return
			}
		}
	}
}

// deliveryFailed closes a subscriber whose write failed. A timeout means
// it stopped reading with events pending: it is counted with the slow
// subscribers dropped at the output limit.
func (c *client) deliveryFailed(ctx context.Context, s *subscriber, err error) {
	// Read ctx first: closing makes serve finish, which cancels it.
	closing := ctx.Err() != nil
	newlySlow := s.markSlow()
	c.close()
	if closing {
		return
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && newlySlow {
		c.srv.metrics.slowSubscribers.Inc()
		c.srv.stats.slowSubscriber.Add(1)
		c.srv.log.Warn("disconnecting slow subscriber: write timed out", "client_id", c.id, "timeout", c.srv.opts.WriteTimeout)
		return
	}
	c.srv.log.Debug("subscriber write failed, closing connection", "client_id", c.id, "err", err)
}

func (c *client) subscribed() bool { return len(c.channels)+len(c.patterns) > 0 }

func (c *client) unsubscribeAll() {
	if c.sub == nil {
		return
	}
	for ch := range c.channels {
		c.srv.bus.remove(false, ch, c.sub)
	}
	for p := range c.patterns {
		c.srv.bus.remove(true, p, c.sub)
	}
	clear(c.channels)
	clear(c.patterns)
	c.nChannels.Store(0)
	c.nPatterns.Store(0)
}

// setProto switches the connection's protocol (HELLO).
func (c *client) setProto(p int) {
	c.wr.SetProtocol(p)
	if c.sub != nil {
		c.sub.proto.Store(int32(p))
	}
	c.mu.Lock()
	c.proto = p
	c.mu.Unlock()
}

func (c *client) setAuthenticated(user string) {
	c.authenticated = true
	c.rd.SetAuthenticated(true)
	c.aclCmd, c.aclGen = nil, 0 // another user: check again
	c.mu.Lock()
	c.user = user
	c.mu.Unlock()
}

// countingConn counts bytes for INFO stats, and keeps the idle deadline
// to the wait between commands.
type countingConn struct {
	net.Conn
	stats  *serverStats
	client *client
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.stats.netIn.Add(int64(n))
	c.stats.reads.Add(1)
	if n > 0 {
		c.client.waitingIdle = false
	} else if err != nil && !c.client.waitingIdle && !c.client.idleDeadline.IsZero() && errors.Is(err, os.ErrDeadlineExceeded) {
		// The idle deadline passed inside a command, which arrives in
		// pieces: it was meant for the wait between commands only. Drop
		// it and read again, without a deadline.
		c.client.idleDeadline = time.Time{}
		_ = c.Conn.SetReadDeadline(time.Time{})
		n, err = c.Conn.Read(p)
		c.stats.netIn.Add(int64(n))
	}
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.stats.netOut.Add(int64(n))
	c.stats.writes.Add(1)
	return n, err
}

func sortClients(cs []*client) {
	slices.SortFunc(cs, func(a, b *client) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
}

// validClientName is Redis's rule for CLIENT SETNAME: printable ASCII
// without spaces.
func validClientName(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] < '!' || name[i] > '~' {
			return false
		}
	}
	return true
}

// infoLine renders one CLIENT LIST / CLIENT INFO line with Redis's
// field names and order; fields we have no equivalent for are constant.
func (c *client) infoLine(now time.Time) string {
	c.mu.Lock()
	name, libName, libVer, user, cmd, seen, proto, sub := c.name, c.libName, c.libVer, c.user, c.lastCmd, c.lastSeen, c.proto, c.sub
	tracking := c.tracking
	c.mu.Unlock()
	omem := 0
	if sub != nil {
		omem = sub.pendingBytes()
	}
	redir, broken := c.srv.trackingView(tracking)
	flags := ""
	if c.nChannels.Load()+c.nPatterns.Load() > 0 {
		flags = "P"
	}
	if tracking != nil {
		flags += "t" // Redis's order: t, R (broken redirect), B (BCAST)
		if broken {
			flags += "R"
		}
		if tracking.bcast {
			flags += "B"
		}
	}
	if flags == "" {
		flags = "N"
	}
	var b strings.Builder
	b.WriteString("id=" + utoa(c.id))
	b.WriteString(" addr=" + c.conn.RemoteAddr().String())
	b.WriteString(" laddr=" + c.conn.LocalAddr().String())
	b.WriteString(" fd=-1 name=" + name)
	b.WriteString(" age=" + itoa64(int64(now.Sub(c.created)/time.Second)))
	b.WriteString(" idle=" + itoa64(int64(now.Sub(seen)/time.Second)))
	b.WriteString(" flags=" + flags + " db=0")
	b.WriteString(" sub=" + itoa(int(c.nChannels.Load())) + " psub=" + itoa(int(c.nPatterns.Load())) + " ssub=0")
	b.WriteString(" multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=" + itoa(omem) + " tot-mem=0 events=r")
	b.WriteString(" cmd=" + cmd + " user=" + user + " redir=" + itoa64(redir) + " resp=" + itoa(proto))
	// Redis 7.2's fields, after CLIENT SETINFO (which 7.0 does not have):
	// a client that never sent it sees 7.0's line.
	if libName != "" || libVer != "" {
		b.WriteString(" lib-name=" + libName + " lib-ver=" + libVer)
	}
	return b.String()
}
