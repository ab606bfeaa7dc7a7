package pubsub

import (
	"strings"
	"testing"

	"github.com/sentinelgo/sentinel/monitor"
)

func fieldValue(fs []Field, name string) string {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// Replies show the announced address (monitor.InstanceView.ReplyAddr: the
// IP a host name was reached at, or the name with announce-hostnames), and
// fall back to Addr for a view that has none.
func TestRepliesShowAnnouncedAddress(t *testing.T) {
	m := monitor.MasterView{InstanceView: monitor.InstanceView{
		Name: "mymaster", Addr: monitor.Addr{Host: "db-0.test", Port: 6379}, ReplyAddr: monitor.Addr{Host: "10.0.0.1", Port: 6379},
	}}
	if ip := fieldValue(MasterFields(&m, goldenAt), "ip"); ip != "10.0.0.1" {
		t.Errorf("master ip = %q, want the announced 10.0.0.1", ip)
	}
	s := &monitor.Snapshot{At: goldenAt, Masters: []monitor.MasterView{m}}
	if info := InfoSentinelSection(s); !strings.Contains(info, "address=10.0.0.1:6379") {
		t.Errorf("INFO sentinel does not show the announced address:\n%s", info)
	}
	r := monitor.ReplicaView{InstanceView: monitor.InstanceView{Addr: monitor.Addr{Host: "db-1.test", Port: 6380}}}
	f := ReplicaFields(&r, goldenAt)
	if fieldValue(f, "ip") != "db-1.test" || fieldValue(f, "name") != "db-1.test:6380" {
		t.Errorf("replica without ReplyAddr: ip %q name %q, want its Addr", fieldValue(f, "ip"), fieldValue(f, "name"))
	}
}
