package supervisor

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/tlsconf"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// With tls-replication the raft transport takes the links' certificates,
// and its listener requires a peer certificate even with
// tls-auth-clients no; without tls-replication raft stays plain.
func TestRaftTLSFromReplication(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, t.TempDir(), "node", ca, ca.Issue(t, "node", tlstest.IssueOptions{}))
	c, err := tlsconf.New(tlsconf.Options{CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA, AuthClients: "no"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if (&tlsSetup{config: c, client: client}).raftTLS() != nil {
		t.Fatal("raft over TLS without tls-replication")
	}
	rt := (&tlsSetup{config: c, client: client, replication: true}).raftTLS()
	if rt == nil {
		t.Fatal("no raft TLS with tls-replication")
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", rt.Server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2 {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if err := conn.(*tls.Conn).Handshake(); err == nil {
				_, _ = conn.Write([]byte("+"))
			}
			_ = conn.Close()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); <-done })
	try := func(cfg *tls.Config) error {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", l.Addr().String(), cfg)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		return err
	}
	if err := try(rt.Client); err != nil {
		t.Fatalf("a peer with the group's certificate: %v", err)
	}
	noCert := rt.Client.Clone()
	noCert.GetClientCertificate = nil
	if err := try(noCert); err == nil {
		t.Fatal("a peer without a certificate was accepted by the raft listener")
	}
}
