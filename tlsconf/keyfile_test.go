package tlsconf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// Encrypted keys load with their password, as Redis (OpenSSL) loads them:
// PKCS#8 and legacy PEM, for tls-key-file and tls-client-key-file; a
// missing or wrong password is refused naming the directive.
func TestEncryptedKeys(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	leaf := ca.Issue(t, "server", tlstest.IssueOptions{})
	f := tlstest.Write(t, dir, "server", ca, leaf)
	for _, tc := range []struct {
		name string
		key  []byte
	}{
		{"pkcs8", leaf.EncryptPKCS8(t, "s3cret")},
		{"legacy", leaf.EncryptLegacy(t, "s3cret")},
	} {
		keyFile := filepath.Join(dir, tc.name+".key")
		if err := os.WriteFile(keyFile, tc.key, 0o600); err != nil {
			t.Fatal(err)
		}
		server := Options{CertFile: f.Cert, KeyFile: keyFile, CACertFile: f.CA}
		client := Options{CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA, ClientCertFile: f.Cert, ClientKeyFile: keyFile}
		for _, c := range []struct {
			what  string
			o     Options
			pass  func(*Options, string)
			label string
		}{
			{"server", server, func(o *Options, p string) { o.KeyFilePass = p }, "tls-key-file-pass"},
			{"client", client, func(o *Options, p string) { o.ClientKeyFilePass = p }, "tls-client-key-file-pass"},
		} {
			for _, p := range []struct{ pass, want string }{
				{"", "encrypted"},
				{"wrong", "cannot decrypt"},
				{"s3cret", ""},
			} {
				o := c.o
				c.pass(&o, p.pass)
				cfg, err := New(o, nil)
				switch {
				case p.want == "" && err != nil:
					t.Errorf("%s %s key: %v", tc.name, c.what, err)
				case p.want == "" && c.what == "client":
					cc, err := cfg.ClientConfig()
					if err != nil {
						t.Fatalf("%s client config: %v", tc.name, err)
					}
					if cert, err := cc.GetClientCertificate(nil); err != nil || cert == nil || cert.PrivateKey == nil {
						t.Errorf("%s client certificate: %v", tc.name, err)
					}
				case p.want != "" && (err == nil || !strings.Contains(err.Error(), p.want) || !strings.Contains(err.Error(), c.label)):
					t.Errorf("%s %s key, password %q: err = %v, want %q naming %s", tc.name, c.what, p.pass, err, p.want, c.label)
				}
			}
		}
	}
	// An unencrypted key ignores a password, as OpenSSL does.
	if _, err := New(Options{CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA, KeyFilePass: "unused"}, nil); err != nil {
		t.Errorf("plain key with a password: %v", err)
	}
}

// Keys encrypted by openssl itself (what operators have) load too.
func TestEncryptedKeysFromOpenSSL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs openssl")
	}
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl")
	}
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, dir, "server", ca, ca.Issue(t, "server", tlstest.IssueOptions{}))
	for name, args := range map[string][]string{
		"pkcs8-aes256": {"pkcs8", "-topk8", "-v2", "aes-256-cbc"},
		"pkcs8-scrypt": {"pkcs8", "-topk8", "-scrypt"},
		"legacy-aes":   {"ec", "-aes128"},
	} {
		out := filepath.Join(dir, name+".key")
		cmd := exec.CommandContext(t.Context(), bin, append(args, "-in", f.Key, "-out", out, "-passout", "pass:s3cret")...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", name, err, msg)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("ENCRYPTED")) {
			t.Fatalf("openssl %s did not encrypt:\n%s", name, data)
		}
		if _, err := New(Options{CertFile: f.Cert, KeyFile: out, KeyFilePass: "s3cret", CACertFile: f.CA}, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// DecryptKeyPEM never panics and never returns an error without naming
// the directive.
func FuzzDecryptKeyPEM(f *testing.F) {
	ca := tlstest.NewCA(f, "ca")
	leaf := ca.Issue(f, "server", tlstest.IssueOptions{})
	f.Add(leaf.KeyPEM, "")
	f.Add(leaf.EncryptPKCS8(f, "pw"), "pw")
	f.Add(leaf.EncryptPKCS8(f, "pw"), "other")
	f.Add(leaf.EncryptLegacy(f, "pw"), "pw")
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"), "pw")
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"), "pw")
	f.Fuzz(func(t *testing.T, data []byte, pass string) {
		_, err := DecryptKeyPEM(data, pass, "tls-key-file-pass")
		if err != nil && !strings.Contains(err.Error(), "tls-key-file-pass") {
			t.Fatalf("error without the directive: %v", err)
		}
	})
}
