package history

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

var (
	masterAddr  = monitor.Addr{Host: "127.0.0.1", Port: 6379}
	replicaAddr = monitor.Addr{Host: "127.0.0.1", Port: 6380}
)

func onMaster(typ string) monitor.Event {
	return monitor.Event{Type: typ, Level: monitor.LevelWarning,
		Instance: &monitor.InstanceRef{Kind: monitor.KindMaster, Name: "m", Addr: masterAddr}}
}

func onReplica(typ string) monitor.Event {
	return monitor.Event{Type: typ, Level: monitor.LevelWarning,
		Instance: &monitor.InstanceRef{Kind: monitor.KindReplica, Name: replicaAddr.String(), Addr: replicaAddr,
			MasterName: "m", MasterAddr: masterAddr}}
}

func custom(typ, extra string) monitor.Event {
	return monitor.Event{Type: typ, Level: monitor.LevelWarning, Master: "m", Extra: extra}
}

// leaderFailover is the leader's event stream of one failover, 10 ms apart.
func leaderFailover(t *Tracker, t0 time.Time) time.Time {
	evs := []monitor.Event{
		onMaster(monitor.EventSDown),
		onMaster(monitor.EventODown),
		custom(monitor.EventNewEpoch, "7"),
		onMaster(monitor.EventTryFailover),
		custom(monitor.EventVoteForLeader, "abc 7"),
		onMaster(monitor.EventElectedLeader),
		onMaster(monitor.EventFailoverStateSelectSlave),
		onReplica(monitor.EventSelectedSlave),
		onReplica(monitor.EventPromotedSlave),
		onMaster(monitor.EventFailoverEnd),
		custom(monitor.EventSwitchMaster, "m 127.0.0.1 6379 127.0.0.1 6380"),
	}
	at := t0
	for _, e := range evs {
		at = at.Add(10 * time.Millisecond)
		t.Observe(at, e)
	}
	return at
}

func TestTracker_LeaderFailover(t *testing.T) {
	tr := NewTracker("me")
	t0 := time.Unix(1000, 0)
	leaderFailover(tr, t0)
	rs := tr.Records("m")
	if len(rs) != 1 {
		t.Fatalf("records = %d, want 1", len(rs))
	}
	r := rs[0]
	if r.Result != ResultSwitched || r.From != "127.0.0.1:6379" || r.To != "127.0.0.1:6380" ||
		r.Leader != "me" || r.Epoch != 7 || r.Attempts != 1 || len(r.Events) != 11 {
		t.Fatalf("record = %+v", r)
	}
	want := map[string]time.Duration{PhaseSDown: 10, PhaseODown: 20, PhaseElected: 60, PhasePromoted: 90, PhaseReconfigured: 100, PhaseSwitched: 110}
	for name, ms := range want {
		if got := r.PhaseAt(name); !got.Equal(t0.Add(ms * time.Millisecond)) {
			t.Errorf("phase %s at %v, want +%d ms", name, got.Sub(t0), ms)
		}
	}
	if !r.End.Equal(t0.Add(110 * time.Millisecond)) {
		t.Errorf("end = %v", r.End)
	}
}

