package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// threeMasterLoop runs a loop whose core monitors m0..m2 on ports 7000..7002.
func threeMasterLoop(t *testing.T, per Persister) *Loop {
	t.Helper()
	opts := testLoopOptions(nopExec{}, per)
	opts.Core.Masters = nil
	for k := range 3 {
		opts.Core.Masters = append(opts.Core.Masters, monitor.MasterConfig{Name: fmt.Sprintf("m%d", k),
			Addr: monitor.Addr{Host: "127.0.0.1", Port: 7000 + k}, MasterSettings: settings.MasterSettings{Quorum: 2}})
	}
	loop, err := NewLoop(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return loop
}

// TestVoteBatch_OneWriteForAllVotes: the votes of one batch (a peer's
// pipelined requests) are written with one state write, before the
// replies; when the write fails none of them is answered.
func TestVoteBatch_OneWriteForAllVotes(t *testing.T) {
	per := &switchablePersister{}
	loop := threeMasterLoop(t, per)
	ctrl := &controller{loop: loop}
	cand := strings.Repeat("b", 40)
	var reqs []monitor.IsMasterDownRequest
	for k := range 3 {
		reqs = append(reqs, monitor.IsMasterDownRequest{Addr: monitor.Addr{Host: "127.0.0.1", Port: 7000 + k}, CurrentEpoch: uint64(k + 1), RunID: cand})
	}
	per.set(true)
	if reps, err := ctrl.IsMasterDownByAddrs(t.Context(), reqs); !errors.Is(err, ErrNotPersisted) {
		t.Fatalf("with a broken disk: replies %+v, err %v; want ErrNotPersisted", reps, err)
	}
	per.set(false)
	before, _ := per.count()
	reps, err := ctrl.IsMasterDownByAddrs(t.Context(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for k, rep := range reps {
		if rep.Leader != cand || rep.LeaderEpoch != uint64(k+1) {
			t.Fatalf("reply %d %+v, want the vote for %s in epoch %d", k, rep, cand, k+1)
		}
	}
	after, snap := per.count()
	if after != before+1 {
		t.Fatalf("%d state writes for a batch of 3 votes, want 1", after-before)
	}
	for k := range 3 {
		m := snap.Masters[k]
		if m.Leader != cand || m.LeaderEpoch != uint64(k+1) {
			t.Fatalf("written state of %s: leader %s/%d, want the vote", m.Name, m.Leader, m.LeaderEpoch)
		}
	}
}

// TestLoop_TakesWaitingCalls: the calls already waiting when the loop
// takes one are served in the same turn (their writes shared).
func TestLoop_TakesWaitingCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		loop, err := NewLoop(testLoopOptions(nopExec{}, &switchablePersister{}))
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			go func() {
				loop.calls <- call{fn: func(time.Time) (any, error) { return nil, nil }, reply: make(chan callResult, 1)}
			}()
		}
		synctest.Wait() // every sender waits on the channel
		first := <-loop.calls
		if got := loop.takeCalls([]call{first}); len(got) != 3 {
			t.Fatalf("took %d calls, want the 3 waiting", len(got))
		}
		if got := loop.takeCalls(nil); len(got) != 0 {
			t.Fatalf("took %d calls from an empty channel", len(got))
		}
	})
}
