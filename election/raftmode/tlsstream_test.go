package raftmode

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// mutualTLS is the raft TLS of one node: its certificate from ca, peers
// verified against ca both ways.
func mutualTLS(t *testing.T, ca *tlstest.CA) *TLS {
	t.Helper()
	leaf := ca.Issue(t, "raft", tlstest.IssueOptions{})
	cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &TLS{
		Server: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert},
		Client: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, RootCAs: pool},
	}
}

// freeAddrs returns n distinct loopback addresses with ports free a moment
// ago. Every listener stays open until all are picked: a port closed at
// once could be handed out again by the next pick (a duplicate address in
// the raft configuration, seen once in CI).
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// Three nodes whose raft transport runs over mutual TLS elect a leader and
// replicate a command; a client with a certificate from another CA is
// refused by the listener.
func TestRaftClusterOverTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "raft ca")
	var peers []Peer
	for i, addr := range freeAddrs(t, 3) {
		peers = append(peers, Peer{ID: fmt.Sprintf("t%d", i), Addr: addr})
	}
	var nodes []*Node
	for i := range peers {
		n, err := NewNode(t.Context(), Options{
			ID: peers[i].ID, BindAddr: peers[i].Addr, Peers: peers, Dir: t.TempDir(),
			Logger: testLogger(t).With("node", peers[i].ID), Bootstrap: true, Timing: fastTiming,
			TLS: mutualTLS(t, ca), inmemStores: true,
		})
		if err != nil {
			t.Fatalf("NewNode %d: %v", i, err)
		}
		t.Cleanup(func() { _ = n.Close() })
		nodes = append(nodes, n)
	}
	ctx := ctxWithTimeout(t, 10*time.Second)
	// With 50 ms timeouts leadership may move on a loaded machine: add
	// the master on whichever node leads, again if it was deposed.
	var err error
	eventually(t, 10*time.Second, "a leader over TLS commits", func() bool {
		for _, n := range nodes {
			if n.IsLeader() {
				err = n.AddMaster(ctx, "mymaster", "127.0.0.1:6379", 1)
				return err == nil || errors.Is(err, ErrRejected) || !isLeadershipChurn(err)
			}
		}
		return false
	})
	if err != nil && !errors.Is(err, ErrRejected) {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "every node applies the command", func() bool {
		for _, n := range nodes {
			if _, ok := n.State().Masters["mymaster"]; !ok {
				return false
			}
		}
		return true
	})

	// A stranger: its certificate comes from another CA.
	stranger := mutualTLS(t, tlstest.NewCA(t, "other ca")).Client.Clone()
	stranger.RootCAs = mutualTLS(t, ca).Client.RootCAs
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", peers[0].Addr, stranger)
	if err == nil {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		// TLS 1.3: the server's verdict on our certificate arrives with
		// the first read.
		_, err = c.Read(make([]byte, 1))
	}
	if err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
	t.Logf("stranger refused: %v", err)
}

func TestRaftTLSTransportRefusesWildcardWithoutAdvertise(t *testing.T) {
	ca := tlstest.NewCA(t, "raft ca")
	_, err := newTLSTransport("0.0.0.0:0", nil, mutualTLS(t, ca), newHCLogger(testLogger(t), "raft"))
	if err == nil {
		t.Fatal("a wildcard bind without an advertise address was accepted")
	}
	if _, err := newTLSTransport("127.0.0.1:0", nil, &TLS{}, newHCLogger(testLogger(t), "raft")); err == nil {
		t.Fatal("TLS without configurations was accepted")
	}
}

// TestRaftTLSHandshakeDeadline: a client that connects to the raft TLS
// listener and never sends a ClientHello is cut off once the handshake
// deadline passes, and a proper peer still gets through meanwhile.
func TestRaftTLSHandshakeDeadline(t *testing.T) {
	ca := tlstest.NewCA(t, "raft ca")
	cfg := mutualTLS(t, ca)
	// raft's connection goroutines outlive Close: they must never log into t.
	trans, err := newTLSTransportTimeout("127.0.0.1:0", nil, cfg, newHCLogger(slog.New(slog.DiscardHandler), "raft"), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = trans.Close() })
	addr := string(trans.LocalAddr())

	silent, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// A proper client meanwhile completes its handshake: the silent one
	// does not hold up the listener.
	good, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg.Client)
	if err != nil {
		t.Fatalf("a peer's handshake while another client is silent: %v", err)
	}
	_ = good.Close()

	start := time.Now()
	_ = silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = silent.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("the silent client was not cut off by the server: %v after %v", err, time.Since(start))
	}
	t.Logf("silent client cut off after %v: %v", time.Since(start).Round(time.Millisecond), err)
}
