//go:build linux

package pubsub

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// parker holds idle connections without a goroutine each (see park.go):
// their sockets wait in an epoll set of its own, and one goroutine (run)
// resumes a connection on a fresh goroutine when the peer sends, closes or
// resets. Go's own netpoller keeps watching the same sockets; a second
// epoll set beside it is allowed and costs nothing per socket in Go.
type parker struct {
	epfd   int
	wakeR  int // read end of a pipe in the set: stop() writes to it
	wakeW  int
	resume func(c *client) // serve c again, on a new goroutine
	log    *slog.Logger

	mu         sync.Mutex
	parksSince int // parks since the last trim
	lastTrim   time.Time
	parked     map[uint64]*client
	closed     bool // nothing parks any more
	released   bool // the descriptors are closed
}

// wakeID tags the pipe's event; client ids start at 1.
const wakeID = 0

// parkEvents is how many events one epoll_wait returns at most.
const parkEvents = 128

func newParker(resume func(*client), log *slog.Logger) (*parker, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	var pipe [2]int
	if err := syscall.Pipe2(pipe[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		_ = syscall.Close(epfd)
		return nil, fmt.Errorf("pipe2: %w", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
	setEventID(&ev, wakeID)
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, pipe[0], &ev); err != nil {
		_ = syscall.Close(epfd)
		_ = syscall.Close(pipe[0])
		_ = syscall.Close(pipe[1])
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	return &parker{
		epfd: epfd, wakeR: pipe[0], wakeW: pipe[1],
		resume: resume, log: log,
		parked: make(map[uint64]*client),
	}, nil
}

func setEventID(ev *syscall.EpollEvent, id uint64) {
	ev.Fd = int32(uint32(id))
	ev.Pad = int32(uint32(id >> 32))
}

func eventID(ev *syscall.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// park hands c's socket to the epoll set; false when it cannot be (the
// connection has no file descriptor, is closed, or the parker stopped),
// and the caller keeps serving it. The registration is one-shot: the
// first event disarms it, and a later park re-arms it. Closing the socket
// removes it from the set, so nothing is ever deleted from it by number
// (a number the kernel may already have given to a new socket).
func (p *parker) park(c *client) bool {
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	var cerr error
	err = rc.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT}
		setEventID(&ev, c.id)
		op := syscall.EPOLL_CTL_ADD
		if c.inEpoll {
			op = syscall.EPOLL_CTL_MOD
		}
		cerr = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	if err != nil || cerr != nil {
		return false
	}
	c.inEpoll = true
	p.parked[c.id] = c
	p.parksSince++
	if p.parksSince == trimParks {
		// run is likely waiting without a timeout: have it take one.
		_, _ = syscall.Write(p.wakeW, []byte{wakeNudge})
	}
	return true
}

// unpark takes c out of the parked set; it reports whether c was parked
// (and so has no goroutine: the caller must give it one).
func (p *parker) unpark(c *client) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.parked[c.id]; !ok {
		return false
	}
	delete(p.parked, c.id)
	return true
}

// run waits for events until stop; each parked connection that has one
// is resumed. It returns once stopped; the epoll set and the pipe are
// closed then.
func (p *parker) run() {
	defer p.release()
	events := make([]syscall.EpollEvent, parkEvents)
	for {
		n, err := syscall.EpollWait(p.epfd, events, p.waitMillis())
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err == nil && n == 0 {
			p.trim()
			continue
		}
		if err != nil {
			p.log.Error("epoll_wait failed, idle connections stay on their goroutines", "err", err)
			p.resumeAll()
			return
		}
		for i := range events[:n] {
			id := eventID(&events[i])
			if id == wakeID {
				if p.drainWake() {
					p.resumeAll()
					return
				}
				continue
			}
			p.mu.Lock()
			c := p.parked[id]
			delete(p.parked, id)
			p.mu.Unlock()
			if c != nil {
				p.resume(c)
			}
		}
	}
}

// Trimming. A burst of clients that connect, ask and stay leaves the
// goroutines that served them dead, their stacks and read buffers free
// but still resident (the runtime returns free memory to the system only
// after a GC, and an idle process does not collect). Once trimParks
// connections have parked and the parked set has been quiet for
// trimQuiet, the memory they freed is returned at once (as Redis shrinks
// idle clients' buffers in its cron), at most once per trimEvery.
const (
	trimParks = 1000
	trimQuiet = time.Second
	trimEvery = 10 * time.Second
)

// waitMillis is epoll_wait's timeout: forever, unless a trim is due once
// the set goes quiet.
func (p *parker) waitMillis() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.parksSince < trimParks {
		return -1
	}
	return int(max(trimQuiet, trimEvery-time.Since(p.lastTrim)) / time.Millisecond)
}

// trim returns free memory to the system after a quiet period.
func (p *parker) trim() {
	p.mu.Lock()
	due := p.parksSince >= trimParks && time.Since(p.lastTrim) >= trimEvery
	if due {
		p.parksSince = 0
		p.lastTrim = time.Now()
	}
	p.mu.Unlock()
	if due {
		debug.FreeOSMemory()
	}
}

// resumeAll stops parking and gives every parked connection its goroutine
// back.
func (p *parker) resumeAll() {
	p.mu.Lock()
	p.closed = true
	cs := make([]*client, 0, len(p.parked))
	for id, c := range p.parked {
		cs = append(cs, c)
		delete(p.parked, id)
	}
	p.mu.Unlock()
	for _, c := range cs {
		p.resume(c)
	}
}

// Bytes written to the wake pipe.
const (
	wakeNudge = 1 // recompute the wait
	wakeStop  = 2 // return
)

// stop makes run return.
func (p *parker) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.released {
		_, _ = syscall.Write(p.wakeW, []byte{wakeStop})
	}
}

// drainWake empties the wake pipe and reports whether stop wrote to it.
func (p *parker) drainWake() (stop bool) {
	var b [16]byte
	for range 64 {
		n, err := syscall.Read(p.wakeR, b[:])
		for _, x := range b[:max(n, 0)] {
			stop = stop || x == wakeStop
		}
		if err != nil || n < len(b) {
			break
		}
	}
	return stop
}

func (p *parker) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.released = true
	_ = syscall.Close(p.epfd)
	_ = syscall.Close(p.wakeR)
	_ = syscall.Close(p.wakeW)
}
