package datanode

import (
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

func TestOpenConn_CountsOnceEachWay(t *testing.T) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})
	a, b := net.Pipe()
	defer b.Close()
	c := countOpen(a, g)
	if v := metricValue(t, g); v != 1 {
		t.Fatalf("after open: %v, want 1", v)
	}
	_ = c.Close()
	_ = c.Close() // go-redis may close twice (pool and reaper)
	if v := metricValue(t, g); v != 0 {
		t.Fatalf("after two closes: %v, want 0", v)
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
