package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrTLS is wrapped by every error of this package.
var ErrTLS = errors.New("tls")

// Options are the tls-* settings, with Redis's names and values.
type Options struct {
	CertFile string // tls-cert-file (required)
	KeyFile  string // tls-key-file (required)
	// KeyFilePass is tls-key-file-pass: the password of an encrypted
	// KeyFile (PKCS#8 or legacy PEM, keyfile.go).
	KeyFilePass string
	CACertFile  string // tls-ca-cert-file
	CACertDir   string // tls-ca-cert-dir
	// AuthClients is tls-auth-clients: "yes" (default: a client
	// certificate signed by the CA is required), "optional" (verified
	// when given) or "no".
	AuthClients string
	// Protocols is tls-protocols, e.g. "TLSv1.2 TLSv1.3" (the default).
	Protocols string
	// Ciphers is tls-ciphers: a ':'-separated list of TLS 1.2 cipher
	// names (OpenSSL's or Go's); empty keeps Go's secure default list.
	Ciphers string
	// CipherSuites is tls-ciphersuites for TLS 1.3: Go always offers all
	// three TLS 1.3 suites, so only a list naming all of them is accepted.
	CipherSuites string
	// SessionCaching is tls-session-caching (default yes).
	SessionCaching *bool
	// ClientCertFile and ClientKeyFile are tls-client-cert-file and
	// tls-client-key-file: the certificate our outgoing links present;
	// empty uses CertFile and KeyFile, as Redis does.
	ClientCertFile, ClientKeyFile string
	// ClientKeyFilePass is tls-client-key-file-pass, for ClientKeyFile.
	ClientKeyFilePass string
}

// Config keeps a TLS server configuration current with its files.
type Config struct {
	opts  Options
	base  *tls.Config // everything but certificates and CAs
	clock func() time.Time
	log   *slog.Logger

	mu        sync.Mutex
	current   *tls.Config
	client    *tls.Certificate     // for outgoing links
	roots     *x509.CertPool       // CAs, for outgoing links too
	stamps    map[string]time.Time // file -> modification time when loaded
	lastCheck time.Time
	lastErr   error
}

