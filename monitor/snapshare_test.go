package monitor

import (
	"reflect"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// twoMastersWithPeers has two masters, each with a known replica and a
// known peer; the peer is the same sentinel for both (one shared link).
func twoMastersWithPeers() Config {
	peer := KnownSentinel{Addr: addr("10.0.0.9", 26379), RunID: "peer"}
	mc := func(name string, host string) MasterConfig {
		return MasterConfig{Name: name, Addr: addr(host, 6379),
			MasterSettings: settings.MasterSettings{Quorum: 2, DownAfter: time.Second, FailoverTimeout: 3 * time.Second},
			KnownReplicas:  []Addr{addr(host, 6380)}, KnownSentinels: []KnownSentinel{peer}}
	}
	return Config{MyID: "me", Masters: []MasterConfig{mc("a", "10.0.0.1"), mc("b", "10.0.0.2")}}
}

// sameArray reports whether two slices share their first element.
func sameArray[E any](x, y []E) bool {
	return len(x) > 0 && len(y) > 0 && &x[0] == &y[0]
}

// Consecutive snapshots share the replica and sentinel views of a master
// that did not change, and copy those that did; what they contain is what
// a fresh build gives.
func TestSnapshot_SharesUnchangedViews(t *testing.T) {
	c := newTestCore(t, twoMastersWithPeers())
	mustStep(t, c, Tick{At: at(0)})
	s1 := c.Snapshot(at(0))
	s2 := c.Snapshot(at(0))
	for k := range s1.Masters {
		if !sameArray(s1.Masters[k].Replicas, s2.Masters[k].Replicas) || !sameArray(s1.Masters[k].Sentinels, s2.Masters[k].Sentinels) {
			t.Fatalf("master %s: nothing changed but its views were copied", s1.Masters[k].Name)
		}
	}

	// A reply from a's replica changes a's replica view only.
	mustStep(t, c, PingResult{At: at(10 * time.Millisecond), Target: addr("10.0.0.1", 6380), Kind: ReplyPong})
	s3 := c.Snapshot(at(10 * time.Millisecond))
	a, b := s3.Master("a"), s3.Master("b")
	if sameArray(s2.Master("a").Replicas, a.Replicas) {
		t.Fatal("a's replica answered a PING but the old view was handed out again")
	}
	if a.Replicas[0].LastPingRply != at(10*time.Millisecond) {
		t.Fatalf("a's replica: last ping reply %v, want the PONG's time", a.Replicas[0].LastPingRply)
	}
	if !sameArray(s2.Master("b").Replicas, b.Replicas) || !sameArray(s2.Master("a").Sentinels, a.Sentinels) {
		t.Fatal("views that did not change were copied")
	}
	// The shared peer link's reply changes both masters' sentinel views.
	mustStep(t, c, PingResult{At: at(20 * time.Millisecond), Target: addr("10.0.0.9", 26379), Kind: ReplyPong})
	s4 := c.Snapshot(at(20 * time.Millisecond))
	for _, name := range []string{"a", "b"} {
		if sameArray(s3.Master(name).Sentinels, s4.Master(name).Sentinels) {
			t.Fatalf("master %s: the peer answered but its old sentinel view was handed out again", name)
		}
	}

	// Whatever was shared, the snapshot equals one built from scratch.
	fresh := *c
	fresh.views = viewCache{}
	if want := fresh.Snapshot(at(20 * time.Millisecond)); !reflect.DeepEqual(s4, want) {
		t.Fatalf("snapshot with shared views differs from a fresh one:\n got %+v\nwant %+v", s4, want)
	}
	// An older snapshot is never changed by a later one.
	if s1.Masters[0].Replicas[0].LastPingRply != (time.Time{}) {
		t.Fatal("a published snapshot changed after the fact")
	}
}
