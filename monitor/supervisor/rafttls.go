package supervisor

import (
	"crypto/tls"

	"github.com/sentinelgo/sentinel/election/raftmode"
)

// raftTLS is the raft transport's TLS in raft mode: with tls-replication,
// the certificates and CAs of the links to peers (reloaded as they are),
// and the listener requires a certificate from every peer whatever
// tls-auth-clients says: only members of the group may speak raft. nil
// (plain TCP) without tls-replication.
func (t *tlsSetup) raftTLS() *raftmode.TLS {
	if t == nil || !t.replication || t.client == nil {
		return nil
	}
	srv := t.config.ServerConfig()
	srv.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := t.config.Current().Clone()
		c.ClientAuth = tls.RequireAndVerifyClientCert
		return c, nil
	}
	return &raftmode.TLS{Server: srv, Client: t.client}
}
