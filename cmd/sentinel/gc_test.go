package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	tuneGC(func(string) string { return "200" })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC set in the environment: GC percent %d, want it left alone (100)", got)
	}
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Fatalf("no GOGC: GC percent %d, want %d", got, defaultGCPercent)
	}
}
