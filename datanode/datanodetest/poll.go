package datanodetest

import (
	"context"
	"fmt"
	"time"

	"github.com/sentinelgo/sentinel/sleep"
)

// Poll calls cond every tick until it returns true, the context ends, or
// timeout passes, whichever is first. It is the bounded wait that real
// processes need (they give no callback when they reach a state).
func Poll(ctx context.Context, timeout, tick time.Duration, cond func() bool) error {
	if tick <= 0 {
		return fmt.Errorf("datanodetest: poll tick must be positive, got %v", tick)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			// One last look: the condition may have become true while we waited.
			if cond() {
				return nil
			}
			return fmt.Errorf("datanodetest: condition not met: %w", ctx.Err())
		case <-ticker.C:
		}
	}
}

// Sleep waits d, or less when ctx ends first; it returns ctx.Err(). The
// demo and the benchmark pace their phases with it.
func Sleep(ctx context.Context, d time.Duration) error {
	if !sleep.For(ctx, d) {
		return ctx.Err()
	}
	return nil
}
