package configs

import (
	"strconv"
	"strings"
)

// TLS are the tls-* settings of the sentinel port (Redis's names; YAML
// sentinel.tls). tlsconf turns them into a crypto/tls configuration.
type TLS struct {
	// Port is tls-port: the TLS listener's port on the bind addresses;
	// 0 means no TLS. With a TLS port, port 0 means TLS only.
	Port     int    `yaml:"port,omitempty"`
	CertFile string `yaml:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file,omitempty"`
	// KeyFilePass is tls-key-file-pass: the password of an encrypted
	// KeyFile (PKCS#8 or legacy PEM); KeyFilePassFile is its YAML twin
	// naming a file that holds it.
	KeyFilePass     Secret `yaml:"key_file_pass,omitempty"`
	KeyFilePassFile string `yaml:"key_file_pass_file,omitempty"`
	CACertFile      string `yaml:"ca_cert_file,omitempty"`
	CACertDir       string `yaml:"ca_cert_dir,omitempty"`
	// AuthClients is yes (default), optional or no.
	AuthClients  string `yaml:"auth_clients,omitempty"`
	Protocols    string `yaml:"protocols,omitempty"`
	Ciphers      string `yaml:"ciphers,omitempty"`
	CipherSuites string `yaml:"ciphersuites,omitempty"`
	// PreferServerCiphers is accepted; Go always applies its own order.
	PreferServerCiphers bool  `yaml:"prefer_server_ciphers,omitempty"`
	SessionCaching      *bool `yaml:"session_caching,omitempty"`
	// Replication is tls-replication: every link to data nodes and peer
	// sentinels uses TLS, presenting ClientCertFile (else CertFile) and
	// checking the server against the CAs; with a tls-port, hellos
	// announce it, as Redis does.
	Replication    bool   `yaml:"replication,omitempty"`
	ClientCertFile string `yaml:"client_cert_file,omitempty"`
	ClientKeyFile  string `yaml:"client_key_file,omitempty"`
	// ClientKeyFilePass is tls-client-key-file-pass, for ClientKeyFile;
	// ClientKeyFilePassFile is its YAML twin.
	ClientKeyFilePass     Secret `yaml:"client_key_file_pass,omitempty"`
	ClientKeyFilePassFile string `yaml:"client_key_file_pass_file,omitempty"`
}

// Enabled reports whether the sentinel port has a TLS listener.
func (t TLS) Enabled() bool { return t.Port != 0 }

// Used reports whether TLS is used at all: a listener or outgoing links.
func (t TLS) Used() bool { return t.Enabled() || t.Replication }

// ClientPossible reports whether the files for TLS links are configured:
// a CA to check servers and a certificate to present.
func (t TLS) ClientPossible() bool { return t.hasCA() && t.hasClientCert() }

// hasCA reports whether a CA file or directory is set, to check servers.
func (t TLS) hasCA() bool { return t.CACertFile != "" || t.CACertDir != "" }

// hasClientCert reports whether outgoing links have a certificate to
// present: tls-client-cert-file and key, else tls-cert-file and key.
func (t TLS) hasClientCert() bool {
	return (t.CertFile != "" && t.KeyFile != "") || (t.ClientCertFile != "" && t.ClientKeyFile != "")
}

// tlsString sets a string field of Sentinel.TLS.
func tlsString(dst func(*TLS) *string) func(*confLine) {
	return func(l *confLine) { *dst(&l.p.cfg.Sentinel.TLS) = l.args[0] }
}

func tlsYesNo(dst func(*TLS) *bool) func(*confLine) {
	return func(l *confLine) {
		v, ok := parseYesNo(l.args[0])
		if !ok {
			l.failf(serverYesNo, l.args[0])
			return
		}
		*dst(&l.p.cfg.Sentinel.TLS) = v
	}
}

