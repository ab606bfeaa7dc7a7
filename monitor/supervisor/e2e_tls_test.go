package supervisor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// redisCLITLS runs redis-cli --tls against port with the client files.
func redisCLITLS(t *testing.T, port int, f tlstest.Files, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "--tls", "--cacert", f.CA, "--cert", f.Cert, "--key", f.Key}, args...)
	out, err := exec.CommandContext(ctx, "redis-cli", all...).CombinedOutput()
	return string(out), err
}

// TestE2E_TLSPort: our binary started from a sentinel.conf with tls-port
// serves redis-cli --tls (client certificate required), keeps its plain
// port, refuses a client certificate from another CA with a log line, and
// picks up new certificate files on SIGHUP without dropping an open TLS
// connection.
func TestE2E_TLSPort(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-cli")
	bin := buildBinary(t)
	data := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	certDir := t.TempDir()
	ca := tlstest.NewCA(t, "ca1")
	server := tlstest.Write(t, certDir, "server", ca, ca.Issue(t, "sentinel", tlstest.IssueOptions{}))
	client := tlstest.Write(t, t.TempDir(), "client", ca, ca.Issue(t, "cli", tlstest.IssueOptions{Client: true}))
	tlsPort := datanodetest.FreePort(t)
	conf := fmt.Sprintf("tls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-auth-clients yes\n",
		tlsPort, server.Cert, server.Key, server.CA)
	p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{Binary: bin, MasterName: "mymaster", MasterAddr: data.Addr(), Quorum: 1, ConfText: conf})

	if out, err := redisCLITLS(t, tlsPort, client, "sentinel", "get-master-addr-by-name", "mymaster"); err != nil || out != fmt.Sprintf("127.0.0.1\n%d\n", data.Port()) {
		t.Fatalf("redis-cli --tls: %q, %v", out, err)
	}
	if got := dialRESP(t, p.Addr(), "").do("PING"); got != "+PONG" {
		t.Fatalf("plain port PING = %s", got)
	}
	other := tlstest.NewCA(t, "other")
	stranger := tlstest.Write(t, t.TempDir(), "stranger", ca, other.Issue(t, "x", tlstest.IssueOptions{Client: true}))
	if out, err := redisCLITLS(t, tlsPort, stranger, "ping"); err == nil && strings.Contains(out, "PONG") {
		t.Fatalf("a certificate from another CA was served: %q", out)
	}
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		b, _ := os.ReadFile(p.LogPath())
		return strings.Contains(string(b), "TLS handshake refused")
	}, "the refused handshake should be logged")

	// New CA and certificates on disk, then SIGHUP.
	ca2 := tlstest.NewCA(t, "ca2")
	tlstest.Write(t, certDir, "server", ca2, ca2.Issue(t, "sentinel", tlstest.IssueOptions{}))
	client2 := tlstest.Write(t, t.TempDir(), "client", ca2, ca2.Issue(t, "cli", tlstest.IssueOptions{Client: true}))
	if err := syscall.Kill(p.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		out, err := redisCLITLS(t, tlsPort, client2, "ping")
		return err == nil && out == "PONG\n"
	}, "the new certificates should be served after SIGHUP")
	if out, err := redisCLITLS(t, tlsPort, client, "ping"); err == nil && strings.Contains(out, "PONG") {
		t.Fatalf("the old CA is still trusted: %q", out)
	}
	if !p.Running() {
		t.Fatal("SIGHUP ended the process")
	}
	b, _ := os.ReadFile(filepath.Clean(p.LogPath()))
	if !strings.Contains(string(b), "TLS certificates reloaded") {
		t.Errorf("no reload line in the log")
	}
	if strings.Contains(string(b), "needs a restart") {
		t.Errorf("SIGHUP with an unchanged file asked for a restart:\n%s", p.LogTail(20))
	}
}
