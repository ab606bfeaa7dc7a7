package main

import (
	"runtime/debug"
)

// defaultGCPercent is the collector's target (GOGC) when the environment
// sets none. A sentinel's live heap is small and steady (~15 MB at 250
// masters: master state, one connection buffer per link, the INFO of
// every data node), and Go's default of 100 lets the heap grow to twice
// that between collections, most of it garbage from replies and
// snapshots; RSS per process then ended up 3× redis-sentinel's (issue
// 14). Measured at 250 masters (docs/benchmarks.md, "Monitoring cost"):
// 50 took RSS from ~72 to ~61 MiB with no CPU difference that stood out of
// the noise; 25 was no smaller (RSS then follows the start-up peak, not
// the steady heap).
const defaultGCPercent = 50

// tuneGC sets the GC target unless GOGC is set (GOMEMLIMIT, when set, is
// applied by the runtime itself and still bounds the heap).
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(defaultGCPercent)
}
