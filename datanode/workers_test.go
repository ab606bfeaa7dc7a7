package datanode

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Jobs run one after another reuse one worker; a burst starts as many
// as run at once, and the idle ones exit after workerIdle.
func TestWorkers_ReuseAndIdleExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		ws := &workers{wg: &wg}
		for i := range 5 {
			ran := make(chan int, 1)
			ws.run(func() { ran <- i })
			if got := <-ran; got != i {
				t.Fatalf("job %d ran as %d", i, got)
			}
			synctest.Wait()
			if busy, idle := ws.counts(); busy != 0 || idle != 1 {
				t.Fatalf("after job %d: %d busy, %d idle workers, want 0 and 1", i, busy, idle)
			}
		}
		release := make(chan struct{})
		for range 3 {
			ws.run(func() { <-release })
		}
		synctest.Wait()
		if busy, idle := ws.counts(); busy != 3 || idle != 0 {
			t.Fatalf("burst of 3: %d busy, %d idle, want 3 and 0", busy, idle)
		}
		close(release)
		synctest.Wait()
		if busy, idle := ws.counts(); busy != 0 || idle != 3 {
			t.Fatalf("after the burst: %d busy, %d idle, want 0 and 3", busy, idle)
		}
		time.Sleep(workerIdle + time.Millisecond)
		synctest.Wait()
		if busy, idle := ws.counts(); busy != 0 || idle != 0 {
			t.Fatalf("after %v idle: %d busy, %d idle, want none", workerIdle, busy, idle)
		}
		wg.Wait()
	})
}

// Once the Run context ends idle workers exit at once; a job handed
// over still runs.
func TestWorkers_ExitWithRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		ws := &workers{wg: &wg}
		done := make(chan struct{})
		ws.start(done)
		for range 2 {
			ws.run(func() {})
		}
		synctest.Wait()
		close(done)
		synctest.Wait()
		if busy, idle := ws.counts(); busy != 0 || idle != 0 {
			t.Fatalf("after the end of Run: %d busy, %d idle, want none", busy, idle)
		}
		ran := make(chan struct{})
		ws.run(func() { close(ran) })
		<-ran
		wg.Wait()
	})
}
