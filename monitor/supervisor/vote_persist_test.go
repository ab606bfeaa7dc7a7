package supervisor

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

type nopExec struct{}

func (nopExec) Do(monitor.Action) {}

type nopSink struct{}

func (nopSink) Event(time.Time, monitor.Event) {}

// switchablePersister fails while broken is set.
type switchablePersister struct {
	mu     sync.Mutex
	broken bool
	saves  int
	last   *monitor.Snapshot
}

func (p *switchablePersister) Persist(s *monitor.Snapshot) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken {
		return errors.New("disk full")
	}
	p.saves++
	p.last = s
	return nil
}

func (p *switchablePersister) count() (int, *monitor.Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.saves, p.last
}

func (p *switchablePersister) set(broken bool) {
	p.mu.Lock()
	p.broken = broken
	p.mu.Unlock()
}

// TestVoteLeavesOnlyWhenPersisted: while the state cannot be written, a
// vote request gets an error instead of the vote (also when it is asked
// again), and once the disk is back the same vote is answered.
func TestVoteLeavesOnlyWhenPersisted(t *testing.T) {
	per := &switchablePersister{}
	loop := startTestLoop(t, nopExec{}, per)
	ctx := t.Context()
	ctrl := &controller{loop: loop, globals: &globals{level: new(slog.LevelVar)}}
	candidate := strings.Repeat("b", 40)
	req := monitor.IsMasterDownRequest{Addr: monitor.Addr{Host: "127.0.0.1", Port: 6379}, CurrentEpoch: 1, RunID: candidate}

	per.set(true)
	for i := 0; i < 2; i++ {
		if rep, err := ctrl.IsMasterDownByAddr(ctx, req); !errors.Is(err, ErrNotPersisted) {
			t.Fatalf("ask %d with a broken disk: reply %+v, err %v; want ErrNotPersisted", i, rep, err)
		}
	}
	per.set(false)
	rep, err := ctrl.IsMasterDownByAddr(ctx, req)
	if err != nil {
		t.Fatalf("with the disk back: %v", err)
	}
	if rep.Leader != candidate || rep.LeaderEpoch != 1 {
		t.Fatalf("reply %+v, want the vote for %s in epoch 1", rep, candidate)
	}
	// One vote per epoch: another candidate in the same epoch is refused.
	other := req
	other.RunID = strings.Repeat("c", 40)
	rep, err = ctrl.IsMasterDownByAddr(ctx, other)
	if err != nil || rep.Leader != candidate {
		t.Fatalf("second candidate got %+v, %v; want the first vote repeated", rep, err)
	}
}
