package pubsub

import (
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// SENTINEL MASTER shows fencing after Redis's fields, and only when on, so
// a master without it replies as redis-sentinel does.
func TestMasterFieldsFencing(t *testing.T) {
	m := monitor.MasterView{InstanceView: monitor.InstanceView{Name: "m", Addr: monitor.Addr{Host: "10.0.0.1", Port: 6379}}}
	if fieldValue(MasterFields(&m, goldenAt), "fencing") != "" {
		t.Fatal("fencing shown while off")
	}
	m.Fencing = true
	fs := MasterFields(&m, goldenAt)
	if last := fs[len(fs)-1]; last != (Field{"fencing", "yes"}) {
		t.Fatalf("last field = %v, want fencing yes", last)
	}
}

// With fencing on, a sentinel that reaches no majority of its group answers
// GET-MASTER-ADDR-BY-NAME with a null array, as for an unknown master, and
// INFO says why; without fencing it answers as Redis does.
func TestGetMasterAddrWithheldWithoutMajority(t *testing.T) {
	ts := startServer(t, nil)
	serve := func(fencing, peerDown bool) { // a fresh snapshot each time: the server reads them concurrently
		snap := fixtureSnapshot()
		snap.Masters[0].Fencing = fencing
		snap.Masters[0].Sentinels[0].LastOKPing = snap.At.Add(-time.Second)
		snap.Masters[0].Sentinels[0].LastPingRply = snap.At.Add(-time.Second) // it answered: reached
		if peerDown {
			snap.Masters[0].Sentinels[0].Flags |= monitor.FlagSDown // 1 of 2 reached: no majority
		}
		ts.ctrl.mu.Lock()
		ts.ctrl.snap = snap
		ts.ctrl.mu.Unlock()
	}
	serve(false, true)
	c := dialRaw(t, ts.addr)
	if v := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); v.Kind != resp.KindArray || len(v.Elems) != 2 {
		t.Fatalf("without fencing: %+v, want the address", v)
	}
	serve(true, true)
	if v := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); v.Kind != resp.KindNull {
		t.Fatalf("fencing, no majority: %+v, want null", v)
	}
	if info := c.do("INFO", "sentinel"); !strings.Contains(info.Str, ",sentinels=2,authority=no-majority(1/2)\r\n") {
		t.Fatalf("INFO does not say why:\n%s", info.Str)
	}
	serve(true, false)
	if v := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); v.Kind != resp.KindArray || len(v.Elems) != 2 {
		t.Fatalf("fencing, majority: %+v, want the address", v)
	}
	if info := c.do("INFO", "sentinel"); strings.Contains(info.Str, "authority=") {
		t.Fatalf("INFO shows authority with a majority:\n%s", info.Str)
	}
}

// SENTINEL MASTER shows the per-master TLS choice last, only when set.
func TestMasterFieldsTLS(t *testing.T) {
	m := monitor.MasterView{InstanceView: monitor.InstanceView{Name: "m", Addr: monitor.Addr{Host: "10.0.0.1", Port: 6379}}}
	if fieldValue(MasterFields(&m, goldenAt), "tls") != "" {
		t.Fatal("tls shown while unset")
	}
	for _, v := range []string{"yes", "no"} {
		m.TLS = v
		fs := MasterFields(&m, goldenAt)
		if last := fs[len(fs)-1]; last != (Field{"tls", v}) {
			t.Fatalf("last field = %v, want tls %s", last, v)
		}
	}
}
