package datanode

import (
	"testing"
	"time"
)

// A burst of new targets opens its hello subscriptions helloSpacing apart,
// never more than helloStaggerMax late; a lone target later is not delayed.
func TestPool_HelloDelay(t *testing.T) {
	p := &Pool{}
	now := time.Unix(1000, 0)
	for i := range 600 {
		want := min(time.Duration(i)*helloSpacing, helloStaggerMax)
		if got := p.helloDelay(now); got != want {
			t.Fatalf("target %d of a burst: delay %v, want %v", i, got, want)
		}
	}
	if got := p.helloDelay(now.Add(time.Minute)); got != 0 {
		t.Fatalf("a target watched a minute later waits %v, want 0", got)
	}
}