// tlsDirectives are the tls-* lines we act on; the others (tls-cluster,
// tls-client-*, tls-dh-params-file, tls-session-cache-*) stay in
// Config.Unsupported and are reported at start.
var tlsDirectives = map[string]confDirective{
	"tls-port": {nargs: one, apply: func(l *confLine) {
		n, err := strconv.Atoi(l.args[0])
		if err != nil {
			l.failf("invalid port %q", l.args[0])
			return
		}
		l.p.cfg.Sentinel.TLS.Port = n
		l.p.cfg.lines["sentinel.tls.port"] = l.line
	}},
	"tls-cert-file":    {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.CertFile })},
	"tls-key-file":     {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.KeyFile })},
	"tls-ca-cert-file": {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.CACertFile })},
	"tls-ca-cert-dir":  {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.CACertDir })},
	"tls-auth-clients": {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.AuthClients })},
	"tls-protocols":    {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.Protocols })},
	"tls-ciphers":      {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.Ciphers })},
	"tls-ciphersuites": {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.CipherSuites })},
	"tls-key-file-pass": {nargs: one, apply: func(l *confLine) {
		l.p.cfg.Sentinel.TLS.KeyFilePass = Secret(l.args[0])
	}},
	"tls-client-cert-file": {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.ClientCertFile })},
	"tls-client-key-file":  {nargs: one, apply: tlsString(func(t *TLS) *string { return &t.ClientKeyFile })},
	"tls-client-key-file-pass": {nargs: one, apply: func(l *confLine) {
		l.p.cfg.Sentinel.TLS.ClientKeyFilePass = Secret(l.args[0])
	}},
	"tls-prefer-server-ciphers": {nargs: one, apply: tlsYesNo(func(t *TLS) *bool { return &t.PreferServerCiphers })},
	"tls-session-caching": {nargs: one, apply: func(l *confLine) {
		v, ok := parseYesNo(l.args[0])
		if !ok {
			l.failf(serverYesNo, l.args[0])
			return
		}
		l.p.cfg.Sentinel.TLS.SessionCaching = &v
	}},
	"tls-replication": {nargs: one, apply: func(l *confLine) {
		tlsYesNo(func(t *TLS) *bool { return &t.Replication })(l)
		l.p.cfg.lines["sentinel.tls.replication"] = l.line
	}},
}

// validateTLS checks the TLS settings; the files themselves are read
// when the server starts.
func (v *validator) validateTLS(s *Sentinel) {
	t := s.TLS
	if t.Port < 0 || t.Port > 65535 {
		v.add("sentinel.tls.port", "must be in 0..65535, got %d", t.Port)
	}
	if t.Enabled() && (t.CertFile == "" || t.KeyFile == "") {
		v.add("sentinel.tls.port", "a TLS port needs tls-cert-file and tls-key-file")
	}
	switch strings.ToLower(t.AuthClients) {
	case "", "yes", "no", "optional":
	default:
		v.add("sentinel.tls.auth_clients", "must be yes, no or optional, got %q", t.AuthClients)
	}
	if t.Replication {
		if !t.hasCA() {
			v.add("sentinel.tls.replication", "tls-replication needs tls-ca-cert-file or tls-ca-cert-dir to check data nodes and peers")
		}
		if !t.hasClientCert() {
			v.add("sentinel.tls.replication", "tls-replication needs tls-cert-file and tls-key-file (or tls-client-cert-file and tls-client-key-file)")
		}
	}
	if (t.ClientCertFile == "") != (t.ClientKeyFile == "") {
		v.add("sentinel.tls.client_cert_file", "tls-client-cert-file and tls-client-key-file go together")
	}
	if t.Enabled() && t.Port == s.Port {
		v.add("sentinel.tls.port", "must differ from port %d", s.Port)
	}
}

// tlsPortOnly reports a configuration with only a TLS listener (port 0
// and a tls-port), which Validate's port rule lets through.
func (s *Sentinel) tlsPortOnly() bool { return s.Port == 0 && s.TLS.Enabled() }

// confMasterTLS is "sentinel tls <master> yes|no".
func confMasterTLS(l *confLine) {
	v, ok := parseYesNo(l.args[1])
	if !ok {
		l.failf(sentinelYesNo, l.args[1])
		return
	}
	l.m.TLS = yesNo(v)
	l.record("tls")
}

// validateMasterTLS checks the per-master choice: "yes" needs the files
// tls-replication would.
func (v *validator) validateMasterTLS(c *Config) {
	t := c.Sentinel.TLS
	for i := range c.Masters {
		m := &c.Masters[i]
		p := masterPath(i, m.Name) + ".tls"
		switch m.TLS {
		case "", "no":
		case "yes":
			if !t.hasCA() {
				v.add(p, "TLS towards %s needs tls-ca-cert-file or tls-ca-cert-dir", m.Name)
			}
			if !t.hasClientCert() {
				v.add(p, "TLS towards %s needs tls-cert-file and tls-key-file (or tls-client-cert-file and tls-client-key-file)", m.Name)
			}
		default:
			v.add(p, "must be yes or no, got %q", m.TLS)
		}
	}
}

// AnyMasterTLS reports whether some master is reached with TLS on its own
// setting.
func (c *Config) AnyMasterTLS() bool {
	for _, m := range c.Masters {
		if m.TLS == "yes" {
			return true
		}
	}
	return false
}
