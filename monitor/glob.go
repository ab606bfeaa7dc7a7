package monitor

import "github.com/sentinelgo/sentinel/glob"

// MatchGlob reports whether name matches a Redis glob pattern
// (glob.Match): PSUBSCRIBE (pubsub), SENTINEL RESET and SENTINEL CONFIG
// GET patterns.
func MatchGlob(pattern, name string) bool { return glob.Match(pattern, name) }
