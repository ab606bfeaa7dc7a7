package pubsub

import (
	"context"
	"time"
)

// Parking idle connections. A goroutine blocked in Read costs its stack
// (2 KB at least, more once a command grew it) and its g (~450 bytes) for
// as long as the client stays connected and silent, which is most of what
// an idle client costs; Redis's event loop costs nothing per idle client
// but its buffers. So a connection that has waited idlePark for its next
// command is parked: its socket joins an epoll set of the server's
// (parker, Linux only) and its goroutine ends. When the client sends,
// closes or resets, the parker resumes it on a fresh goroutine, which
// reads what came. Where the parker cannot run (not Linux, or a
// connection without a file descriptor) the goroutine moves to a fresh
// one instead (handOff), which at least sheds a grown stack.

// idlePark is how long a connection waits for its next command on its
// goroutine before it is parked. Short, so that a burst of clients that
// connect, ask once and stay does not hold a goroutine each for long (the
// runtime keeps every g it ever made); long enough that a client sending
// requests back to back keeps its goroutine and pays no epoll round trip.
const idlePark = 50 * time.Millisecond

// startParker starts the server's parker, owned by conns like every
// connection goroutine; without one, idle connections keep goroutines.
func (s *Server) startParker(ctx context.Context) {
	p, err := newParker(func(c *client) {
		c.handOffs.Add(1)
		s.conns.Go(func() { c.serve(ctx) })
	}, s.log)
	if err != nil {
		s.log.Debug("idle connections are not parked", "err", err)
		return
	}
	s.mu.Lock() // register reads it under mu; goroutines started later see it anyway
	s.parker = p
	s.mu.Unlock()
	s.conns.Go(p.run)
}

// park parks the connection; false when it cannot be, and the caller
// keeps serving it. Once it returns true another goroutine may already
// serve the connection: the caller must not touch it again.
func (c *client) park() bool {
	p := c.srv.parker
	if p == nil || !c.parkable {
		return false
	}
	c.idleDeadline = time.Time{}
	_ = c.conn.SetReadDeadline(time.Time{})
	// Nothing is buffered (the wait was for a new command): the reader
	// goes too, and serve makes a new one.
	c.rd.Release()
	c.rd = nil
	return p.park(c)
}
