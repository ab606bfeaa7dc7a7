package supervisor

import (
	"strings"

	"github.com/sentinelgo/sentinel/monitor"
)

// checkTLSChoice refuses SENTINEL SET <name> tls yes when the sentinel has
// no TLS for links (no CA or certificate files were loaded at start).
func (c *controller) checkTLSChoice(name string, settings []monitor.Setting) error {
	for _, s := range settings {
		if !strings.EqualFold(s.Name, "tls") || !strings.EqualFold(s.Value, "yes") {
			continue
		}
		if c.tlsReady == nil || !c.tlsReady() {
			return &monitor.CommandError{Code: "ERR", Msg: "TLS towards " + name +
				" needs tls-ca-cert-file or tls-ca-cert-dir and tls-cert-file/tls-key-file (or tls-client-cert-file/tls-client-key-file) in the configuration"}
		}
	}
	return nil
}

// relinkOnTLS re-dials the links to the master's data nodes after a
// change of its TLS choice. It runs once the core took the change and the
// snapshot showing it was published (the loop publishes before it
// replies), so the new links read the new choice (dataNodeTLS).
func (c *controller) relinkOnTLS(name string, settings []monitor.Setting) {
	if c.relink == nil {
		return
	}
	for _, s := range settings {
		if strings.EqualFold(s.Name, "tls") {
			c.relink(name)
			return
		}
	}
}

// clientReady reports whether links can use TLS (SENTINEL SET <master>
// tls yes needs it).
func (t *tlsSetup) clientReady() bool { return t != nil && t.client != nil }

// relinkMaster re-dials the links to a master and its replicas; the new
// links take the TLS choice the snapshot shows.
func (s *Supervisor) relinkMaster(master string) {
	m := s.loop.Snapshot().Master(master)
	if m == nil || s.pool == nil {
		return
	}
	s.pool.Do(monitor.Reconnect{Target: m.Addr})
	for i := range m.Replicas {
		s.pool.Do(monitor.Reconnect{Target: m.Replicas[i].Addr})
	}
}
