package supervisor

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// scrapeHash is bcrypt("scrape-secret"), as htpasswd -B makes it.
const scrapeHash = "$2a$10$Y/UlAVfWlTpSbv4KPTP2zutBk9wtJ1fAR6bEXv9uQStiv0CATd6ry"

// TestE2E_MetricsWebConfig: with sentinel.web_config_file (exporter-toolkit's
// format) the metrics listener speaks TLS and asks for basic auth; pprof
// is off unless sentinel.pprof is set.
func TestE2E_MetricsWebConfig(t *testing.T) {
	requireRedis(t)
	master := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "web ca")
	f := tlstest.Write(t, dir, "web", ca, ca.Issue(t, "web", tlstest.IssueOptions{}))
	webConfig := filepath.Join(dir, "web.yml")
	text := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", f.Cert, f.Key, scrapeHash)
	if err := os.WriteFile(webConfig, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startOurs(t, addrOf(master), 1, time.Second, "", func(c *configs.Config) { c.Sentinel.WebConfigFile = webConfig })
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	get := func(scheme, path, user, pass string) (int, error) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, scheme+"://"+s.metrics+path, nil)
		if err != nil {
			return 0, err
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		code, err := get("https", "/metrics", "prometheus", "scrape-secret")
		return err == nil && code == http.StatusOK
	}, "an authenticated HTTPS scrape should succeed")
	if code, err := get("https", "/metrics", "", ""); err != nil || code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, %v", code, err)
	}
	if code, err := get("https", "/metrics", "prometheus", "wrong"); err != nil || code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, %v", code, err)
	}
	if code, err := get("http", "/metrics", "prometheus", "scrape-secret"); err == nil && code == http.StatusOK {
		t.Errorf("plain HTTP was served")
	}
	if code, err := get("https", "/debug/pprof/", "prometheus", "scrape-secret"); err != nil || code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without sentinel.pprof: %d, %v", code, err)
	}
}
