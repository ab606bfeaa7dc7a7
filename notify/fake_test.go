package notify

import (
	"context"
	"errors"
	"sync"

	"github.com/sentinelgo/sentinel/monitor"
)

// fakeRunner starts fakeProcs: channel-backed processes that exit when the
// test says so, so that the scripts loop runs entirely inside a synctest
// bubble.
type fakeRunner struct {
	mu        sync.Mutex
	nextPID   int
	started   []*fakeProc
	failStart error // when set, Start fails with it
}

type fakeProc struct {
	pid      int
	path     string
	args     []string
	env      []string
	ctx      context.Context
	exit     chan ExitStatus
	killOnce sync.Once
}

func (r *fakeRunner) Start(ctx context.Context, path string, args []string, env []string) (Process, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failStart != nil {
		return nil, r.failStart
	}
	r.nextPID++
	p := &fakeProc{pid: 1000 + r.nextPID, path: path, args: args, env: env, ctx: ctx, exit: make(chan ExitStatus, 1)}
	r.started = append(r.started, p)
	return p, nil
}

// procs returns the processes started so far.
func (r *fakeRunner) procs() []*fakeProc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*fakeProc(nil), r.started...)
}

func (p *fakeProc) PID() int { return p.pid }

func (p *fakeProc) Wait() ExitStatus {
	select {
	case st := <-p.exit:
		return st
	case <-p.ctx.Done():
		return ExitStatus{Signal: 9}
	}
}

func (p *fakeProc) Kill() error {
	p.finish(ExitStatus{Signal: 9})
	return nil
}

// finish makes the process exit with st (only the first call counts).
func (p *fakeProc) finish(st ExitStatus) {
	p.killOnce.Do(func() { p.exit <- st })
}

// eventLog records reported events.
type eventLog struct {
	mu     sync.Mutex
	events []monitor.Event
}

func (l *eventLog) report(e monitor.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// warnings returns "type extra" of the Warning-level events.
func (l *eventLog) warnings() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		if e.Level == monitor.LevelWarning {
			out = append(out, e.Type+" "+e.Extra)
		}
	}
	return out
}

var errNoSuchFile = errors.New("no such file or directory")
