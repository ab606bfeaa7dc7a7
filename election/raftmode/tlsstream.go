package raftmode

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
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

// newTLSTransport is raft.NewTCPTransportWithLogger over TLS, with the
// same checks of the advertised address.
func newTLSTransport(bind string, advertise net.Addr, t *TLS, log hclog.Logger) (*raft.NetworkTransport, error) {
	if t.Server == nil || t.Client == nil {
		return nil, errors.New("raftmode: TLS needs a server and a client configuration")
	}
	l, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	s := &tlsStream{Listener: tls.NewListener(l, t.Server), advertise: advertise, client: t.Client}
	addr, ok := s.Addr().(*net.TCPAddr)
	if !ok || addr.IP == nil || addr.IP.IsUnspecified() {
		_ = l.Close()
		return nil, fmt.Errorf("raftmode: %s is not an address peers can dial (set an advertise address)", s.Addr())
	}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: s, MaxPool: tcpMaxPool, Timeout: tcpTimeout, Logger: log,
	}), nil
}
