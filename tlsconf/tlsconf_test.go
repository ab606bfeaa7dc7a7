package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

func TestOptionsRefused(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, dir, "server", ca, ca.Issue(t, "server", tlstest.IssueOptions{}))
	ok := Options{CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA}
	for _, tc := range []struct {
		name string
		mut  func(*Options)
		want string
	}{
		{"no cert", func(o *Options) { o.CertFile = "" }, "tls-cert-file and tls-key-file are required"},
		{"auth without CA", func(o *Options) { o.CACertFile = "" }, "needs tls-ca-cert-file"},
		{"bad auth", func(o *Options) { o.AuthClients = "maybe" }, "yes, no or optional"},
		{"old protocol", func(o *Options) { o.Protocols = "TLSv1.1 TLSv1.2" }, `"TLSv1.1" is not supported`},
		{"cipher expression", func(o *Options) { o.Ciphers = "HIGH:!aNULL" }, "OpenSSL expressions"},
		{"partial 1.3 suites", func(o *Options) { o.CipherSuites = "TLS_AES_256_GCM_SHA384" }, "cannot restrict"},
		{"missing file", func(o *Options) { o.KeyFile = dir + "/nosuch" }, "tls-cert-file/tls-key-file"},
	} {
		o := ok
		tc.mut(&o)
		_, err := New(o, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	o := ok
	o.Protocols, o.Ciphers = "TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
	o.CipherSuites = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"
	c, err := New(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	cur := c.Current()
	if cur.MinVersion != tls.VersionTLS12 || cur.MaxVersion != tls.VersionTLS12 || len(cur.CipherSuites) != 2 || cur.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("config = %+v", cur)
	}
}

// serve accepts TLS connections on loopback with cfg and answers "ok" to
// each after the handshake.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if err := c.(*tls.Conn).Handshake(); err == nil {
					_, _ = c.Write([]byte("ok"))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func dial(addr string, roots *x509.CertPool, leaf *tlstest.Leaf) error {
	cfg := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	if leaf != nil {
		cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2)
	_, err = c.Read(buf)
	return err
}

func TestClientAuthAndReload(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, dir, "server", ca, ca.Issue(t, "server", tlstest.IssueOptions{}))
	c, err := New(Options{CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, c.ServerConfig())
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	good := ca.Issue(t, "client", tlstest.IssueOptions{Client: true})
	if err := dial(addr, roots, &good); err != nil {
		t.Fatalf("client with a good certificate: %v", err)
	}
	if err := dial(addr, roots, nil); err == nil {
		t.Fatal("a client without a certificate was served (tls-auth-clients yes)")
	}
	expired := ca.Issue(t, "client", tlstest.IssueOptions{Client: true, Expired: true})
	if err := dial(addr, roots, &expired); err == nil {
		t.Fatal("an expired client certificate was accepted")
	}
	other := tlstest.NewCA(t, "other")
	stranger := other.Issue(t, "client", tlstest.IssueOptions{Client: true})
	if err := dial(addr, roots, &stranger); err == nil {
		t.Fatal("a certificate from another CA was accepted")
	}

	// A new CA and certificate on disk are picked up without a restart.
	ca2 := tlstest.NewCA(t, "ca2")
	now := time.Now()
	c.mu.Lock()
	c.clock = func() time.Time { return now.Add(time.Hour) }
	c.mu.Unlock()
	f2 := tlstest.Write(t, dir, "server", ca2, ca2.Issue(t, "server", tlstest.IssueOptions{}))
	later := time.Now().Add(2 * time.Second)
	for _, p := range []string{f2.CA, f2.Cert, f2.Key} {
		if err := os.Chtimes(p, later, later); err != nil {
			t.Fatal(err)
		}
	}
	roots2 := x509.NewCertPool()
	roots2.AddCert(ca2.Cert)
	good2 := ca2.Issue(t, "client", tlstest.IssueOptions{Client: true})
	if err := dial(addr, roots2, &good2); err != nil {
		t.Fatalf("after the files changed: %v", err)
	}
	if err := dial(addr, roots, &good); err == nil {
		t.Fatal("the old CA is still trusted after the reload")
	}
}

// TestClientConfig: outgoing links present the client certificate and
// verify the server's chain, not its host name (a certificate for another
// name is accepted, one from another CA is not).
func TestClientConfig(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, dir, "server", ca, ca.Issue(t, "server", tlstest.IssueOptions{}))
	srv, err := New(Options{CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv.ServerConfig())
	cli, err := srv.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cli.Clone()
	cfg.ServerName = "not-the-certificate-name"
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	buf := make([]byte, 2)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(buf); err != nil || string(buf) != "ok" {
		t.Fatalf("read %q, %v", buf, err)
	}
	c.Close()

	// A server whose certificate comes from another CA is refused.
	other := tlstest.NewCA(t, "other")
	of := tlstest.Write(t, t.TempDir(), "o", other, other.Issue(t, "server", tlstest.IssueOptions{}))
	osrv, err := New(Options{CertFile: of.Cert, KeyFile: of.Key, AuthClients: "no"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	oaddr := serve(t, osrv.ServerConfig())
	if c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", oaddr, cli.Clone()); err == nil {
		c.Close()
		t.Fatal("a server certificate from another CA was accepted")
	}
	if _, err := osrv.ClientConfig(); err == nil {
		t.Fatal("ClientConfig without CAs")
	}
}

// FuzzOptions: the protocol, cipher and auth-clients texts are accepted
// or refused with an error, never a panic, and an accepted protocol set is
// a valid range.
func FuzzOptions(f *testing.F) {
	for _, s := range []string{"TLSv1.2 TLSv1.3", "TLSv1.3", "tlsv1.2", "TLSv1.1", "", "  "} {
		f.Add(s, "ECDHE-RSA-AES128-GCM-SHA256", "yes")
	}
	f.Add("TLSv1.2", "HIGH:!aNULL", "optional")
	f.Add("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256::", "no")
	f.Fuzz(func(t *testing.T, protocols, ciphers, auth string) {
		cfg, err := baseConfig(Options{CertFile: "c", KeyFile: "k", CACertFile: "ca", Protocols: protocols, Ciphers: ciphers, AuthClients: auth})
		if err != nil {
			if !errors.Is(err, ErrTLS) {
				t.Fatalf("error not wrapping ErrTLS: %v", err)
			}
			return
		}
		if cfg.MinVersion < tls.VersionTLS12 || cfg.MinVersion > cfg.MaxVersion {
			t.Fatalf("versions %x..%x from %q", cfg.MinVersion, cfg.MaxVersion, protocols)
		}
	})
}
