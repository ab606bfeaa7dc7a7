package pubsub

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

	wmu sync.Mutex
	wr  *resp.Writer

	// Read by CLIENT LIST from other connections' goroutines.
	mu       sync.Mutex
	name     string
	libName  string
	libVer   string
	user     string
	lastCmd  string
	lastSeen time.Time
	proto    int

	authenticated bool
	quitAfter     bool // close once the current reply is flushed
	channels      map[string]struct{}
	patterns      map[string]struct{}
	sub           *subscriber
	nChannels     atomic.Int32 // len(channels), readable by CLIENT LIST
	nPatterns     atomic.Int32 // len(patterns)

	closeOnce sync.Once
	delivery  sync.WaitGroup
}

func newClient(s *Server, nc net.Conn) *client {
	cc := &countingConn{Conn: nc, stats: &s.stats}
	now := time.Now()
	c := &client{
		srv:           s,
		id:            s.nextClientID.Add(1),
		conn:          nc,
		rd:            resp.NewReader(cc, s.opts.Limits),
		wr:            resp.NewWriter(cc),
		created:       now,
		lastSeen:      now,
		user:          "default",
		proto:         resp.RESP2,
		authenticated: !s.authRequired(),
		channels:      make(map[string]struct{}),
		patterns:      make(map[string]struct{}),
	}
	c.rd.SetAuthenticated(c.authenticated)
	return c
}

// close closes the connection; the serve goroutine then exits. Safe to
// call from any goroutine, any number of times.
func (c *client) close() {
	c.closeOnce.Do(func() { _ = c.conn.Close() })
}

// serve runs the read–dispatch–flush loop until the peer leaves, a
// protocol error, QUIT, or ctx is cancelled. It waits for the delivery
// goroutine it may have started.
func (c *client) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(ctx, c.close)
	defer func() {
		stop()
		// Leave the bus first: once remove returns no Publish can queue to
		// us, so a closing client is never miscounted as a slow one.
		c.unsubscribeAll()
		cancel()
		c.close()
		c.delivery.Wait()
		c.srv.unregister(c)
	}()
	for {
		args, err := c.rd.ReadCommand()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				c.srv.metrics.protocolErrors.Inc()
				c.srv.log.Debug("protocol error, closing connection", "client_id", c.id, "err", err)
				c.wmu.Lock()
				c.wr.Error(pe.RESPError())
				_ = c.flush()
				c.wmu.Unlock()
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				c.srv.log.Debug("client read failed", "client_id", c.id, "err", err)
			}
			return
		}
		c.wmu.Lock()
		c.srv.dispatch(ctx, c, args)
		var ferr error
		if c.rd.Buffered() == 0 || c.wr.Buffered() > maxReplyBuffer || c.quitAfter {
			ferr = c.flush()
		}
		c.wmu.Unlock()
		if ferr != nil || c.quitAfter {
			return
		}
	}
}

// flush writes buffered replies with a deadline, so a client that never
// reads cannot hold a goroutine forever. Caller holds wmu.
func (c *client) flush() error {
	if c.wr.Buffered() == 0 {
		return nil
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.srv.opts.WriteTimeout))
	return c.wr.Flush()
}

// subscriberFor returns the connection's subscriber, creating it and its
// delivery goroutine on first use.
func (c *client) subscriberFor(ctx context.Context) *subscriber {
	if c.sub != nil {
		return c.sub
	}
	s := &subscriber{queue: make(chan []byte, c.srv.opts.SubscriberBuffer)}
	s.onSlow = func() {
		c.srv.stats.slowSubscriber.Add(1)
		c.srv.log.Warn("disconnecting slow subscriber", "client_id", c.id, "queue", cap(s.queue))
		c.close()
	}
	s.proto.Store(int32(c.wr.Protocol()))
	c.sub = s
	c.delivery.Go(func() { c.deliver(ctx, s) })
	return s
}

// deliver drains the subscriber queue into the connection, batching what
// is already queued into one flush.
func (c *client) deliver(ctx context.Context, s *subscriber) {
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-s.queue:
			c.wmu.Lock()
			c.wr.Raw(msg)
		drain:
			for c.wr.Buffered() < maxReplyBuffer {
				select {
				case more := <-s.queue:
					c.wr.Raw(more)
				default:
					break drain
				}
			}
			err := c.flush()
			c.wmu.Unlock()
			if err != nil {
				c.close()
				return
			}
		}
	}
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
	c.mu.Lock()
	c.user = user
	c.mu.Unlock()
}

// countingConn counts bytes for INFO stats.
type countingConn struct {
	net.Conn
	stats *serverStats
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.stats.netIn.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.stats.netOut.Add(int64(n))
	return n, err
}

// constantTimeEqual compares secrets without leaking their length or the
// position of the first difference.
func constantTimeEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
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
	name, libName, libVer, user, cmd, seen, proto := c.name, c.libName, c.libVer, c.user, c.lastCmd, c.lastSeen, c.proto
	c.mu.Unlock()
	flags := "N"
	if c.nChannels.Load()+c.nPatterns.Load() > 0 {
		flags = "P"
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
	b.WriteString(" multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r")
	b.WriteString(" cmd=" + cmd + " user=" + user + " redir=-1 resp=" + itoa(proto))
	b.WriteString(" lib-name=" + libName + " lib-ver=" + libVer)
	return b.String()
}