// New checks the options and loads the files; log (nil: discard) gets a
// line for every reload and every failed one.
func New(o Options, log *slog.Logger) (*Config, error) {
	base, err := baseConfig(o)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Config{opts: o, base: base, clock: time.Now, log: log}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

func baseConfig(o Options) (*tls.Config, error) {
	if o.CertFile == "" || o.KeyFile == "" {
		return nil, fmt.Errorf("%w: tls-cert-file and tls-key-file are required", ErrTLS)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}
	switch strings.ToLower(o.AuthClients) {
	case "", "yes":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "no":
		cfg.ClientAuth = tls.NoClientCert
	default:
		return nil, fmt.Errorf("%w: tls-auth-clients must be yes, no or optional, got %q", ErrTLS, o.AuthClients)
	}
	if cfg.ClientAuth != tls.NoClientCert && o.CACertFile == "" && o.CACertDir == "" {
		return nil, fmt.Errorf("%w: tls-auth-clients %s needs tls-ca-cert-file or tls-ca-cert-dir", ErrTLS, strings.ToLower(o.AuthClients))
	}
	if err := applyProtocols(cfg, o.Protocols); err != nil {
		return nil, err
	}
	if err := applyCiphers(cfg, o.Ciphers); err != nil {
		return nil, err
	}
	if err := checkCipherSuites(o.CipherSuites); err != nil {
		return nil, err
	}
	if o.SessionCaching != nil && !*o.SessionCaching {
		cfg.SessionTicketsDisabled = true
	}
	return cfg, nil
}

func applyProtocols(cfg *tls.Config, text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	versions := map[string]uint16{"tlsv1.2": tls.VersionTLS12, "tlsv1.3": tls.VersionTLS13}
	lo, hi := uint16(0), uint16(0)
	for _, p := range strings.Fields(text) {
		v, ok := versions[strings.ToLower(p)]
		if !ok {
			return fmt.Errorf("%w: tls-protocols: %q is not supported (TLSv1.2, TLSv1.3)", ErrTLS, p)
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	cfg.MinVersion, cfg.MaxVersion = lo, hi
	return nil
}

// suiteByName knows the TLS 1.2 suites Go implements by their OpenSSL and
// IANA names.
func suiteByName() map[string]uint16 {
	m := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		if slices.Contains(s.SupportedVersions, tls.VersionTLS12) {
			m[s.Name] = s.ID
		}
	}
	openssl := map[string]string{
		"ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
		"ECDHE-RSA-AES128-GCM-SHA256":   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
		"ECDHE-RSA-AES256-GCM-SHA384":   "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
		"ECDHE-RSA-CHACHA20-POLY1305":   "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
		"ECDHE-ECDSA-AES128-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
		"ECDHE-RSA-AES128-SHA":          "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
		"ECDHE-ECDSA-AES256-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
		"ECDHE-RSA-AES256-SHA":          "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	}
	for o, iana := range openssl {
		if id, ok := m[iana]; ok {
			m[o] = id
		}
	}
	return m
}

func applyCiphers(cfg *tls.Config, text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	known := suiteByName()
	for _, name := range strings.Split(text, ":") {
		name = strings.TrimSpace(name)
		id, ok := known[name]
		if !ok {
			return fmt.Errorf("%w: tls-ciphers: %q is not a TLS 1.2 cipher this sentinel implements (give explicit names such as ECDHE-RSA-AES128-GCM-SHA256; OpenSSL expressions like HIGH or !aNULL are not supported)", ErrTLS, name)
		}
		cfg.CipherSuites = append(cfg.CipherSuites, id)
	}
	return nil
}

func checkCipherSuites(text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	got := strings.Split(strings.TrimSpace(text), ":")
	sort.Strings(got)
	want := []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
	if strings.Join(got, ":") != strings.Join(want, ":") {
		return fmt.Errorf("%w: tls-ciphersuites: Go always offers %s for TLS 1.3 and cannot restrict them; remove the directive or list exactly those (set tls-protocols TLSv1.2 to avoid TLS 1.3)", ErrTLS, strings.Join(want, ":"))
	}
	return nil
}

// Reload reads the certificate, key and CA files again. On error the
// configuration in use stays as it was.
func (c *Config) Reload() error {
	cert, err := loadKeyPair(c.opts.CertFile, c.opts.KeyFile, c.opts.KeyFilePass, "tls-key-file-pass")
	if err != nil {
		return fmt.Errorf("%w: tls-cert-file/tls-key-file: %w", ErrTLS, err)
	}
	cfg := c.base.Clone()
	cfg.Certificates = []tls.Certificate{cert}
	if c.opts.CACertFile != "" || c.opts.CACertDir != "" {
		pool, err := loadCAs(c.opts.CACertFile, c.opts.CACertDir)
		if err != nil {
			return err
		}
		cfg.ClientCAs = pool
	}
	client := &cert
	if c.opts.ClientCertFile != "" || c.opts.ClientKeyFile != "" {
		cc, err := loadKeyPair(c.opts.ClientCertFile, c.opts.ClientKeyFile, c.opts.ClientKeyFilePass, "tls-client-key-file-pass")
		if err != nil {
			return fmt.Errorf("%w: tls-client-cert-file/tls-client-key-file: %w", ErrTLS, err)
		}
		client = &cc
	}
	stamps := map[string]time.Time{}
	for _, f := range c.files() {
		if fi, err := os.Stat(f); err == nil {
			stamps[f] = fi.ModTime()
		}
	}
	c.mu.Lock()
	c.current, c.stamps, c.lastErr = cfg, stamps, nil
	c.client, c.roots = client, cfg.ClientCAs
	c.mu.Unlock()
	return nil
}

func (c *Config) files() []string {
	out := []string{c.opts.CertFile, c.opts.KeyFile}
	if c.opts.CACertFile != "" {
		out = append(out, c.opts.CACertFile)
	}
	if c.opts.CACertDir != "" {
		out = append(out, c.opts.CACertDir)
	}
	if c.opts.ClientCertFile != "" {
		out = append(out, c.opts.ClientCertFile, c.opts.ClientKeyFile)
	}
	return out
}

func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	var files []string
	if file != "" {
		files = append(files, file)
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: tls-ca-cert-dir: %w", ErrTLS, err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: CA certificates: %w", ErrTLS, err)
		}
		if pool.AppendCertsFromPEM(data) {
			n++
		} else if f == file {
			return nil, fmt.Errorf("%w: tls-ca-cert-file %s holds no PEM certificate", ErrTLS, f)
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no CA certificate found in tls-ca-cert-file/tls-ca-cert-dir", ErrTLS)
	}
	return pool, nil
}

// changed reports whether a watched file's modification time differs
// from when it was loaded.
func (c *Config) changed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.files() {
		fi, err := os.Stat(f)
		if err != nil {
			continue // a file being replaced; try again later
		}
		if !fi.ModTime().Equal(c.stamps[f]) {
			return true
		}
	}
	return false
}

