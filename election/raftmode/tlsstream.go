package raftmode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// TLS makes the raft transport use TLS (Options.TLS): Server for the
// listener (it should require and verify client certificates: only
// peers of the group may speak raft), Client for the connections this
// node dials (presenting its certificate, checking the peer's).
type TLS struct {
	Server, Client *tls.Config
}

// tlsStream is a raft.StreamLayer over TLS: raft's TCP stream layer with
// the TLS handshake on both ends.
type tlsStream struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
}

// Addr is the address peers dial: the advertised one, else the bound one.
func (s *tlsStream) Addr() net.Addr {
	if s.advertise != nil {
		return s.advertise
	}
	return s.Listener.Addr()
}

// Dial connects to a peer and completes the handshake within timeout.
func (s *tlsStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	c, err := tls.DialWithDialer(d, "tcp", string(addr), s.client)
	if err != nil {
		return nil, fmt.Errorf("raftmode: TLS dial %s: %w", addr, err)
	}
	return c, nil
}

// tlsHandshakeTimeout bounds the TLS handshake of an accepted raft
// connection. Dialing is bounded by raft's own dial timeout, which
// tls.DialWithDialer applies to the handshake too.
const tlsHandshakeTimeout = 10 * time.Second

// newTLSTransport is raft.NewTCPTransportWithLogger over TLS, with the
// same checks of the advertised address.
func newTLSTransport(bind string, advertise net.Addr, t *TLS, log hclog.Logger) (*raft.NetworkTransport, error) {
	return newTLSTransportTimeout(bind, advertise, t, log, tlsHandshakeTimeout)
}

func newTLSTransportTimeout(bind string, advertise net.Addr, t *TLS, log hclog.Logger, handshake time.Duration) (*raft.NetworkTransport, error) {
	if t.Server == nil || t.Client == nil {
		return nil, errors.New("raftmode: TLS needs a server and a client configuration")
	}
	l, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	s := &tlsStream{Listener: &handshakeListener{Listener: l, config: t.Server, timeout: handshake}, advertise: advertise, client: t.Client}
	addr, ok := s.Addr().(*net.TCPAddr)
	if !ok || addr.IP == nil || addr.IP.IsUnspecified() {
		_ = l.Close()
		return nil, fmt.Errorf("raftmode: %s is not an address peers can dial (set an advertise address)", s.Addr())
	}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: s, MaxPool: tcpMaxPool, Timeout: tcpTimeout, Logger: log,
	}), nil
}

// handshakeListener is tls.NewListener with a deadline on each accepted
// connection's handshake: raft reads an accepted connection with no
// deadline at all, so without one a peer that connects and never
// completes the handshake would hold a goroutine and a descriptor
// forever. The handshake runs on the connection's first read or write,
// on raft's goroutine for that connection, never in Accept (one slow
// client must not hold up the others).
type handshakeListener struct {
	net.Listener
	config  *tls.Config
	timeout time.Duration
}

func (l *handshakeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &serverConn{Conn: tls.Server(c, l.config), timeout: l.timeout}, nil
}

// serverConn is an accepted TLS connection whose handshake must finish
// within timeout.
type serverConn struct {
	*tls.Conn
	timeout time.Duration
	once    sync.Once
	err     error
}

func (c *serverConn) handshake() error {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		if err := c.Conn.HandshakeContext(ctx); err != nil {
			c.err = fmt.Errorf("raftmode: TLS handshake with %s: %w", c.RemoteAddr(), err)
			_ = c.Conn.Close()
		}
	})
	return c.err
}

func (c *serverConn) Read(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *serverConn) Write(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
