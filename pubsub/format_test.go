package pubsub

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
	"github.com/sentinelgo/sentinel/settings"
)

// The golden files are raw replies of Debian's redis-sentinel 7.0.15
// (captured with a master, a replica and two sentinels on loopback; see
// testdata/redis-7.0.15/). Times in them are "ms ago"; the fixtures below
// place each instant that many ms before the snapshot's At.

var goldenAt = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func ago(msec int64) time.Time { return goldenAt.Add(-time.Duration(msec) * time.Millisecond) }

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "redis-7.0.15", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func renderWith(proto int, fn func(w *resp.Writer)) []byte {
	var b bytes.Buffer
	w := resp.NewWriter(&b)
	w.SetProtocol(proto)
	fn(w)
	_ = w.Flush()
	return b.Bytes()
}

func assertGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	want := readGolden(t, file)
	if !bytes.Equal(got, want) {
		t.Errorf("%s mismatch\n got: %q\nwant: %q", file, got, want)
	}
}

// TestMasterFieldsHandWritten pins master.resp2 with a fixture written out
// field by field, independent of any decoding of the capture.
func TestMasterFieldsHandWritten(t *testing.T) {
	m := monitor.MasterView{
		InstanceView: monitor.InstanceView{
			Name:             "mymaster",
			Addr:             monitor.Addr{Host: "127.0.0.1", Port: 16381},
			RunID:            "bbf636916839d41a626a8c5fa9c55d703fc22bee",
			Flags:            monitor.FlagMaster,
			LinkRefcount:     1,
			LastOKPing:       ago(298),
			LastPingRply:     ago(298),
			DownAfterPeriod:  5 * time.Second,
			InfoRefresh:      ago(4732),
			RoleReported:     monitor.RoleMaster,
			RoleReportedTime: ago(19344),
		},
		ConfigEpoch:    1,
		Replicas:       make([]monitor.ReplicaView, 1),
		Sentinels:      make([]monitor.SentinelView, 1),
		MasterSettings: settings.MasterSettings{Quorum: 2, FailoverTimeout: 180 * time.Second, ParallelSyncs: 1},
	}
	got := renderWith(resp.RESP2, func(w *resp.Writer) { writeFields(w, MasterFields(&m, goldenAt)) })
	assertGolden(t, "master.resp2", got)
}

// fieldsOf decodes a captured map (RESP3) or flat array (RESP2).
func fieldsOf(t *testing.T, v resp.Value) map[string]string {
	t.Helper()
	if v.Kind != resp.KindMap && v.Kind != resp.KindArray {
		t.Fatalf("capture element is %v, want map or array", v.Kind)
	}
	out := map[string]string{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		out[v.Elems[i].Str] = v.Elems[i+1].Str
	}
	return out
}

func num(t *testing.T, f map[string]string, key string) int64 {
	t.Helper()
	s, ok := f[key]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("field %s = %q: %v", key, s, err)
	}
	return n
}

func agoOrZero(t *testing.T, f map[string]string, key string) time.Time {
	if _, ok := f[key]; !ok {
		return time.Time{}
	}
	n := num(t, f, key)
	if n == 0 {
		return time.Time{}
	}
	return ago(n)
}

func parseFlags(s string) monitor.Flags {
	var out monitor.Flags
	for _, name := range strings.Split(s, ",") {
		for _, fn := range monitor.FlagNames {
			if fn.Name == name {
				out |= fn.Flag
			}
		}
	}
	return out
}

func instanceFrom(t *testing.T, f map[string]string) monitor.InstanceView {
	role := monitor.RoleReplica
	if f["role-reported"] == "master" {
		role = monitor.RoleMaster
	}
	return monitor.InstanceView{
		Name:                f["name"],
		Addr:                monitor.Addr{Host: f["ip"], Port: int(num(t, f, "port"))},
		RunID:               f["runid"],
		Flags:               parseFlags(f["flags"]),
		LinkPendingCommands: int(num(t, f, "link-pending-commands")),
		LinkRefcount:        int(num(t, f, "link-refcount")),
		PingSent:            agoOrZero(t, f, "last-ping-sent"),
		LastOKPing:          ago(num(t, f, "last-ok-ping-reply")),
		LastPingRply:        ago(num(t, f, "last-ping-reply")),
		SDownSince:          agoOrZero(t, f, "s-down-time"),
		ODownSince:          agoOrZero(t, f, "o-down-time"),
		DownAfterPeriod:     time.Duration(num(t, f, "down-after-milliseconds")) * time.Millisecond,
		InfoRefresh:         agoOrZero(t, f, "info-refresh"),
		RoleReported:        role,
		RoleReportedTime:    ago(num(t, f, "role-reported-time")),
	}
}

