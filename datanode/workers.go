package datanode

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Link work runs on a Pool-wide set of worker goroutines, not on
// goroutines of its own (issue 14). A target used to keep a PING loop and
// a command loop parked on their queues (two goroutines, ≥ 16 KiB of stack
// per watched instance, ~1,000 at 250 masters) and started one more
// goroutine for every command it sent (lane.go), whose stack grew anew
// through go-redis's call path each time: runtime.copystack was ~10 % of a
// settled sentinel's CPU. A worker grows its stack once and is reused;
// the number of workers follows the work actually in progress at once.

// workerIdle is how long a worker with nothing to do waits for a job
// before it exits.
const workerIdle = 10 * time.Second

// maxIdleWorkers bounds the idle workers kept: the core sends the PINGs of
// all its instances in the same few ticks, so a burst briefly needs a
// worker per instance (and one per command pending), and keeping all of
// them for the next burst would cost more stack than the goroutines they
// replaced. A worker that finds this many idle already exits.
const maxIdleWorkers = 64

// workers hands jobs to idle workers, starting one when none is idle.
type workers struct {
	wg *sync.WaitGroup // the Pool's: Run waits for every worker

	mu   sync.Mutex
	done <-chan struct{} // the Run context's: idle workers exit; nil before Run
	idle []*worker       // most recently idle last, so the others time out
	busy int             // workers running a job (metrics, tests)
}

type worker struct {
	jobs chan func() // capacity 1: handing a job over never blocks
}

// start records the Run context: once it ends, idle workers exit.
func (ws *workers) start(done <-chan struct{}) {
	ws.mu.Lock()
	ws.done = done
	ws.mu.Unlock()
}

// run runs job on a worker. The caller must make sure the Pool's Run is
// not yet waiting for its goroutines with none left (it is itself a
// counted goroutine, or it holds Pool.mu with the Pool not stopped).
func (ws *workers) run(job func()) {
	ws.mu.Lock()
	ws.busy++
	if n := len(ws.idle); n > 0 {
		w := ws.idle[n-1]
		ws.idle = ws.idle[:n-1]
		ws.mu.Unlock()
		w.jobs <- job
		return
	}
	done := ws.done
	ws.mu.Unlock()
	w := &worker{jobs: make(chan func(), 1)}
	ws.wg.Go(func() { ws.loop(w, job, done) })
}

// loop runs jobs until the worker has been idle for workerIdle or the Run
// context ends while it is idle. A worker taken off the idle list has a
// job coming: it runs it whatever happens meanwhile.
func (ws *workers) loop(w *worker, job func(), done <-chan struct{}) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		job()
		// An idle worker must not keep its last job's closure alive: it
		// holds the command's reply (an INFO of ~5 KB) until the next job.
		job = nil
		ws.mu.Lock()
		ws.busy--
		if len(ws.idle) >= maxIdleWorkers {
			ws.mu.Unlock()
			return
		}
		ws.idle = append(ws.idle, w)
		ws.mu.Unlock()
		idle.Reset(workerIdle)
		select {
		case job = <-w.jobs:
			continue
		case <-idle.C:
		case <-done:
		}
		if !ws.retire(w) {
			job = <-w.jobs // claimed just now: its job is on its way
		} else {
			return
		}
	}
}

// retire takes w off the idle list; false when run has already taken it.
func (ws *workers) retire(w *worker) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for i, x := range ws.idle {
		if x == w {
			ws.idle = append(ws.idle[:i], ws.idle[i+1:]...)
			return true
		}
	}
	return false
}

// counts reports the workers running a job and the idle ones.
func (ws *workers) counts() (busy, idle int) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.busy, len(ws.idle)
}

// queueRunner drains one of a target's queues on the Pool's workers, one
// job at a time, as its own goroutine used to: at most one drain runs,
// and an item queued while one runs is picked up by it.
type queueRunner struct {
	running atomic.Bool
}

// schedule makes sure a drain of t's queue runs after an item was queued:
// it starts one unless one is running. drain returns once the queue is
// empty (or ctx ended); queued reports whether it holds anything.
func (q *queueRunner) schedule(t *target, drain func(ctx context.Context), queued func() bool) {
	if !q.running.CompareAndSwap(false, true) {
		return // the running drain will see the item
	}
	ctx, ok := t.jobStarted()
	if !ok {
		q.running.Store(false) // not started (Run will schedule) or closing
		return
	}
	t.p.workers.run(func() {
		defer t.jobs.Done()
		for {
			drain(ctx)
			q.running.Store(false)
			// An item queued after drain saw the queue empty and before
			// running was cleared found a drain running and left it to it.
			if ctx.Err() != nil || !queued() || !q.running.CompareAndSwap(false, true) {
				return
			}
		}
	})
}

// jobStarted counts one more drain of t in t.jobs, unless t is not
// running (not started yet, or its links are closing).
func (t *target) jobStarted() (context.Context, bool) {
	t.jobsMu.Lock()
	defer t.jobsMu.Unlock()
	if t.ctx == nil || t.closing {
		return nil, false
	}
	t.jobs.Add(1)
	return t.ctx, true
}
