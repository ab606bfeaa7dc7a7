package datanode

import (
	"net"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
)

// openConn keeps sentinel_datanode_links true: the gauge goes up when a
// connection is handed to go-redis and down once when it is closed,
// whoever closes it (the pool, a reconnect, a broken link).
type openConn struct {
	net.Conn
	once    sync.Once
	gauge   prometheus.Gauge
	onClose func() // optional: runs once, with the gauge's decrement
}

// openSysConn is an openConn over a connection with SyscallConn: go-redis
// peeks at an idle pooled connection through it before reuse, to notice a
// node that closed it (a restart) instead of sending the next command into
// a dead socket.
type openSysConn struct {
	*openConn
	sys syscall.Conn
}

func (c openSysConn) SyscallConn() (syscall.RawConn, error) { return c.sys.SyscallConn() }

// countOpen wraps c, counting it in g and running onClose (if not nil)
// once, when the connection is first closed; the result keeps SyscallConn
// only if c has it (as guard does).
func countOpen(c net.Conn, g prometheus.Gauge, onClose func()) net.Conn {
	g.Inc()
	oc := &openConn{Conn: c, gauge: g, onClose: onClose}
	if sc, ok := c.(syscall.Conn); ok {
		return openSysConn{openConn: oc, sys: sc}
	}
	return oc
}

func (c *openConn) Close() error {
	c.once.Do(func() {
		c.gauge.Dec()
		if c.onClose != nil {
			c.onClose()
		}
	})
	return c.Conn.Close()
}
