package pubsub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// clientPause is CLIENT PAUSE's state: until end, ALL holds every
// command of every connection, WRITE only PUBLISH (the one command
// redis-sentinel 7.0 holds then). As in Redis, peers' PINGs, hellos and
// questions on this port are held too, and so is CLIENT UNPAUSE under ALL.
type clientPause struct {
	// active is false while no pause is set: the fast path of wait, so
	// that commands do not all take mu when nothing is paused.
	active  atomic.Bool
	mu      sync.Mutex
	end     time.Time
	all     bool
	changed chan struct{} // closed and replaced when the pause changes
}

// maxPauseWaits bounds one command's waits (each ends at the pause's end
// or at a change of it).
const maxPauseWaits = 1 << 16

// pause extends the pause to end (never shortens it) and to ALL when all
// (never back to WRITE), as Redis's pauseClients.
func (p *clientPause) pause(end time.Time, all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if end.After(p.end) {
		p.end = end
	}
	p.all = p.all || all
	p.active.Store(true)
	p.signal()
}

// unpause ends the pause at once.
func (p *clientPause) unpause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end, p.all = time.Time{}, false
	p.active.Store(false)
	p.signal()
}

func (p *clientPause) signal() {
	if p.changed != nil {
		close(p.changed)
	}
	p.changed = make(chan struct{})
}

// wait holds a command while the pause covers it, until the pause ends or
// ctx is done.
func (p *clientPause) wait(ctx context.Context, name string) {
	for range maxPauseWaits {
		if !p.active.Load() {
			return
		}
		p.mu.Lock()
		left := time.Until(p.end)
		if left <= 0 || (!p.all && name != "publish") {
			if left <= 0 {
				p.end, p.all = time.Time{}, false
				p.active.Store(false)
			}
			p.mu.Unlock()
			return
		}
		if p.changed == nil {
			p.changed = make(chan struct{})
		}
		changed := p.changed
		p.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// maxPauseMs keeps now+timeout inside time.Time's range; Redis takes up
// to LLONG_MAX ms, which is as good as forever either way.
const maxPauseMs = int64(100 * 365 * 24 * time.Hour / time.Millisecond)

// cmdClientPause answers CLIENT PAUSE <timeout-ms> [WRITE|ALL], with
// redis-sentinel 7.0's checks in its order (mode, then timeout).
func cmdClientPause(_ context.Context, c *client, args [][]byte) {
	if len(args) > 4 {
		c.err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP.", truncate(string(args[1]), 128)))
		return
	}
	all := true
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "write":
			all = false
		case "all":
		default:
			c.err("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	ms, ok := resp.ParseInt(string(args[2]))
	if !ok {
		c.err("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.err("ERR timeout is negative")
		return
	}
	c.srv.pause.pause(time.Now().Add(time.Duration(min(ms, maxPauseMs))*time.Millisecond), all)
	c.wr.SimpleString("OK")
}

func cmdClientUnpause(_ context.Context, c *client, _ [][]byte) {
	c.srv.pause.unpause()
	c.wr.SimpleString("OK")
}
