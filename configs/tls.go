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
	Port        int    `yaml:"port,omitempty"`
	CertFile    string `yaml:"cert_file,omitempty"`
	KeyFile     string `yaml:"key_file,omitempty"`
	KeyFilePass Secret `yaml:"key_file_pass,omitempty"`
	CACertFile  string `yaml:"ca_cert_file,omitempty"`
	CACertDir   string `yaml:"ca_cert_dir,omitempty"`
	// AuthClients is yes (default), optional or no.
	AuthClients  string `yaml:"auth_clients,omitempty"`
	Protocols    string `yaml:"protocols,omitempty"`
	Ciphers      string `yaml:"ciphers,omitempty"`
	CipherSuites string `yaml:"ciphersuites,omitempty"`
	// PreferServerCiphers is accepted; Go always applies its own order.
	PreferServerCiphers bool  `yaml:"prefer_server_ciphers,omitempty"`
	SessionCaching      *bool `yaml:"session_caching,omitempty"`
	// Replication is tls-replication: TLS towards data nodes and peers.
	// Not implemented yet, so "yes" is refused rather than ignored (links
	// would carry auth-pass in clear).
	Replication bool `yaml:"replication,omitempty"`
}

// Enabled reports whether the sentinel port has a TLS listener.
func (t TLS) Enabled() bool { return t.Port != 0 }

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
		v.add("sentinel.tls.replication", "tls-replication yes is not supported yet: links to data nodes and peer sentinels are plain TCP, "+
			"and this sentinel refuses to start rather than send their passwords in clear")
	}
	if t.Enabled() && t.Port == s.Port {
		v.add("sentinel.tls.port", "must differ from port %d", s.Port)
	}
}

// tlsPortOnly reports a configuration with only a TLS listener (port 0
// and a tls-port), which Validate's port rule lets through.
func (s *Sentinel) tlsPortOnly() bool { return s.Port == 0 && s.TLS.Enabled() }
