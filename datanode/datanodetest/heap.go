package datanodetest

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// HeapPeak samples the Go heap every 10 ms until stop is called (or the
// test ends) and returns the highest HeapAlloc seen above the value at
// the start. The hostile-node tests bound what a misbehaving node costs.
func HeapPeak(t testing.TB) (stop func() uint64) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peak uint64
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
				peak = ms.HeapAlloc - base
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	var once sync.Once
	stop = func() uint64 {
		once.Do(func() { close(done); wg.Wait() })
		return peak
	}
	t.Cleanup(func() { stop() })
	return stop
}
