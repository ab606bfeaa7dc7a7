package datanode

import (
	"net"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

func TestOpenConn_CountsOnceEachWay(t *testing.T) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})
	a, b := net.Pipe()
	defer b.Close()
	c := countOpen(a, g, nil)
	if v := metricValue(t, g); v != 1 {
		t.Fatalf("after open: %v, want 1", v)
	}
	_ = c.Close()
	_ = c.Close() // go-redis may close twice (pool and reaper)
	if v := metricValue(t, g); v != 0 {
		t.Fatalf("after two closes: %v, want 0", v)
	}
}

// go-redis checks an idle pooled connection through SyscallConn before it
// reuses it; the counting wrapper must not hide it, or the first command
// after a node restarts goes into the dead socket.
func TestOpenConn_KeepsSyscallConnOfTCP(t *testing.T) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tcp, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := countOpen(tcp, g, nil)
	defer c.Close()
	if _, ok := c.(syscall.Conn); !ok {
		t.Error("a counted TCP connection lost SyscallConn")
	}
	a, b := net.Pipe()
	defer b.Close()
	p := countOpen(a, g, nil)
	defer p.Close()
	if _, ok := p.(syscall.Conn); ok {
		t.Error("a counted pipe claims SyscallConn")
	}
}

// The PING histogram's role follows what the node reports, not the kind
// it was first watched as: a replica promoted by a failover is a master.
func TestTarget_RoleFollowsInfo(t *testing.T) {
	p := New(Options{Registerer: prometheus.NewRegistry()})
	p.connect = func(*target) nodeConn { return newFakeConn() }
	tg := newTarget(p, monitor.Watch{Target: masterAddr, Kind: monitor.KindReplica, Master: "m"})
	if got := tg.role(); got != "slave" {
		t.Fatalf("before INFO: %q, want slave", got)
	}
	tg.reportedRole.Store(uint32(monitor.RoleMaster))
	if got := tg.role(); got != "master" {
		t.Fatalf("after INFO role:master: %q, want master", got)
	}
	peer := newTarget(p, monitor.Watch{Target: peerAddr, Kind: monitor.KindSentinel})
	if got := peer.role(); got != "sentinel" {
		t.Fatalf("peer: %q, want sentinel", got)
	}
}
