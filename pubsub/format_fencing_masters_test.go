package pubsub

import (
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// withheldSnapshot is fixtureSnapshot plus a second master, "other",
// without fencing; mymaster has fencing on and, when cut, its only peer
// SDOWN (1 of 2 sentinels reached: no majority).
func withheldSnapshot(cut bool, raftNoMajority bool) *monitor.Snapshot {
	snap := fixtureSnapshot()
	other := fixtureSnapshot().Masters[0]
	other.Name = "other"
	other.Addr = monitor.Addr{Host: "127.0.0.1", Port: 16390}
	other.CurrentAddr = other.Addr
	snap.Masters = append(snap.Masters, other)
	m := &snap.Masters[0]
	m.Fencing = true
	m.Sentinels[0].LastOKPing = snap.At.Add(-time.Second)
	m.Sentinels[0].LastPingRply = snap.At.Add(-time.Second)
	if cut {
		m.Sentinels[0].Flags |= monitor.FlagSDown
	}
	if raftNoMajority {
		snap.Raft = &monitor.RaftView{NodeID: "s1", State: "Follower", Term: 3, Voters: 3, NoMajority: true}
	}
	return snap
}

// mastersListed returns the names SENTINEL MASTERS lists.
func mastersListed(t *testing.T, v resp.Value) []string {
	t.Helper()
	if v.Kind != resp.KindArray {
		t.Fatalf("SENTINEL MASTERS: %+v", v)
	}
	var names []string
	for _, e := range v.Elems {
		for i := 0; i+1 < len(e.Elems); i += 2 {
			if e.Elems[i].Str == "name" {
				names = append(names, e.Elems[i+1].Str)
			}
		}
	}
	return names
}

// A withheld master is, to a client's discovery, a master this sentinel
// does not know: SENTINEL MASTERS leaves it out (redis-py reads it and
// then asks the next sentinel), as GET-MASTER-ADDR-BY-NAME answers null.
// The operator's by-name views still answer, and SENTINEL MASTER says why.
func TestSentinelMastersLeavesWithheldOut(t *testing.T) {
	ts := startServer(t, nil)
	serve := func(snap *monitor.Snapshot) {
		ts.ctrl.mu.Lock()
		ts.ctrl.snap = snap
		ts.ctrl.mu.Unlock()
	}
	c := dialRaw(t, ts.addr)

	serve(withheldSnapshot(false, false))
	if got := mastersListed(t, c.do("SENTINEL", "MASTERS")); len(got) != 2 {
		t.Fatalf("with a majority: SENTINEL MASTERS lists %v, want both", got)
	}
	if v := c.do("SENTINEL", "MASTER", "mymaster"); fieldOf(v, "authority") != "" {
		t.Fatalf("with a majority: SENTINEL MASTER shows authority %q", fieldOf(v, "authority"))
	}

	serve(withheldSnapshot(true, false))
	if got := mastersListed(t, c.do("SENTINEL", "MASTERS")); len(got) != 1 || got[0] != "other" {
		t.Fatalf("withheld: SENTINEL MASTERS lists %v, want only other", got)
	}
	v := c.do("SENTINEL", "MASTER", "mymaster")
	if fieldOf(v, "name") != "mymaster" || fieldOf(v, "authority") != "no-majority(1/2)" || fieldOf(v, "flags") != "master" {
		t.Fatalf("withheld: SENTINEL MASTER = %+v, want the master with authority no-majority(1/2)", v)
	}
	if v := c.do("SENTINEL", "REPLICAS", "mymaster"); v.Kind != resp.KindArray || len(v.Elems) != 1 {
		t.Fatalf("withheld: SENTINEL REPLICAS = %+v, want the announced replica", v)
	}
	if v := c.do("SENTINEL", "SENTINELS", "mymaster"); v.Kind != resp.KindArray || len(v.Elems) != 1 {
		t.Fatalf("withheld: SENTINEL SENTINELS = %+v, want the peer", v)
	}
	if v := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); v.Kind != resp.KindNull {
		t.Fatalf("withheld: GET-MASTER-ADDR-BY-NAME = %+v, want null", v)
	}

	// Raft mode without leader contact withholds every master.
	serve(withheldSnapshot(false, true))
	if got := mastersListed(t, c.do("SENTINEL", "MASTERS")); len(got) != 0 {
		t.Fatalf("raft, no majority: SENTINEL MASTERS lists %v, want none", got)
	}
}

// fieldOf reads one field of a field-map reply.
func fieldOf(v resp.Value, name string) string {
	for i := 0; i+1 < len(v.Elems); i += 2 {
		if v.Elems[i].Str == name {
			return v.Elems[i+1].Str
		}
	}
	return ""
}
