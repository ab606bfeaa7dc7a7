package monitor

import (
	"strings"
	"testing"
	"time"
)

// A tick that comes late puts the core in TILT; the event keeps Redis's
// payload and says the cause in Detail, and the snapshot keeps the gap.
func TestTiltCause(t *testing.T) {
	for _, tc := range []struct {
		gap  time.Duration
		want string
	}{{5 * time.Second, "no tick for 5s"}, {-3 * time.Second, "the clock went back 3s"}} {
		c := newTestCore(t, Config{})
		mustStep(t, c, Tick{At: at(10 * time.Second)})
		c.Ready()
		mustStep(t, c, Tick{At: at(10*time.Second + tc.gap)})
		var tilt *Event
		rd := c.Ready()
		for i := range rd.Events {
			if rd.Events[i].Type == EventTilt {
				tilt = &rd.Events[i]
			}
		}
		if tilt == nil {
			t.Fatalf("gap %v: no +tilt in %v", tc.gap, eventTypes(rd))
		}
		if tilt.Payload() != "#tilt mode entered" || !strings.Contains(tilt.Detail, tc.want) {
			t.Errorf("gap %v: payload %q detail %q", tc.gap, tilt.Payload(), tilt.Detail)
		}
		if d := c.Snapshot(at(time.Minute)).TiltDelta; d != tc.gap {
			t.Errorf("snapshot TiltDelta = %v, want %v", d, tc.gap)
		}
	}
}
