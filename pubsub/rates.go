package pubsub

import (
	"sync"
	"sync/atomic"
	"time"
)

// rateSampler gives INFO's instantaneous_ops_per_sec and
// instantaneous_input/output_kbps. Redis samples its counters every
// 100 ms and averages the last 16 rates; here a sample is taken at most
// every 100 ms when a command runs (no goroutine of its own), and the rate
// is measured from the oldest sample of the last 1.6 s to now.
type rateSampler struct {
	last    atomic.Int64 // UnixNano of the newest sample
	mu      sync.Mutex
	samples [rateSamples]rateSample
	next    int // ring index of the next sample
	n       int // samples held
}

const (
	rateSamples  = 16
	rateInterval = 100 * time.Millisecond
)

type rateSample struct {
	at                      time.Time
	commands, netIn, netOut int64
}

func (st *serverStats) current(now time.Time) rateSample {
	return rateSample{at: now, commands: st.commands.Load(), netIn: st.netIn.Load(), netOut: st.netOut.Load()}
}

// sample records the counters when the newest sample is 100 ms old.
func (r *rateSampler) sample(now time.Time, st *serverStats) {
	if now.UnixNano()-r.last.Load() < int64(rateInterval) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.UnixNano()-r.last.Load() < int64(rateInterval) {
		return
	}
	r.last.Store(now.UnixNano())
	r.samples[r.next] = st.current(now)
	r.next = (r.next + 1) % rateSamples
	r.n = min(r.n+1, rateSamples)
}

// rates returns commands per second and KB/s in and out since the oldest
// sample no older than 16 intervals (or the newest sample, when all are
// older); zeros before any sample.
func (r *rateSampler) rates(now time.Time, st *serverStats) (ops, inKbps, outKbps float64) {
	r.mu.Lock()
	var from rateSample
	found := false
	for i := range r.n {
		s := r.samples[(r.next-r.n+i+rateSamples)%rateSamples] // oldest first
		if now.Sub(s.at) <= rateSamples*rateInterval || i == r.n-1 {
			from, found = s, true
			break
		}
	}
	r.mu.Unlock()
	cur := st.current(now)
	dt := cur.at.Sub(from.at).Seconds()
	if !found || dt <= 0 {
		return 0, 0, 0
	}
	return float64(cur.commands-from.commands) / dt,
		float64(cur.netIn-from.netIn) / 1024 / dt,
		float64(cur.netOut-from.netOut) / 1024 / dt
}
