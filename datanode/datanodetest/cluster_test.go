package datanodetest

import (
	"testing"
	"time"
)

func TestParseSwitchMaster(t *testing.T) {
	cases := []struct {
		payload string
		want    SwitchMaster
		wantErr bool
	}{
		{"mymaster 127.0.0.1 6379 127.0.0.1 6380", SwitchMaster{"mymaster", "127.0.0.1:6379", "127.0.0.1:6380"}, false},
		{"mymaster 127.0.0.1 6379 127.0.0.1", SwitchMaster{}, true},
		{"mymaster 127.0.0.1 x 127.0.0.1 6380", SwitchMaster{}, true},
		{"mymaster 127.0.0.1 6379 127.0.0.1 70000", SwitchMaster{}, true},
		{"", SwitchMaster{}, true},
	}
	for _, tc := range cases {
		got, err := ParseSwitchMaster(tc.payload)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseSwitchMaster(%q) = %+v, %v; want %+v, err %v", tc.payload, got, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParseSwitchMaster(f *testing.F) {
	f.Add("mymaster 127.0.0.1 6379 127.0.0.1 6380")
	f.Add("m ::1 1 ::1 65535")
	f.Add("a b c d e")
	f.Add("   ")
	f.Fuzz(func(t *testing.T, payload string) {
		sm, err := ParseSwitchMaster(payload)
		if err != nil {
			return
		}
		// Re-rendering the parsed value and parsing again gives the same value.
		oldHost, oldPort := splitLast(sm.OldAddr)
		newHost, newPort := splitLast(sm.NewAddr)
		again, err := ParseSwitchMaster(sm.Name + " " + oldHost + " " + oldPort + " " + newHost + " " + newPort)
		if err != nil || again != sm {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", payload, again, err, sm)
		}
	})
}

func splitLast(addr string) (string, string) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:]
		}
	}
	return addr, ""
}

// TestCluster_FailoverObserved runs the whole harness once against
// redis-sentinel: settle, watch events, kill the master, see the switch.
func TestCluster_FailoverObserved(t *testing.T) {
	c := StartCluster(t, ClusterOptions{
		Replicas:        2,
		Sentinels:       3,
		Quorum:          2,
		DownAfter:       200 * time.Millisecond,
		FailoverTimeout: 5 * time.Second,
	})
	if err := c.WaitSettled(t.Context(), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	oldMaster := c.Topology.Master.Addr()
	if got := c.AgreedMaster(t.Context()); got != oldMaster {
		t.Fatalf("sentinels agree on %q before the kill, want %s", got, oldMaster)
	}
	w, err := WatchEvents(t.Context(), c.SentinelAddrs(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })

	killedAt := time.Now()
	if err := c.Topology.Master.Kill(); err != nil {
		t.Fatal(err)
	}
	var sm SwitchMaster
	Eventually(t, 20*time.Second, 20*time.Millisecond, func() bool {
		ev, ok := w.First("+switch-master", killedAt, nil)
		if !ok {
			return false
		}
		sm, err = ParseSwitchMaster(ev.Payload)
		return err == nil
	}, "a +switch-master event")
	if sm.Name != c.MasterName || sm.OldAddr != oldMaster || c.ProcessByAddr(sm.NewAddr) == nil || sm.NewAddr == oldMaster {
		t.Fatalf("+switch-master %+v: want %s from %s to one of the replicas", sm, c.MasterName, oldMaster)
	}
	if _, ok := w.First("+sdown", killedAt, func(e SentinelEvent) bool { return e.IsMasterEvent(c.MasterName) }); !ok {
		t.Fatal("no +sdown for the master before the switch")
	}
	Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		return c.AgreedMaster(t.Context()) == sm.NewAddr
	}, "all sentinels report %s", sm.NewAddr)
}