func TestTracker_BlipsRecoveriesAndBounds(t *testing.T) {
	tr := NewTracker("me")
	t0 := time.Unix(1000, 0)
	// A replica going down opens nothing.
	if tr.Observe(t0, onReplica(monitor.EventSDown)) {
		t.Fatal("a replica's +sdown opened a record")
	}
	// The master down then back: a recovered record.
	tr.Observe(t0, onMaster(monitor.EventSDown))
	tr.Observe(t0.Add(time.Second), onReplica(monitor.EventSDownCleared)) // not the master's
	tr.Observe(t0.Add(2*time.Second), onMaster(monitor.EventTryFailover))
	tr.Observe(t0.Add(3*time.Second), onMaster(monitor.EventFailoverAbortNoGoodSlave))
	tr.Observe(t0.Add(4*time.Second), onMaster(monitor.EventSDownCleared))
	rs := tr.Records("m")
	if len(rs) != 1 || rs[0].Result != ResultRecovered || rs[0].LastAbort != monitor.EventFailoverAbortNoGoodSlave || rs[0].Attempts != 1 {
		t.Fatalf("records = %+v", rs)
	}
	// Many failovers: only the last MaxRecords stay.
	at := t0.Add(time.Minute)
	for range MaxRecords + 3 {
		at = leaderFailover(tr, at)
	}
	if n := len(tr.Records("m")); n != MaxRecords {
		t.Fatalf("records = %d, want %d", n, MaxRecords)
	}
	// A long record keeps MaxEvents and counts the rest.
	tr.Observe(at, onMaster(monitor.EventSDown))
	for range MaxEvents + 5 {
		tr.Observe(at, onReplica(monitor.EventSlaveReconfSent))
	}
	rs = tr.Records("m")
	if last := rs[len(rs)-1]; len(last.Events) != MaxEvents || last.DroppedEvents != 6 {
		t.Fatalf("events = %d, dropped = %d", len(last.Events), last.DroppedEvents)
	}
	// SENTINEL REMOVE forgets the master.
	tr.Observe(at, onMaster(monitor.EventMonitorRemoved))
	if n := len(tr.Records("m")); n != 0 {
		t.Fatalf("after -monitor: %d records", n)
	}
}

func TestCodec_RoundTripAndRestore(t *testing.T) {
	tr := NewTracker("me")
	t0 := time.Unix(1000, 0).UTC()
	leaderFailover(tr, t0)
	tr.Observe(t0.Add(time.Minute), onMaster(monitor.EventSDown)) // left in progress
	data, err := Encode(tr.All())
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, tr.All()) {
		t.Fatalf("round trip differs:\n%+v\n%+v", back, tr.All())
	}
	tr2 := NewTracker("me")
	tr2.Restore(back)
	rs := tr2.Records("m")
	if len(rs) != 2 || rs[1].Result != ResultInterrupted || rs[0].Result != ResultSwitched {
		t.Fatalf("restored = %+v", rs)
	}
	if tr2.Keep(map[string]bool{"other": true}) != true || len(tr2.All()) != 0 {
		t.Fatal("Keep did not drop a removed master")
	}
}

func TestDecode_Refuses(t *testing.T) {
	for name, in := range map[string]string{
		"not json":      "version: 1",
		"version":       `{"version":2,"masters":{}}`,
		"unknown field": `{"version":1,"masters":{},"x":1}`,
		"wrong master":  `{"version":1,"masters":{"a":[{"master":"b","result":"switched"}]}}`,
		"bad result":    `{"version":1,"masters":{"a":[{"master":"a","result":"??"}]}}`,
		"bad phase":     `{"version":1,"masters":{"a":[{"master":"a","result":"switched","phases":[{"name":"x"}]}]}}`,
		"empty name":    `{"version":1,"masters":{"":[]}}`,
		"trailing":      `{"version":1,"masters":{}} {}`,
	} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrBadFile) {
			t.Errorf("%s: err = %v, want ErrBadFile", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	tr := NewTracker("me")
	leaderFailover(tr, time.Unix(1000, 0))
	good, _ := Encode(tr.All())
	f.Add(good)
	f.Add([]byte(`{"version":1,"masters":{}}`))
	f.Add([]byte(`{"version":1,"masters":{"a":[{"master":"a","result":"in_progress","events":[{"type":"+sdown"}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		all, err := Decode(data)
		if err != nil {
			return
		}
		for name, rs := range all {
			if len(rs) > MaxRecords {
				t.Fatalf("%s: %d records", name, len(rs))
			}
			for _, r := range rs {
				if r.Master != name || len(r.Events) > MaxEvents {
					t.Fatalf("kept a bad record: %+v", r)
				}
			}
		}
		// What Decode accepts, Encode writes and Decode reads again.
		again, err := Encode(all)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(again); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		NewTracker("x").Restore(all)
	})
}
