package supervisor

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

func masterEvent(typ, master string) monitor.Event {
	return monitor.Event{Type: typ, Level: monitor.LevelWarning, Instance: &monitor.InstanceRef{Kind: monitor.KindMaster, Name: master,
		Addr: monitor.Addr{Host: "127.0.0.1", Port: 6379}}}
}

func customEvent(typ, master string) monitor.Event {
	return monitor.Event{Type: typ, Level: monitor.LevelWarning, Master: master, Extra: master + " 127.0.0.1 6379 127.0.0.1 6380"}
}

type snapHolder struct{ s *monitor.Snapshot }

func (h *snapHolder) get() *monitor.Snapshot { return h.s }

func snapWith(names ...string) *monitor.Snapshot {
	s := &monitor.Snapshot{At: time.Unix(1000, 0)}
	for _, n := range names {
		s.Masters = append(s.Masters, monitor.MasterView{InstanceView: monitor.InstanceView{Name: n}, MasterSettings: settings.MasterSettings{Quorum: 2}})
	}
	return s
}

func TestMetrics_SeriesExistAtZeroAndGoWithTheMaster(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	h := &snapHolder{s: snapWith("m1")}
	newMetricsFor(reg, h.get, "test", monitor.DefaultTimers())

	want := `
# HELP sentinel_failover_attempts_total Failover attempts this sentinel started (+try-failover), by master.
# TYPE sentinel_failover_attempts_total counter
sentinel_failover_attempts_total{master="m1"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "sentinel_failover_attempts_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "sentinel_failovers_total"); n != failoverResultsCount {
		t.Fatalf("failovers_total series = %d, want %d", n, failoverResultsCount)
	}
	if n := testutil.CollectAndCount(reg, "sentinel_master_outage_seconds"); n != 1 {
		t.Fatalf("outage histogram series = %d, want 1", n)
	}

	h.s = snapWith("m1", "m2")
	if n := testutil.CollectAndCount(reg, "sentinel_failover_attempts_total"); n != 2 {
		t.Fatalf("after adding m2: %d series, want 2", n)
	}
	h.s = snapWith("m2")
	if n := testutil.CollectAndCount(reg, "sentinel_failovers_total"); n != failoverResultsCount {
		t.Fatalf("after removing m1: %d series, want %d", n, failoverResultsCount)
	}
}

func TestMetrics_RemoveEventDeletesSeries(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := newMetricsFor(reg, nil, "", monitor.DefaultTimers())
	at := time.Unix(1000, 0)
	m.event(at, masterEvent(monitor.EventMonitor, "m1"))
	if n := testutil.CollectAndCount(reg, "sentinel_failover_attempts_total"); n != 1 {
		t.Fatalf("after +monitor: %d series", n)
	}
	m.event(at, masterEvent(monitor.EventMonitorRemoved, "m1"))
	for _, name := range []string{"sentinel_failover_attempts_total", "sentinel_failovers_total", "sentinel_events_total", "sentinel_master_outage_seconds"} {
		if n := testutil.CollectAndCount(reg, name); n != 0 {
			t.Errorf("after -monitor: %s has %d series", name, n)
		}
	}
}

func TestMetrics_FailoverOutcomesDoNotDoubleCount(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := newMetricsFor(reg, nil, "", monitor.DefaultTimers())
	t0 := time.Unix(1000, 0)
	// Attempt 1 aborts; attempt 2 times out in reconfiguration, then ends.
	m.event(t0, masterEvent(monitor.EventSDown, "m1"))
	m.event(t0.Add(10*time.Millisecond), masterEvent(monitor.EventODown, "m1"))
	m.event(t0.Add(20*time.Millisecond), masterEvent(monitor.EventTryFailover, "m1"))
	m.event(t0.Add(30*time.Millisecond), masterEvent(monitor.EventFailoverAbortNotElected, "m1"))
	m.event(t0.Add(40*time.Millisecond), masterEvent(monitor.EventTryFailover, "m1"))
	m.event(t0.Add(50*time.Millisecond), masterEvent(monitor.EventFailoverEndForTimeout, "m1"))
	m.event(t0.Add(60*time.Millisecond), masterEvent(monitor.EventFailoverEnd, "m1"))
	m.event(t0.Add(70*time.Millisecond), customEvent(monitor.EventSwitchMaster, "m1"))

	if v := seriesValue(t, reg, "sentinel_failover_attempts_total", "m1"); v != 2 {
		t.Errorf("attempts = %v, want 2", v)
	}
	sum := 0.0
	for _, r := range failoverResults {
		sum += seriesValue(t, reg, "sentinel_failovers_total", "m1", r)
	}
	if sum != 2 {
		t.Errorf("outcomes sum = %v, want 2 (one per attempt)", sum)
	}
	if v := seriesValue(t, reg, "sentinel_failovers_total", "m1", resultEndedTimeout); v != 1 {
		t.Errorf("ended_for_timeout = %v, want 1", v)
	}
	if v := seriesValue(t, reg, "sentinel_failovers_total", "m1", resultSucceeded); v != 0 {
		t.Errorf("succeeded = %v, want 0", v)
	}
	if v := seriesValue(t, reg, "sentinel_master_last_failover_result", "m1", resultEndedTimeout); v != 1 {
		t.Errorf("last result ended_for_timeout = %v, want 1", v)
	}
	if v := seriesValue(t, reg, "sentinel_master_last_failover_result", "m1", resultNotElected); v != 0 {
		t.Errorf("last result aborted_not_elected = %v, want 0", v)
	}
	if v := seriesValue(t, reg, "sentinel_master_last_failover_timestamp_seconds", "m1"); v != 1000.07 {
		t.Errorf("last failover timestamp = %v, want 1000.07", v)
	}
	if v := seriesValue(t, reg, "sentinel_events_total", monitor.EventTryFailover, "m1"); v != 2 {
		t.Errorf("events{+try-failover} = %v, want 2", v)
	}
	// The outage runs from the first +sdown to +switch-master: 70 ms,
	// in the 0.1 bucket and not the 0.05 one.
	if n := bucketCount(t, reg, "sentinel_master_outage_seconds", 0.05); n != 0 {
		t.Errorf("outage le=0.05: %d, want 0", n)
	}
	if n := bucketCount(t, reg, "sentinel_master_outage_seconds", 0.1); n != 1 {
		t.Errorf("outage le=0.1: %d, want 1", n)
	}
	// The leader's attempt: +try-failover (60 ms) to +switch-master (70 ms).
	if n := bucketCount(t, reg, "sentinel_failover_duration_seconds", 0.05); n != 1 {
		t.Errorf("failover duration le=0.05: %d, want 1", n)
	}
}

// family returns the gathered metric family name, failing the test when
// there is none.
func family(t *testing.T, reg prometheus.Gatherer, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	t.Fatalf("no metric family %s", name)
	return nil
}

// seriesValue returns the value of the counter or gauge series of family
// name whose label values, sorted by label name as gathered, are values.
func seriesValue(t *testing.T, reg prometheus.Gatherer, name string, values ...string) float64 {
	t.Helper()
series:
	for _, s := range family(t, reg, name).GetMetric() {
		if len(s.GetLabel()) != len(values) {
			continue
		}
		for i, l := range s.GetLabel() {
			if l.GetValue() != values[i] {
				continue series
			}
		}
		if c := s.GetCounter(); c != nil {
			return c.GetValue()
		}
		return s.GetGauge().GetValue()
	}
	t.Fatalf("%s%q: no such series", name, values)
	return 0
}

// bucketCount returns the cumulative count of one bucket of a histogram
// with a single series.
func bucketCount(t *testing.T, reg prometheus.Gatherer, name string, le float64) uint64 {
	t.Helper()
	for _, b := range family(t, reg, name).GetMetric()[0].GetHistogram().GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("%s: no bucket le=%v", name, le)
	return 0
}

func TestMetrics_StateGauges(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	at := time.Unix(2000, 0)
	s := &monitor.Snapshot{At: at}
	up := func(host string, role monitor.Role, flags monitor.Flags) monitor.InstanceView {
		return monitor.InstanceView{Addr: monitor.Addr{Host: host, Port: 6379}, RoleReported: role, Flags: flags,
			LastOKPing: at, InfoRefresh: at}
	}
	mv := monitor.MasterView{
		InstanceView:  up("10.0.0.1", monitor.RoleMaster, 0),
		CurrentAddr:   monitor.Addr{Host: "10.0.0.2", Port: 6379},
		FailoverStart: time.Unix(2040, 0),
		Replicas: []monitor.ReplicaView{
			{InstanceView: up("10.0.0.2", monitor.RoleReplica, 0), Priority: 100},
			{InstanceView: up("10.0.0.3", monitor.RoleReplica, monitor.FlagDisconnected|monitor.FlagSDown), Priority: 100},
		},
		Sentinels: []monitor.SentinelView{
			{InstanceView: monitor.InstanceView{Addr: monitor.Addr{Host: "10.0.0.4", Port: 26379}}},
			{InstanceView: monitor.InstanceView{Addr: monitor.Addr{Host: "10.0.0.5", Port: 26379}, Flags: monitor.FlagSDown}},
		},
	}
	mv.Name = "m1"
	// Promoted fields (set apart: a composite literal cannot name them).
	mv.Quorum, mv.FailoverTimeout, mv.ParallelSyncs, mv.DownAfter = 2, 30*time.Second, 1, 5*time.Second
	s.Masters = []monitor.MasterView{mv}
	newMetricsFor(reg, func() *monitor.Snapshot { return s }, "1.2.3", monitor.DefaultTimers())
	want := `
# HELP sentinel_master_info 1, with the master's current address (the promoted replica once a failover reached reconf_slaves).
# TYPE sentinel_master_info gauge
sentinel_master_info{address="10.0.0.2:6379",master="m1"} 1
# HELP sentinel_master_promotable_replicas Replicas that the replica selection would accept now.
# TYPE sentinel_master_promotable_replicas gauge
sentinel_master_promotable_replicas{master="m1"} 1
# HELP sentinel_master_quorum_ok 1 when SENTINEL CKQUORUM would answer OK: the reachable sentinels reach the quorum and are a majority.
# TYPE sentinel_master_quorum_ok gauge
sentinel_master_quorum_ok{master="m1"} 1
# HELP sentinel_master_next_failover_allowed_timestamp_seconds Unix time from which this sentinel may start (or vote for) another failover of the master: the last attempt's start + 2 × failover-timeout. 0 when no attempt was made.
# TYPE sentinel_master_next_failover_allowed_timestamp_seconds gauge
sentinel_master_next_failover_allowed_timestamp_seconds{master="m1"} 2100
# HELP sentinel_master_down_after_seconds The master's down-after-milliseconds, in seconds.
# TYPE sentinel_master_down_after_seconds gauge
sentinel_master_down_after_seconds{master="m1"} 5
# HELP sentinel_instance_link_up 1 while this sentinel's links to the instance work (the command link and, for data nodes, the hello subscription): the disconnected flag cleared.
# TYPE sentinel_instance_link_up gauge
sentinel_instance_link_up{address="10.0.0.1:6379",kind="master",master="m1"} 1
sentinel_instance_link_up{address="10.0.0.2:6379",kind="slave",master="m1"} 1
sentinel_instance_link_up{address="10.0.0.3:6379",kind="slave",master="m1"} 0
sentinel_instance_link_up{address="10.0.0.4:26379",kind="sentinel",master="m1"} 1
sentinel_instance_link_up{address="10.0.0.5:26379",kind="sentinel",master="m1"} 1
# HELP sentinel_master_reachable_sentinels Sentinels not SDOWN/ODOWN, this one included, as SENTINEL CKQUORUM counts them.
# TYPE sentinel_master_reachable_sentinels gauge
sentinel_master_reachable_sentinels{master="m1"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "sentinel_master_info", "sentinel_master_promotable_replicas",
		"sentinel_master_quorum_ok", "sentinel_master_next_failover_allowed_timestamp_seconds",
		"sentinel_master_down_after_seconds", "sentinel_instance_link_up", "sentinel_master_reachable_sentinels"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "sentinel_build_info"); n != 1 {
		t.Fatalf("build info series = %d", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP sentinel_master_unpromotable_replicas Replicas the replica selection would refuse now, by the first rule that refuses them.
# TYPE sentinel_master_unpromotable_replicas gauge
sentinel_master_unpromotable_replicas{master="m1",reason="disconnected"} 0
sentinel_master_unpromotable_replicas{master="m1",reason="down"} 1
sentinel_master_unpromotable_replicas{master="m1",reason="master-link-down-too-long"} 0
sentinel_master_unpromotable_replicas{master="m1",reason="not-a-replica"} 0
sentinel_master_unpromotable_replicas{master="m1",reason="priority-zero"} 0
sentinel_master_unpromotable_replicas{master="m1",reason="stale-info"} 0
sentinel_master_unpromotable_replicas{master="m1",reason="stale-ping"} 0
`), "sentinel_master_unpromotable_replicas"); err != nil {
		t.Fatal(err)
	}
}

func TestStatus_TiltCause(t *testing.T) {
	s := &monitor.Snapshot{At: time.Unix(3000, 0), Tilt: true, TiltSince: time.Unix(2990, 0), TiltCount: 1, TiltDelta: -4 * time.Second}
	mv := monitor.MasterView{}
	mv.Name = "m1"
	s.Masters = []monitor.MasterView{mv}
	loop := &Loop{}
	loop.snap.Store(s)
	v := (&statusSource{loop: loop, timers: monitor.DefaultTimers()}).view()
	if !strings.Contains(v.TiltCause, "clock went back 4s") || v.TiltDeltaMs != -4000 {
		t.Errorf("tilt cause %q delta %d", v.TiltCause, v.TiltDeltaMs)
	}
	if b := v.Masters[0].Blockers; len(b) == 0 || !strings.Contains(b[0], "TILT since") || !strings.Contains(b[0], "clock went back") {
		t.Errorf("blockers %q", b)
	}
	reg := prometheus.NewPedanticRegistry()
	newMetricsFor(reg, func() *monitor.Snapshot { return s }, "", monitor.DefaultTimers())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP sentinel_tilt_last_delta_seconds The gap between two ticks that caused the last TILT (negative: the clock went back; 0: never in TILT).
# TYPE sentinel_tilt_last_delta_seconds gauge
sentinel_tilt_last_delta_seconds -4
`), "sentinel_tilt_last_delta_seconds"); err != nil {
		t.Error(err)
	}
}

// TestMetrics_EventsDoNotWaitForAScrape: the owner loop counts events
// (metrics.event) while a scrape is still handing its series to the
// registry; it must not wait for the registry to take them.
func TestMetrics_EventsDoNotWaitForAScrape(t *testing.T) {
	h := &snapHolder{s: snapWith("m1", "m2")}
	m := newMetricsFor(prometheus.NewRegistry(), h.get, "v", monitor.Timers{})
	ch := make(chan prometheus.Metric) // unbuffered: each send waits for us
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		(&masterSeries{m: m}).Collect(ch)
	}()
	<-ch // the scrape is sending its series
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		m.event(time.Unix(1000, 0), masterEvent(monitor.EventSDown, "m1"))
	}()
	select {
	case <-counted:
	case <-time.After(10 * time.Second):
		t.Error("event waited for the scrape to be taken")
	}
	for {
		select {
		case <-ch:
		case <-collected:
			<-counted
			return
		}
	}
}
