package acl

import "github.com/sentinelgo/sentinel/glob"

// Match reports whether name matches a Redis glob pattern as
// stringmatchlen does (glob.Match, the matcher PSUBSCRIBE uses too).
func Match(pattern, name string) bool { return glob.Match(pattern, name) }
