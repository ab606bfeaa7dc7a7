package supervisor

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// TestRaftDriverQueueFull: a proposal that finds the queue full is never
// reported from Do (it runs on the owner goroutine, and the inbox may be
// full too); the worker reports it as failed, so the core proposes again.
func TestRaftDriverQueueFull(t *testing.T) {
	loop, err := NewLoop(testLoopOptions(nopExec{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var forwarded []monitor.Action
	d := &raftDriver{
		log: slog.New(slog.DiscardHandler), loop: loop, next: recordFunc(func(a monitor.Action) { forwarded = append(forwarded, a) }),
		jobs: make(chan monitor.Action), kick: make(chan struct{}, 1),
	}
	sw := monitor.ProposeSwitch{Master: "mymaster", Addr: monitor.Addr{Host: "127.0.0.1", Port: 6380}, Epoch: 3}
	d.Do(sw)                                                                // no worker reads jobs: the queue is full
	d.Do(monitor.Ping{Target: monitor.Addr{Host: "127.0.0.1", Port: 6379}}) // not raft's: forwarded at once
	if len(loop.inbox) != 0 {
		t.Fatal("Do delivered an input from the owner goroutine")
	}
	if len(forwarded) != 1 {
		t.Fatalf("forwarded %v, want the PING only", forwarded)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); d.work(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case in := <-loop.inbox:
		f, ok := in.(monitor.SwitchFailed)
		if !ok || f.Master != "mymaster" || f.Epoch != 3 || f.Reason != "proposal queue full" {
			t.Fatalf("input %#v, want SwitchFailed for mymaster epoch 3", in)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the worker never reported the dropped proposal")
	}
}

type recordFunc func(monitor.Action)

func (f recordFunc) Do(a monitor.Action) { f(a) }
