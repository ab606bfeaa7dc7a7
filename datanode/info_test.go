package datanode

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

func readCapture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/info/" + name)
	if err != nil {
		t.Fatalf("reading capture: %v", err)
	}
	return string(b)
}

func TestParseInfo_RealCaptures(t *testing.T) {
	tests := []struct {
		file string
		want monitor.NodeInfo
	}{
		{
			file: "redis-7.0.15-master.txt",
			want: monitor.NodeInfo{
				RunID:  "6d1b0479c5a10ebec87818cde6bc31b0f2e6f125",
				Role:   monitor.RoleMaster,
				Uptime: 7 * time.Second,
				Replicas: []monitor.ReplicaLine{
					{Addr: monitor.Addr{Host: "127.0.0.1", Port: 7001}, State: "online", Offset: 555, Lag: 1},
					{Addr: monitor.Addr{Host: "127.0.0.1", Port: 7002}, State: "online", Offset: 555, Lag: 1},
				},
				ReplicaPriority:  100, // absent on a master: Redis's default
				ReplicaAnnounced: true,
				MasterReplOffset: 844,
			},
		},
		{
			file: "redis-7.0.15-replica.txt",
			want: monitor.NodeInfo{
				RunID:             "6ac95b59e828f117a410a48a6ba1e6b36f5bd145",
				Role:              monitor.RoleReplica,
				Uptime:            7 * time.Second,
				MasterHost:        "127.0.0.1",
				MasterPort:        7000,
				MasterLinkUp:      true,
				ReplicaPriority:   100,
				ReplicaReplOffset: 844,
				ReplicaAnnounced:  true,
				MasterReplOffset:  844,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			text := readCapture(t, tc.file)
			if !strings.Contains(text, "\r\n") {
				t.Fatalf("capture %s is expected to use CRLF, as redis-cli saved it", tc.file)
			}
			for _, variant := range []struct{ name, text string }{
				{"crlf", text},
				{"lf", strings.ReplaceAll(text, "\r\n", "\n")},
			} {
				got, err := ParseInfo(variant.text)
				if err != nil {
					t.Fatalf("%s: ParseInfo: %v", variant.name, err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s: ParseInfo =\n%+v\nwant\n%+v", variant.name, got, tc.want)
				}
			}
		})
	}
}

func TestParseInfo_Fields(t *testing.T) {
	base := func(mod func(*monitor.NodeInfo)) monitor.NodeInfo {
		n := monitor.NodeInfo{ReplicaPriority: 100, ReplicaAnnounced: true}
		mod(&n)
		return n
	}
	tests := []struct {
		name string
		text string
		want monitor.NodeInfo
	}{
		{"defaults only", "# Server\nredis_version:7.0.15\n", base(func(*monitor.NodeInfo) {})},
		{"priority zero", "slave_priority:0\n", base(func(n *monitor.NodeInfo) { n.ReplicaPriority = 0 })},
		{"valkey replica_priority", "replica_priority:7\n", base(func(n *monitor.NodeInfo) { n.ReplicaPriority = 7 })},
		{"bad priority keeps default", "slave_priority:high\n", base(func(*monitor.NodeInfo) {})},
		{"not announced", "replica_announced:0\n", base(func(n *monitor.NodeInfo) { n.ReplicaAnnounced = false })},
		{"link down", "role:slave\nmaster_link_status:down\nmaster_link_down_since_seconds:42\n", base(func(n *monitor.NodeInfo) {
			n.Role = monitor.RoleReplica
			n.MasterLinkDownSince = 42 * time.Second
		})},
		{"link never up reports -1", "master_link_down_since_seconds:-1\n", base(func(*monitor.NodeInfo) {})},
		{"unknown role", "role:sentinel\n", base(func(*monitor.NodeInfo) {})},
		{"old positional replica line", "slave0:10.0.0.2,6380,online\n", base(func(n *monitor.NodeInfo) {
			n.Replicas = []monitor.ReplicaLine{{Addr: monitor.Addr{Host: "10.0.0.2", Port: 6380}, State: "online"}}
		})},
		{"replica line without port skipped", "slave0:ip=10.0.0.2,state=online\nslave1:ip=10.0.0.3,port=6381\n", base(func(n *monitor.NodeInfo) {
			n.Replicas = []monitor.ReplicaLine{{Addr: monitor.Addr{Host: "10.0.0.3", Port: 6381}}}
		})},
		{"slave_ keys are not replica lines", "slave_read_only:1\nslave_repl_offset:9\n", base(func(n *monitor.NodeInfo) { n.ReplicaReplOffset = 9 })},
		{"uptime overflow ignored", "uptime_in_seconds:99999999999999999\n", base(func(*monitor.NodeInfo) {})},
		{"value with colon", "run_id:a:b\n", base(func(n *monitor.NodeInfo) { n.RunID = "a:b" })},
		{"no trailing newline", "master_port:6379", base(func(n *monitor.NodeInfo) { n.MasterPort = 6379 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseInfo(tc.text)
			if err != nil {
				t.Fatalf("ParseInfo: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseInfo =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestParseInfo_NotInfo(t *testing.T) {
	for _, text := range []string{"", "   \r\n\n", "# Server\r\n", "hello world", "PONG"} {
		_, err := ParseInfo(text)
		if !errors.Is(err, ErrNotInfo) {
			t.Errorf("ParseInfo(%q) error = %v, want ErrNotInfo", text, err)
		}
	}
}

// renderInfo writes the fields ParseInfo knows back as INFO text, the
// inverse the fuzz property relies on.
func renderInfo(n monitor.NodeInfo) string {
	var b strings.Builder
	line := func(k, v string) { b.WriteString(k + ":" + v + "\r\n") }
	b.WriteString("# Server\r\n")
	if n.RunID != "" {
		line("run_id", n.RunID)
	}
	line("uptime_in_seconds", strconv.FormatInt(int64(n.Uptime/time.Second), 10))
	b.WriteString("\r\n# Replication\r\n")
	if n.Role != monitor.RoleUnknown {
		line("role", n.Role.String())
	}
	for i, r := range n.Replicas {
		line("slave"+strconv.Itoa(i), "ip="+r.Addr.Host+",port="+strconv.Itoa(r.Addr.Port)+
			",state="+r.State+",offset="+strconv.FormatInt(r.Offset, 10)+",lag="+strconv.FormatInt(r.Lag, 10))
	}
	if n.MasterHost != "" {
		line("master_host", n.MasterHost)
	}
	line("master_port", strconv.Itoa(n.MasterPort))
	if n.MasterLinkUp {
		line("master_link_status", "up")
	} else {
		line("master_link_status", "down")
	}
	line("master_link_down_since_seconds", strconv.FormatInt(int64(n.MasterLinkDownSince/time.Second), 10))
	line("slave_priority", strconv.Itoa(n.ReplicaPriority))
	line("slave_repl_offset", strconv.FormatInt(n.ReplicaReplOffset, 10))
	if n.ReplicaAnnounced {
		line("replica_announced", "1")
	} else {
		line("replica_announced", "0")
	}
	line("master_repl_offset", strconv.FormatInt(n.MasterReplOffset, 10))
	return b.String()
}

func TestRenderInfo_RoundTripsCaptures(t *testing.T) {
	for _, f := range []string{"redis-7.0.15-master.txt", "redis-7.0.15-replica.txt"} {
		want, err := ParseInfo(readCapture(t, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseInfo(renderInfo(want))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: round trip =\n%+v\nwant\n%+v", f, got, want)
		}
	}
}

func FuzzParseInfo(f *testing.F) {
	f.Add(readCapture(f, "redis-7.0.15-master.txt"))
	f.Add(readCapture(f, "redis-7.0.15-replica.txt"))
	f.Add("")
	f.Add("role:slave\nmaster_link_down_since_seconds:-1\n")
	f.Add("slave0:ip=a=b,port=1,ip=c\nslave12:x,7,st\n")
	f.Add("run_id: x \r\r\nslave_priority:-3\nuptime_in_seconds:9223372036\n")
	f.Fuzz(func(t *testing.T, text string) {
		first, err := ParseInfo(text)
		if err != nil {
			if !errors.Is(err, ErrNotInfo) {
				t.Fatalf("error %v does not wrap ErrNotInfo", err)
			}
			return
		}
		second, err := ParseInfo(renderInfo(first))
		if err != nil {
			t.Fatalf("re-parsing rendered INFO: %v", err)
		}
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("round trip differs:\nfirst  %+v\nsecond %+v", first, second)
		}
	})
}

func BenchmarkParseInfo(b *testing.B) {
	text := readCapture(b, "redis-7.0.15-master.txt")
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := ParseInfo(text); err != nil {
			b.Fatal(err)
		}
	}
}
