package datanode

import "crypto/tls"

// tlsConfig is the TLS of this link: the master's own choice for its data
// nodes (Options.TLSFor), else Options.TLSConfig; nil means plain TCP.
func (c *redisConn) tlsConfig() *tls.Config {
	if c.t.dataNode && c.p.opts.TLSFor != nil {
		_, master := c.t.identity()
		return c.p.opts.TLSFor(master)
	}
	return c.p.opts.TLSConfig
}
