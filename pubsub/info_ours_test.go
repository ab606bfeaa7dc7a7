package pubsub

import (
	"strings"
	"testing"
	"time"
)

// INFO's sentinel section gains our fields only when there is something
// to say: a TILT happened (its cause and gap), a master is paused.
func TestInfoSentinel_TiltCauseAndPause(t *testing.T) {
	s := fixtureSnapshot()
	plain := InfoSentinelSection(s)
	if strings.Contains(plain, "sentinel_tilt_last") || strings.Contains(plain, "paused=") {
		t.Fatalf("our fields without a TILT or a pause:\n%s", plain)
	}
	s.TiltCount, s.TiltDelta = 1, -3*time.Second
	s.Masters[0].PausedUntil = s.At.Add(90 * time.Second)
	text := InfoSentinelSection(s)
	for _, want := range []string{"sentinel_tilt_last_cause:clock_back\r\n", "sentinel_tilt_last_delta_ms:-3000\r\n", ",paused=90\r\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("INFO lacks %q:\n%s", want, text)
		}
	}
}
