package supervisor

import (
	"crypto/tls"
	"fmt"
	"log/slog"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/pubsub"
	"github.com/sentinelgo/sentinel/tlsconf"
)

// tlsSetup is the TLS of the sentinel: its listener (tls-port) and its
// outgoing links (tls-replication), with the files it reloads on SIGHUP.
type tlsSetup struct {
	addrs       []string    // nil without a tls-port
	client      *tls.Config // nil when no link uses TLS
	replication bool        // tls-replication: every link uses client
	port        int
	config      *tlsconf.Config
	log         *slog.Logger
}

// newTLSSetup reads the certificate files and works out the TLS listen
// addresses (the bind addresses on tls-port); nil when TLS is not used.
func newTLSSetup(cfg *configs.Config, log *slog.Logger, probe func(string) error) (*tlsSetup, error) {
	t := cfg.Sentinel.TLS
	if !t.Used() && !cfg.AnyMasterTLS() && !t.ClientPossible() {
		return nil, nil
	}
	dir := cfg.WorkDir()
	path := func(p string) string {
		if p == "" {
			return ""
		}
		return configs.ResolvePath(dir, p)
	}
	log = log.With("component", "tls")
	c, err := tlsconf.New(tlsconf.Options{
		CertFile: path(t.CertFile), KeyFile: path(t.KeyFile), KeyFilePass: t.KeyFilePass.Reveal(),
		CACertFile: path(t.CACertFile), CACertDir: path(t.CACertDir),
		AuthClients: t.AuthClients, Protocols: t.Protocols, Ciphers: t.Ciphers, CipherSuites: t.CipherSuites,
		SessionCaching: t.SessionCaching,
		ClientCertFile: path(t.ClientCertFile), ClientKeyFile: path(t.ClientKeyFile),
		ClientKeyFilePass: t.ClientKeyFilePass.Reveal(),
	}, log)
	if err != nil && !t.Used() && !cfg.AnyMasterTLS() {
		// Only SENTINEL SET <master> tls yes would use these files.
		log.Warn("TLS files cannot be loaded; SENTINEL SET <master> tls yes will be refused", "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	ts := &tlsSetup{config: c, log: log, port: t.Port, replication: t.Replication}
	switch {
	case t.Replication || cfg.AnyMasterTLS():
		if ts.client, err = c.ClientConfig(); err != nil {
			return nil, fmt.Errorf("supervisor: %w", err)
		}
	case t.ClientPossible():
		// Ready for SENTINEL SET <master> tls yes; nothing uses it yet, so
		// a failure only makes that command refuse.
		if ts.client, err = c.ClientConfig(); err != nil {
			log.Warn("TLS towards data nodes unavailable (SENTINEL SET <master> tls yes will be refused)", "err", err)
			ts.client = nil
		}
	}
	if t.Enabled() {
		onTLS := *cfg
		onTLS.Sentinel.Port = t.Port
		if ts.addrs, err = listenAddrs(&onTLS, log, probe); err != nil {
			return nil, fmt.Errorf("supervisor: tls-port: %w", err)
		}
	}
	return ts, nil
}

// clientConfig is the TLS of links to peers (and to data nodes of masters
// without their own choice); nil: plain.
func (t *tlsSetup) clientConfig() *tls.Config {
	if t == nil || !t.replication {
		return nil
	}
	return t.client
}

// forMaster is the TLS of links to one master's data nodes: its own
// choice (sentinel tls <master> yes|no), else tls-replication's.
func (t *tlsSetup) forMaster(choice string) *tls.Config {
	if t == nil {
		return nil
	}
	switch choice {
	case "yes":
		return t.client
	case "no":
		return nil
	}
	return t.clientConfig()
}

// dataNodeTLS is datanode's TLSFor: the master's setting as the core has it.
func (s *Supervisor) dataNodeTLS(master string) *tls.Config {
	choice := ""
	if m := s.loop.Snapshot().Master(master); m != nil {
		choice = m.TLS
	}
	return s.tls.forMaster(choice)
}

// announcePort is the port our hellos carry: with tls-replication and a
// tls-port, the TLS port (peers connect with TLS), as Redis does.
func (t *tlsSetup) announcePort(port int) int {
	if t == nil || !t.replication || t.addrs == nil {
		return port
	}
	return t.port
}

// apply adds the TLS listener to the client port's options; with port 0
// the port is TLS only.
func (t *tlsSetup) apply(o *pubsub.Options, cfg *configs.Config) {
	if t == nil || t.addrs == nil {
		return
	}
	o.TLSAddrs, o.TLSConfig = t.addrs, t.config.ServerConfig()
	if cfg.Sentinel.Port == 0 {
		o.Addrs = nil
	}
}
