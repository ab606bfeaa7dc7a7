package supervisor

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor/history"
)

// threeOfOurs runs three of our sentinels over a master and two
// replicas and waits until they know each other.
func threeOfOurs(t *testing.T) ([]*ourSentinel, *datanodetest.Topology) {
	t.Helper()
	topo := datanodetest.StartTopology(t, 2)
	var ours []*ourSentinel
	for range 3 {
		ours = append(ours, startOurs(t, addrOf(topo.Master), 2, time.Second, ""))
	}
	for _, s := range ours {
		waitSettled(t, s.addr(), 2, 2)
	}
	return ours, topo
}

// killAndSwitch kills the master and waits until every sentinel has
// switched; it returns the new master's address.
func killAndSwitch(t *testing.T, ours []*ourSentinel, topo *datanodetest.Topology) string {
	t.Helper()
	if err := topo.Master.Kill(); err != nil {
		t.Fatal(err)
	}
	return waitSwitch(t, ours, topo.Master.Addr())
}

// waitSwitch waits until every sentinel names a master other than old.
func waitSwitch(t *testing.T, ours []*ourSentinel, old string) string {
	t.Helper()
	var newAddr string
	for _, s := range ours {
		sc := s.client()
		datanodetest.Eventually(t, 30*time.Second, 20*time.Millisecond, func() bool {
			a, err := sc.GetMasterAddrByName(t.Context(), "mymaster").Result()
			if err != nil || a[0]+":"+a[1] == old {
				return false
			}
			newAddr = a[0] + ":" + a[1]
			return true
		}, "sentinel %s should switch", s.addr())
	}
	return newAddr
}

// failoverOfOurs is threeOfOurs then killAndSwitch.
func failoverOfOurs(t *testing.T) ([]*ourSentinel, *datanodetest.Topology, string) {
	t.Helper()
	ours, topo := threeOfOurs(t)
	return ours, topo, killAndSwitch(t, ours, topo)
}

// statusOf reads /status; a zero view when it cannot (not listening yet).
func statusOf(t *testing.T, s *ourSentinel) statusView {
	t.Helper()
	var v statusView
	resp, err := http.Get("http://" + s.metrics + "/status")
	if err != nil {
		return v
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Logf("/status: %v", err)
	}
	return v
}

// TestE2E_FailoverHistory: every sentinel records the failover (the
// leader with all its phases), SENTINEL HISTORY and /status show it, the
// outage histogram has it, and it survives a restart.
func TestE2E_FailoverHistory(t *testing.T) {
	requireRedis(t)
	ours, topo, newAddr := failoverOfOurs(t)
	leaders := 0
	for _, s := range ours {
		var rec history.Record
		datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
			st := statusOf(t, s)
			if len(st.Masters) != 1 || len(st.Masters[0].History) == 0 {
				return false
			}
			rec = st.Masters[0].History[len(st.Masters[0].History)-1]
			return rec.Result == history.ResultSwitched
		}, "sentinel %s: a switched record on /status", s.addr())
		if rec.From != topo.Master.Addr() || rec.To != newAddr {
			t.Errorf("%s: from %s to %s, want %s to %s", s.addr(), rec.From, rec.To, topo.Master.Addr(), newAddr)
		}
		for _, p := range []string{history.PhaseSDown, history.PhaseSwitched} {
			if rec.PhaseAt(p).IsZero() {
				t.Errorf("%s: no %s phase in %+v", s.addr(), p, rec.Phases)
			}
		}
		if !rec.PhaseAt(history.PhaseElected).IsZero() {
			leaders++
			for _, p := range []string{history.PhaseODown, history.PhasePromoted, history.PhaseReconfigured} {
				if rec.PhaseAt(p).IsZero() {
					t.Errorf("leader %s: no %s phase in %+v", s.addr(), p, rec.Phases)
				}
			}
		}
		if !strings.Contains(s.scrape(), `sentinel_master_outage_seconds_count{master="mymaster"} 1`) {
			t.Errorf("%s: the outage histogram lacks the failover", s.addr())
		}
		// SENTINEL HISTORY, through go-redis.
		rc := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
		v, err := rc.Do(t.Context(), "SENTINEL", "HISTORY", "mymaster").Slice()
		rc.Close()
		if err != nil || len(v) != 1 {
			t.Fatalf("%s: SENTINEL HISTORY = %v, %v", s.addr(), v, err)
		}
		if got := fmt.Sprint(v[0]); !strings.Contains(got, "switched") || !strings.Contains(got, newAddr) {
			t.Errorf("%s: SENTINEL HISTORY record %s", s.addr(), got)
		}
	}
	// What the page polls: phases without the events.
	resp, err := http.Get("http://" + ours[0].metrics + "/status?events=0")
	if err != nil {
		t.Fatal(err)
	}
	var lean statusView
	err = json.NewDecoder(resp.Body).Decode(&lean)
	resp.Body.Close()
	if err != nil || len(lean.Masters) != 1 || len(lean.Masters[0].History) != 1 ||
		len(lean.Masters[0].History[0].Events) != 0 || len(lean.Masters[0].History[0].Phases) < 2 {
		t.Errorf("/status?events=0: %v %+v", err, lean.Masters)
	}
	if leaders != 1 {
		t.Errorf("%d sentinels recorded being elected, want 1", leaders)
	}

	// Kept across a restart.
	s := ours[1]
	s.stop()
	s.start()
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		st := statusOf(t, s)
		return len(st.Masters) == 1 && len(st.Masters[0].History) == 1 && st.Masters[0].History[0].Result == history.ResultSwitched
	}, "the failover on /status after a restart")
}