func masterFrom(t *testing.T, f map[string]string) monitor.MasterView {
	m := monitor.MasterView{
		InstanceView:   instanceFrom(t, f),
		ConfigEpoch:    uint64(num(t, f, "config-epoch")),
		Replicas:       make([]monitor.ReplicaView, num(t, f, "num-slaves")),
		Sentinels:      make([]monitor.SentinelView, num(t, f, "num-other-sentinels")),
		MasterSettings: settings.MasterSettings{Quorum: int(num(t, f, "quorum")), FailoverTimeout: time.Duration(num(t, f, "failover-timeout")) * time.Millisecond, ParallelSyncs: int(num(t, f, "parallel-syncs")), NotificationScript: f["notification-script"], ClientReconfigScript: f["client-reconfig-script"]},
	}
	for st := monitor.FailoverWaitStart; st <= monitor.FailoverUpdateConfig; st++ {
		if st.String() == f["failover-state"] {
			m.FailoverState = st
		}
	}
	return m
}

func replicaFrom(t *testing.T, f map[string]string) monitor.ReplicaView {
	host := f["master-host"]
	if host == "?" {
		host = ""
	}
	return monitor.ReplicaView{
		InstanceView:       instanceFrom(t, f),
		MasterLinkDownTime: time.Duration(num(t, f, "master-link-down-time")) * time.Millisecond,
		MasterLinkUp:       f["master-link-status"] == "ok",
		MasterHost:         host,
		MasterPort:         int(num(t, f, "master-port")),
		Priority:           int(num(t, f, "slave-priority")),
		ReplOffset:         num(t, f, "slave-repl-offset"),
		Announced:          f["replica-announced"] == "1",
	}
}

func sentinelFrom(t *testing.T, f map[string]string) monitor.SentinelView {
	leader := f["voted-leader"]
	if leader == "?" {
		leader = ""
	}
	return monitor.SentinelView{
		InstanceView:     instanceFrom(t, f),
		LastHello:        ago(num(t, f, "last-hello-message")),
		VotedLeader:      leader,
		VotedLeaderEpoch: uint64(num(t, f, "voted-leader-epoch")),
	}
}

