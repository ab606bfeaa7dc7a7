package pubsub

import (
	"testing"

	"github.com/sentinelgo/sentinel/monitor"
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
