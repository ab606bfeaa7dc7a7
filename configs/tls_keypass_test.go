package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tls-key-file-pass and tls-client-key-file-pass are taken (tlsconf
// decrypts the keys), and YAML reads them from their _file twins too.
func TestTLSKeyFilePass(t *testing.T) {
	cfg, err := ParseConf([]byte("tls-key-file-pass k-pw\ntls-client-key-file-pass c-pw\n"), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	if tl := cfg.Sentinel.TLS; tl.KeyFilePass.Reveal() != "k-pw" || tl.ClientKeyFilePass.Reveal() != "c-pw" {
		t.Fatalf("passwords not read: %q %q", tl.KeyFilePass.Reveal(), tl.ClientKeyFilePass.Reveal())
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kpass"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sentinel.yaml")
	yml := "sentinel:\n  tls:\n    key_file_pass_file: kpass\n    client_key_file_pass_file: kpass\nmasters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 1\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if tl := cfg.Sentinel.TLS; tl.KeyFilePass.Reveal() != "from-file" || tl.ClientKeyFilePass.Reveal() != "from-file" {
		t.Fatalf("_file twins not read: %q %q", tl.KeyFilePass.Reveal(), tl.ClientKeyFilePass.Reveal())
	}
	yml = "sentinel:\n  tls:\n    key_file_pass: x\n    key_file_pass_file: kpass\nmasters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 1\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both a password and its file: err = %v", err)
	}
}