// ServerConfig returns the configuration for tls.NewListener: each
// handshake gets the current certificates, reloaded first when a file
// changed (checked at most once a second).
func (c *Config) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return c.Current(), nil },
	}
}

// Current returns the configuration in use, after reloading changed files.
func (c *Config) Current() *tls.Config {
	c.mu.Lock()
	now := c.clock()
	check := now.Sub(c.lastCheck) >= time.Second
	if check {
		c.lastCheck = now
	}
	cur := c.current
	c.mu.Unlock()
	if check && c.changed() {
		if err := c.Reload(); err != nil {
			c.mu.Lock()
			repeat := c.lastErr != nil && c.lastErr.Error() == err.Error()
			c.lastErr = err
			c.mu.Unlock()
			if !repeat {
				c.log.Warn("TLS files changed but cannot be loaded; the previous certificates stay in use", "err", err)
			}
		} else {
			c.log.Info("TLS certificates reloaded after a file change")
		}
		c.mu.Lock()
		cur = c.current
		c.mu.Unlock()
	}
	return cur
}

// LastError is the latest failed automatic reload (nil when the files in
// use are current), for the caller to log.
func (c *Config) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// ClientConfig returns the configuration of outgoing links
// (tls-replication): our client certificate (tls-client-cert-file, else
// tls-cert-file) and the server's chain verified against the CAs, without
// a host name check, as Redis's links do (data nodes are reached by IP and
// their certificates rarely name it). Reloads apply to new links.
func (c *Config) ClientConfig() (*tls.Config, error) {
	c.mu.Lock()
	hasRoots := c.roots != nil
	c.mu.Unlock()
	if !hasRoots {
		return nil, fmt.Errorf("%w: TLS links to data nodes and peers need tls-ca-cert-file or tls-ca-cert-dir", ErrTLS)
	}
	base := c.base
	return &tls.Config{
		MinVersion:   base.MinVersion,
		MaxVersion:   base.MaxVersion,
		CipherSuites: base.CipherSuites,
		// The chain is verified in VerifyConnection, the host name not.
		InsecureSkipVerify: true,
		VerifyConnection:   c.verifyServer,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c.Current() // reload changed files first
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.client, nil
		},
	}, nil
}

// verifyServer checks the server's certificate chain against the CAs.
func (c *Config) verifyServer(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%w: the server sent no certificate", ErrTLS)
	}
	c.Current()
	c.mu.Lock()
	roots := c.roots
	c.mu.Unlock()
	inter := x509.NewCertPool()
	for _, cert := range cs.PeerCertificates[1:] {
		inter.AddCert(cert)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return fmt.Errorf("%w: server certificate: %w", ErrTLS, err)
	}
	return nil
}
