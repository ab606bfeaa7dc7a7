package pubsub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// tlsListener serves TLS on a listener. The handshake runs on the
// connection's own goroutine, at its first read, so a slow or hostile
// client never holds up the accept loop; a refused handshake (unknown CA,
// expired certificate, no client certificate when one is required) is
// logged with the client's address and the reason.
type tlsListener struct {
	net.Listener
	log *slog.Logger
}

func newTLSListener(ln net.Listener, cfg *tls.Config, log *slog.Logger) net.Listener {
	return &tlsListener{Listener: tls.NewListener(ln, cfg), log: log}
}

func (l *tlsListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := nc.(*tls.Conn)
	if !ok {
		return nc, nil
	}
	return &tlsConn{Conn: tc, log: l.log}, nil
}

// handshakeTimeout bounds a TLS handshake.
const handshakeTimeout = 10 * time.Second

// tlsConn is a server-side TLS connection that logs a failed handshake.
type tlsConn struct {
	*tls.Conn
	log  *slog.Logger
	done bool // only the connection's goroutine reads
}

func (c *tlsConn) Read(p []byte) (int, error) {
	if !c.done {
		c.done = true
		ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
		err := c.HandshakeContext(ctx)
		cancel()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.log.Warn("TLS handshake refused", "client_addr", c.RemoteAddr().String(), "err", err)
			}
			return 0, err
		}
	}
	return c.Conn.Read(p)
}

// listenTLS binds the TLS addresses after the plain ones.
func (s *Server) listenTLS(lc *net.ListenConfig) error {
	for _, addr := range s.opts.TLSAddrs {
		ln, err := lc.Listen(context.Background(), ListenNetwork(addr), addr)
		if err != nil {
			for _, l := range s.listeners {
				_ = l.Close()
			}
			return fmt.Errorf("%w: listen %s: %w", ErrServer, addr, err)
		}
		s.listeners = append(s.listeners, newTLSListener(ln, s.opts.TLSConfig, s.log))
	}
	return nil
}
