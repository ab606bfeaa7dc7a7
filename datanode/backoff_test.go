package datanode

import (
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestBackoff_Pauses(t *testing.T) {
	// Each step: at t0+at, good replies first (if any), then a dial.
	type step struct {
		at      time.Duration
		good    time.Duration // >0: a valid reply at t0+good before this dial
		jitter  float64
		allowed bool
		wait    time.Duration // wait() right after the step, if > 0
		now     bool          // wait() right after the step must be 0
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first dial and first redial are immediate, then 250ms, 500ms, 1s, capped", []step{
			{at: 0, allowed: true, now: true},
			{at: ms(1), allowed: true, wait: ms(250)},
			{at: ms(251), allowed: true, wait: ms(500)},
			{at: ms(751), allowed: true, wait: ms(1000)},
			{at: ms(1751), allowed: true, wait: ms(1000)},
			{at: ms(2751), allowed: true, wait: ms(1000)},
		}},
		{"a dial before the pause ends is refused and changes nothing", []step{
			{at: 0, allowed: true},
			{at: ms(1), allowed: true, wait: ms(250)},
			{at: ms(100), allowed: false, wait: ms(151)},
			{at: ms(251), allowed: true, wait: ms(500)},
		}},
		{"jitter widens the pause by up to a quarter", []step{
			{at: 0, allowed: true},
			{at: ms(1), allowed: true},
			{at: ms(251), allowed: true},
			{at: ms(751), allowed: true},
			{at: ms(1751), jitter: 0.999, allowed: true, wait: ms(1000) + ms(249) + 750*time.Microsecond},
		}},
		{"a link that kept answering for a second redials at once", []step{
			{at: 0, allowed: true},
			{at: ms(1), allowed: true},
			{at: ms(251), allowed: true},
			{at: ms(751), allowed: true, wait: ms(1000)},
			{at: ms(5000), good: ms(4000), allowed: true, now: true},
			{at: ms(5001), allowed: true, wait: ms(250)},
		}},
		{"a valid reply right after connecting does not reset (answer then hang up)", []step{
			{at: 0, allowed: true},
			{at: ms(1), good: ms(1), allowed: true},
			{at: ms(251), good: ms(6), allowed: true, wait: ms(500)},
			{at: ms(751), good: ms(256), allowed: true, wait: ms(1000)},
			{at: ms(1751), good: ms(756), allowed: true, wait: ms(1000)},
			{at: ms(2751), good: ms(1756), allowed: true, wait: ms(1000)},
		}},
		{"thirty quiet seconds forget the history", []step{
			{at: 0, allowed: true},
			{at: ms(1), allowed: true},
			{at: ms(251), allowed: true},
			{at: ms(751), allowed: true, wait: ms(1000)},
			{at: ms(30751), allowed: true, now: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackoff(DefaultReconnectInitial, DefaultReconnectMax)
			for i, s := range tc.steps {
				if s.good > 0 {
					b.good(t0.Add(s.good))
				}
				now := t0.Add(s.at)
				if got := b.dial(now, s.jitter); got != s.allowed {
					t.Fatalf("step %d at %v: dial allowed = %v, want %v", i, s.at, got, s.allowed)
				}
				if got := b.wait(now); (s.wait > 0 || s.now) && got != s.wait {
					t.Fatalf("step %d at %v: wait = %v, want %v", i, s.at, got, s.wait)
				}
			}
		})
	}
}

// TestBackoff_NeverFasterThanRedis drives a link that fails on every dial
// as fast as the backoff allows and counts dials per 30 s: Redis reconnects
// an instance at most once per second.
func TestBackoff_NeverFasterThanRedis(t *testing.T) {
	for _, jitter := range []float64{0, 0.5, 0.999} {
		b := newBackoff(DefaultReconnectInitial, DefaultReconnectMax)
		now := t0
		dials := 0
		for now.Before(t0.Add(30 * time.Second)) {
			if !b.dial(now, jitter) {
				t.Fatalf("dial at %v refused right after its wait", now.Sub(t0))
			}
			dials++
			now = now.Add(max(b.wait(now), time.Millisecond))
		}
		// Two immediate dials, one after 250 ms, then ≥ 1 s apart like
		// Redis: at most 3 + 30.
		if dials > 33 || dials < 20 {
			t.Errorf("jitter %v: %d dials in 30 s, want 20..33 (Redis: 30)", jitter, dials)
		}
	}
}

func TestBackoff_Disabled(t *testing.T) {
	b := newBackoff(DefaultReconnectInitial, -1)
	for i := range 10 {
		if !b.dial(t0, 0) || b.wait(t0) != 0 {
			t.Fatalf("dial %d refused with the backoff off", i)
		}
	}
}

func TestBackoff_HugeStreakDoesNotOverflow(t *testing.T) {
	b := newBackoff(DefaultReconnectInitial, DefaultReconnectMax)
	b.streak = 200
	if p := b.pause(0.5); p < DefaultReconnectMax || p > DefaultReconnectMax*5/4 {
		t.Fatalf("pause after 200 failures = %v, want the cap", p)
	}
}

func TestHoldForDial(t *testing.T) {
	tests := []struct {
		wait, remaining time.Duration
		hold            bool
	}{
		{0, time.Second, false},           // nothing to wait for
		{ms(250), time.Second, true},      // the PING waits out the last quarter second
		{ms(500), time.Second, true},      // half its time is still left
		{ms(501), time.Second, false},     // too little would be left: fail now
		{time.Second, time.Second, false}, // right after a failure: fail now
		{ms(10), 0, false},                // no time at all
	}
	for _, tc := range tests {
		if got := holdForDial(tc.wait, tc.remaining); got != tc.hold {
			t.Errorf("holdForDial(%v, %v) = %v, want %v", tc.wait, tc.remaining, got, tc.hold)
		}
	}
}

// TestBackoff_RefusedDialsAreNotPaced: a node that is down (nothing
// listens) is probed at the caller's cadence, so its restart is seen at
// once; a node that accepts and then misbehaves is still paced.
func TestBackoff_RefusedDialsAreNotPaced(t *testing.T) {
	b := newBackoff(DefaultReconnectInitial, DefaultReconnectMax)
	now := t0
	for k := range 40 { // 10 s of probes every 250 ms, all refused
		if !b.dial(now, 0.5) {
			t.Fatalf("refused-connection probe %d at %v was deferred", k, now.Sub(t0))
		}
		b.refused()
		if w := b.wait(now); w != 0 {
			t.Fatalf("after a refused dial the next must be allowed at once, wait %v", w)
		}
		now = now.Add(250 * time.Millisecond)
	}
	// The node is back but closes every connection: paced again.
	allowed := 0
	for range 40 {
		if b.dial(now, 0.5) {
			allowed++
		}
		now = now.Add(250 * time.Millisecond)
	}
	if allowed > 15 {
		t.Fatalf("%d of 40 dials 250 ms apart allowed against a node that accepts and closes; want the backoff to pace them", allowed)
	}
}
