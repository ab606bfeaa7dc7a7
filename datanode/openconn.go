package datanode

import (
	"net"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// openConn keeps sentinel_datanode_links true: the gauge goes up when a
// connection is handed to go-redis and down once when it is closed,
// whoever closes it (the pool, a reconnect, a broken link).
type openConn struct {
	net.Conn
	once  sync.Once
	gauge prometheus.Gauge
}

func countOpen(c net.Conn, g prometheus.Gauge) net.Conn {
	g.Inc()
	return &openConn{Conn: c, gauge: g}
}

func (c *openConn) Close() error {
	c.once.Do(c.gauge.Dec)
	return c.Conn.Close()
}
