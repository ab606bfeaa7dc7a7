package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// TestE2E_TLSEncryptedKeys: the same encrypted keys serve redis-server
// (OpenSSL, --tls-key-file-pass) and our binary: a PKCS#8 encrypted
// tls-key-file for its TLS port (redis-cli --tls is served) and a legacy
// PEM encrypted tls-client-key-file for its links to the TLS master
// (reached with its replica).
func TestE2E_TLSEncryptedKeys(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-cli")
	bin := buildBinary(t)
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	leaf := ca.Issue(t, "node", tlstest.IssueOptions{})
	f := tlstest.Write(t, dir, "node", ca, leaf)
	pkcs8Key, legacyKey := filepath.Join(dir, "pkcs8.key"), filepath.Join(dir, "legacy.key")
	for path, data := range map[string][]byte{pkcs8Key: leaf.EncryptPKCS8(t, "pk-pass"), legacyKey: leaf.EncryptLegacy(t, "legacy-pass")} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tlsArgs := func(port int) []string {
		return []string{"--tls-port", strconv.Itoa(port), "--tls-cert-file", f.Cert, "--tls-key-file", pkcs8Key,
			"--tls-key-file-pass", "pk-pass", "--tls-ca-cert-file", f.CA, "--tls-replication", "yes"}
	}
	masterTLS := datanodetest.FreePort(t)
	datanodetest.StartRedis(t, datanodetest.RedisOptions{Args: tlsArgs(masterTLS)})
	datanodetest.StartRedis(t, datanodetest.RedisOptions{Args: tlsArgs(datanodetest.FreePort(t)), ReplicaOf: "127.0.0.1:" + strconv.Itoa(masterTLS)})

	tlsPort := datanodetest.FreePort(t)
	conf := fmt.Sprintf("tls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-key-file-pass pk-pass\ntls-ca-cert-file %s\n"+
		"tls-client-cert-file %s\ntls-client-key-file %s\ntls-client-key-file-pass legacy-pass\ntls-replication yes\n",
		tlsPort, f.Cert, pkcs8Key, f.CA, f.Cert, legacyKey)
	p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{Binary: bin, MasterName: "m", MasterAddr: "127.0.0.1:" + strconv.Itoa(masterTLS),
		Quorum: 1, ConfText: conf})
	if out, err := redisCLITLS(t, tlsPort, f, "ping"); err != nil || out != "PONG\n" {
		t.Fatalf("redis-cli --tls against the encrypted key: %q, %v", out, err)
	}
	datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
		reply := dialRESP(t, p.Addr(), "").do("SENTINEL", "MASTER", "m")
		return strings.Contains(reply, "flags | master |") && strings.Contains(reply, "num-slaves | 1 |")
	}, "the TLS master should be reached with the encrypted client key")
	if b, _ := os.ReadFile(p.LogPath()); strings.Contains(string(b), "pk-pass") || strings.Contains(string(b), "legacy-pass") {
		t.Error("a key password appears in the log")
	}
}
