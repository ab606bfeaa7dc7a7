package pubsub

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/tlsconf"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// syncBuffer is a log sink tests read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type tlsFixture struct {
	ts     *testServer
	addr   string
	ca     *tlstest.CA
	files  tlstest.Files
	client tlstest.Leaf
	logs   *syncBuffer
}

func startTLSServer(t *testing.T, auth string) *tlsFixture {
	t.Helper()
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "test ca")
	files := tlstest.Write(t, dir, "server", ca, ca.Issue(t, "sentinel", tlstest.IssueOptions{}))
	cfg, err := tlsconf.New(tlsconf.Options{CertFile: files.Cert, KeyFile: files.Key, CACertFile: files.CA, AuthClients: auth}, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ts := startServer(t, func(o *Options) {
		o.Addrs = nil
		o.TLSAddrs = []string{"127.0.0.1:0"}
		o.TLSConfig = cfg.ServerConfig()
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	return &tlsFixture{ts: ts, addr: ts.addr, ca: ca, files: files, client: ca.Issue(t, "client", tlstest.IssueOptions{Client: true}), logs: logs}
}

func (f *tlsFixture) dial(t *testing.T, leaf *tlstest.Leaf) (*tls.Conn, error) {
	roots := x509.NewCertPool()
	roots.AddCert(f.ca.Cert)
	cfg := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	if leaf != nil {
		cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", f.addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, nil
}

func ping(c *tls.Conn) (string, error) {
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	return string(buf[:n]), err
}

// TestTLS_ClientPort: the sentinel port over TLS answers a client with a
// certificate from the CA and refuses, with a log line naming the client
// and the reason, one without a certificate, with an expired one and with
// one from another CA (tls-auth-clients yes).
func TestTLS_ClientPort(t *testing.T) {
	f := startTLSServer(t, "yes")
	c, err := f.dial(t, &f.client)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ping(c); err != nil || got != "+PONG\r\n" {
		t.Fatalf("PING = %q, %v", got, err)
	}
	expired := f.ca.Issue(t, "old", tlstest.IssueOptions{Client: true, Expired: true})
	stranger := tlstest.NewCA(t, "other").Issue(t, "x", tlstest.IssueOptions{Client: true})
	for name, leaf := range map[string]*tlstest.Leaf{"no certificate": nil, "expired": &expired, "other CA": &stranger} {
		c, err := f.dial(t, leaf)
		if err == nil {
			if got, err := ping(c); err == nil {
				t.Errorf("%s: served: %q", name, got)
			}
		}
	}
	eventually(t, "three refused handshakes logged", func() bool {
		return strings.Count(f.logs.String(), "TLS handshake refused") == 3
	})
	if !strings.Contains(f.logs.String(), "client_addr=127.0.0.1:") {
		t.Errorf("log lacks the client address:\n%s", f.logs.String())
	}
}

func TestTLS_AuthClientsNo(t *testing.T) {
	f := startTLSServer(t, "no")
	c, err := f.dial(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ping(c); err != nil || got != "+PONG\r\n" {
		t.Fatalf("PING = %q, %v", got, err)
	}
}

// TestTLS_RedisCLI: redis-cli --tls talks to our TLS port.
func TestTLS_RedisCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes are skipped with -short")
	}
	cli := requireBinary(t, "redis-cli")
	if out, _ := exec.Command(cli, "--help").CombinedOutput(); !bytes.Contains(out, []byte("--tls")) {
		t.Skip("redis-cli built without TLS")
	}
	f := startTLSServer(t, "yes")
	dir := t.TempDir()
	client := tlstest.Write(t, dir, "client", f.ca, f.client)
	port := f.ts.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "--tls",
		"--cacert", client.CA, "--cert", client.Cert, "--key", client.Key,
		"sentinel", "get-master-addr-by-name", "mymaster").CombinedOutput()
	if err != nil || string(out) != "127.0.0.1\n16380\n" {
		t.Fatalf("redis-cli --tls: %q, %v", out, err)
	}
}
