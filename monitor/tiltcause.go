package monitor

import "time"

// TiltCause says why a tick gap of delta (against tilt-trigger) put the
// sentinel in TILT, for the log, /status and the status page.
func TiltCause(delta, trigger time.Duration) string {
	if delta < 0 {
		return "the clock went back " + (-delta).String() + " between two ticks"
	}
	return "no tick for " + delta.String() + " (tilt-trigger " + trigger.String() +
		"): the process stalled (paused, swapped, starved of CPU) or the clock jumped forward"
}
