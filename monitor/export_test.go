package monitor

import "time"

// FreshNextWake is NextWake computed anew, ignoring its cache: tests check
// that the cached answer is never later than this.
func (c *Core) FreshNextWake() time.Time { return c.nextWake() }
