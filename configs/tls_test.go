package configs

import (
	"strings"
	"testing"
)

func TestConfTLS(t *testing.T) {
	cfg, err := ParseConf([]byte("port 0\ntls-port 26380\ntls-cert-file s.crt\ntls-key-file s.key\ntls-ca-cert-file ca.crt\n"+
		"tls-auth-clients optional\ntls-protocols \"TLSv1.2 TLSv1.3\"\ntls-session-caching no\ntls-cluster no\n"), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	tl := cfg.Sentinel.TLS
	if tl.Port != 26380 || tl.CertFile != "s.crt" || tl.AuthClients != "optional" || tl.Protocols != "TLSv1.2 TLSv1.3" || tl.SessionCaching == nil || *tl.SessionCaching || cfg.Sentinel.Port != 0 {
		t.Fatalf("TLS = %+v", tl)
	}
	if len(cfg.Unsupported) != 1 || cfg.Unsupported[0].Name != "tls-cluster" {
		t.Fatalf("Unsupported = %+v", cfg.Unsupported)
	}
}

func TestConfTLSRefused(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"tls-replication yes\n", "s.conf: sentinel.tls.replication: tls-replication needs tls-ca-cert-file"},
		{"tls-replication yes\ntls-ca-cert-file ca\n", "tls-replication needs tls-cert-file and tls-key-file"},
		{"tls-client-cert-file a\n", "go together"},
		{"tls-port 26380\n", "a TLS port needs tls-cert-file and tls-key-file"},
		{"port 0\n", "sentinel.port: must be in 1..65535"},
		{"tls-port 26379\ntls-cert-file a\ntls-key-file b\n", "must differ from port 26379"},
		{"tls-auth-clients maybe\n", "must be yes, no or optional"},
		{"tls-session-caching perhaps\n", "argument must be 'yes' or 'no'"},
	} {
		_, err := ParseConf([]byte(tc.conf), "s.conf")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.conf, err, tc.want)
		}
	}
}

func TestYAMLTLS(t *testing.T) {
	cfg, err := Load([]byte("sentinel:\n  tls:\n    port: 26380\n    cert_file: s.crt\n    key_file: s.key\n    auth_clients: \"no\"\nmasters: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sentinel.TLS.Port != 26380 || cfg.Sentinel.TLS.AuthClients != "no" {
		t.Fatalf("TLS = %+v", cfg.Sentinel.TLS)
	}
}

func TestConfTLSReplication(t *testing.T) {
	cfg, err := ParseConf([]byte("tls-replication yes\ntls-ca-cert-file ca.crt\ntls-client-cert-file c.crt\ntls-client-key-file c.key\n"), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	if tl := cfg.Sentinel.TLS; !tl.Replication || tl.ClientCertFile != "c.crt" || !tl.Used() || tl.Enabled() {
		t.Fatalf("TLS = %+v", tl)
	}
}

func TestConfMasterTLS(t *testing.T) {
	text := "tls-cert-file s.crt\ntls-key-file s.key\ntls-ca-cert-file ca.crt\nsentinel monitor a 127.0.0.1 6380 1\nsentinel tls a yes\nsentinel monitor b 127.0.0.1 6379 1\n"
	cfg, err := ParseConf([]byte(text), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Masters[0].TLS != "yes" || cfg.Masters[1].TLS != "" || !cfg.AnyMasterTLS() {
		t.Fatalf("masters = %+v", cfg.Masters)
	}
	out := string(RewriteConf([]byte(text), StateOf(cfg)))
	if !strings.Contains(out, "sentinel tls a yes\n") || strings.Contains(out, "sentinel tls b") {
		t.Fatalf("rewrite:\n%s", out)
	}
	for _, tc := range []struct{ conf, want string }{
		{"sentinel monitor a 127.0.0.1 6380 1\nsentinel tls a yes\n", "needs tls-ca-cert-file"},
		{"sentinel monitor a 127.0.0.1 6380 1\nsentinel tls a maybe\n", "sentinel tls"},
	} {
		if _, err := ParseConf([]byte(tc.conf), "s.conf"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.conf, err, tc.want)
		}
	}
}
