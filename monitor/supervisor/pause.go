package supervisor

import (
	"context"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// Pause answers SENTINEL PAUSE <name> <seconds>|OFF (pubsub.PauseController).
func (c *controller) Pause(ctx context.Context, name string, d time.Duration) error {
	_, err := Invoke(ctx, c.loop, func(now time.Time, core *monitor.Core) (struct{}, error) {
		return struct{}{}, core.Pause(now, name, d)
	})
	if err == nil && c.loop.log != nil {
		if d == 0 {
			c.loop.log.Warn("failovers resumed (SENTINEL PAUSE OFF)", "master", name)
		} else {
			c.loop.log.Warn("failovers paused (SENTINEL PAUSE)", "master", name, "until", time.Now().Add(d).UTC().Format(time.RFC3339))
		}
	}
	return err
}
