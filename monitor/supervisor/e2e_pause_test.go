package supervisor

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

func sentinelDo(t *testing.T, s *ourSentinel, args ...any) (any, error) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
	defer c.Close()
	return c.Do(t.Context(), args...).Result()
}

// TestE2E_PauseHoldsFailover: SENTINEL PAUSE on every sentinel holds the
// failover of a dead master (they agree it is ODOWN and do nothing, and
// say why on /status); OFF lets it happen.
func TestE2E_PauseHoldsFailover(t *testing.T) {
	requireRedis(t)
	ours, topo := threeOfOurs(t)
	for _, s := range ours {
		if v, err := sentinelDo(t, s, "SENTINEL", "PAUSE", "mymaster", "300"); err != nil || v != "OK" {
			t.Fatalf("%s: PAUSE = %v, %v", s.addr(), v, err)
		}
	}
	if !strings.Contains(ours[0].scrape(), "sentinel_master_paused_until_timestamp_seconds{master=\"mymaster\"} 1") {
		t.Errorf("/metrics lacks a pause end time")
	}
	old := topo.Master.Addr()
	if err := topo.Master.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, s := range ours {
		datanodetest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() bool {
			st := statusOf(t, s)
			return len(st.Masters) == 1 && st.Masters[0].Status == "odown" && st.Masters[0].PausedUntil != nil &&
				len(st.Masters[0].Blockers) > 0 && strings.Contains(st.Masters[0].Blockers[0], "paused")
		}, "%s: the master ODOWN, held by the pause", s.addr())
	}
	// Held: for three seconds (three failover-start checks of every tick
	// and well past the candidacy delays), nobody starts a failover.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range ours {
			st := statusOf(t, s)
			if len(st.Masters) == 1 && (st.Masters[0].FailoverState != "none" || st.Masters[0].CurrentAddress != old) {
				t.Fatalf("%s: failover while paused: %s, master %s", s.addr(), st.Masters[0].FailoverState, st.Masters[0].CurrentAddress)
			}
		}
		time.Sleep(100 * time.Millisecond) // sampling a window, not waiting for an event
	}
	for _, s := range ours {
		if _, err := sentinelDo(t, s, "SENTINEL", "PAUSE", "mymaster", "OFF"); err != nil {
			t.Fatal(err)
		}
	}
	waitSwitch(t, ours, old)
}