func decodeGolden(t *testing.T, file string) resp.Value {
	t.Helper()
	v, err := resp.NewValueReader(bytes.NewReader(readGolden(t, file)), resp.Limits{}).ReadValue()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

// TestInstanceFieldsGolden rebuilds each captured instance as a view and
// checks that our formatter reproduces the capture byte for byte: field
// names, order, which fields appear, and value formats.
func TestInstanceFieldsGolden(t *testing.T) {
	for _, proto := range []int{resp.RESP2, resp.RESP3} {
		suffix := ".resp" + strconv.Itoa(proto)
		for _, base := range []string{"master", "master-failover"} {
			v := decodeGolden(t, base+suffix)
			m := masterFrom(t, fieldsOf(t, v))
			got := renderWith(proto, func(w *resp.Writer) { writeFields(w, MasterFields(&m, goldenAt)) })
			assertGolden(t, base+suffix, got)
		}
		v := decodeGolden(t, "masters"+suffix)
		got := renderWith(proto, func(w *resp.Writer) {
			w.ArrayLen(len(v.Elems))
			for _, e := range v.Elems {
				m := masterFrom(t, fieldsOf(t, e))
				writeFields(w, MasterFields(&m, goldenAt))
			}
		})
		assertGolden(t, "masters"+suffix, got)
		for _, base := range []string{"replicas", "replicas-sdown"} {
			v := decodeGolden(t, base+suffix)
			got := renderWith(proto, func(w *resp.Writer) {
				w.ArrayLen(len(v.Elems))
				for _, e := range v.Elems {
					r := replicaFrom(t, fieldsOf(t, e))
					writeFields(w, ReplicaFields(&r, goldenAt))
				}
			})
			assertGolden(t, base+suffix, got)
		}
		v = decodeGolden(t, "sentinels"+suffix)
		got = renderWith(proto, func(w *resp.Writer) {
			w.ArrayLen(len(v.Elems))
			for _, e := range v.Elems {
				s := sentinelFrom(t, fieldsOf(t, e))
				writeFields(w, SentinelFields(&s, goldenAt))
			}
		})
		assertGolden(t, "sentinels"+suffix, got)
	}
}

func TestConditionalFields(t *testing.T) {
	m := monitor.MasterView{
		InstanceView: monitor.InstanceView{
			Name: "m", Addr: monitor.Addr{Host: "10.0.0.1", Port: 6379},
			Flags:      monitor.FlagSDown | monitor.FlagODown,
			SDownSince: ago(1500), ODownSince: ago(700), PingSent: ago(2500),
		},
		MasterSettings: settings.MasterSettings{NotificationScript: "/bin/notify", ClientReconfigScript: "/bin/reconf", AuthPass: "hunter2"},
	}
	fields := MasterFields(&m, goldenAt)
	got := map[string]string{}
	var order []string
	for _, f := range fields {
		got[f.Name] = f.Value
		order = append(order, f.Name)
	}
	want := map[string]string{
		"flags": "s_down,o_down,master", "s-down-time": "1500", "o-down-time": "700", "last-ping-sent": "2500",
		"notification-script": "/bin/notify", "client-reconfig-script": "/bin/reconf", "role-reported": "master",
		"last-ok-ping-reply": "0", "info-refresh": "0",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["failover-state"]; ok {
		t.Error("failover-state rendered outside a failover")
	}
	for _, f := range fields {
		if strings.Contains(f.Value, "hunter2") {
			t.Fatalf("auth-pass leaked in field %s", f.Name)
		}
	}
	if strings.Join(order[len(order)-2:], ",") != "notification-script,client-reconfig-script" {
		t.Errorf("scripts are not the last fields: %v", order)
	}
	// s-down-time and o-down-time sit between last-ping-reply and
	// down-after-milliseconds, as in the replicas-sdown capture.
	idx := map[string]int{}
	for i, n := range order {
		idx[n] = i
	}
	if !(idx["last-ping-reply"] < idx["s-down-time"] && idx["s-down-time"] < idx["o-down-time"] && idx["o-down-time"] < idx["down-after-milliseconds"]) {
		t.Errorf("down-time fields out of order: %v", order)
	}
}

func TestReplicaHiddenWhenNotAnnounced(t *testing.T) {
	m := monitor.MasterView{Replicas: []monitor.ReplicaView{
		{InstanceView: monitor.InstanceView{Name: "a"}, Announced: true},
		{InstanceView: monitor.InstanceView{Name: "b"}, Announced: false},
	}}
	got := VisibleReplicas(&m)
	if len(got) != 1 || got[0].Name != "a" {
		t.Fatalf("visible replicas = %v", got)
	}
}

func TestInfoSentinelSectionGolden(t *testing.T) {
	snap := &monitor.Snapshot{At: goldenAt, Masters: []monitor.MasterView{{
		InstanceView: monitor.InstanceView{Name: "mymaster", Addr: monitor.Addr{Host: "127.0.0.1", Port: 16381}},
		Replicas:     make([]monitor.ReplicaView, 1),
		Sentinels:    make([]monitor.SentinelView, 1),
	}}}
	// Valkey's sentinel_total_tilt is the one line redis-sentinel 7.0
	// does not have.
	section := strings.Replace(InfoSentinelSection(snap), "sentinel_total_tilt:0\r\n", "", 1)
	got := renderWith(resp.RESP2, func(w *resp.Writer) { w.BulkString(section) })
	assertGolden(t, "info-sentinel.resp2", got)

	snap.Tilt, snap.TiltSince, snap.TiltCount = true, goldenAt.Add(-42*time.Second), 3
	snap.Masters[0].Flags = monitor.FlagSDown | monitor.FlagODown
	text := InfoSentinelSection(snap)
	for _, want := range []string{"sentinel_tilt:1\r\n", "sentinel_tilt_since_seconds:42\r\nsentinel_total_tilt:3\r\n", "status=odown,"} {
		if !strings.Contains(text, want) {
			t.Errorf("INFO sentinel lacks %q:\n%s", want, text)
		}
	}
}
