package pubsub

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sentinelgo/sentinel/glob"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// OutputLimit is Redis's client-output-buffer-limit for the pubsub class:
// a subscriber whose pending output exceeds Hard bytes, or stays above Soft
// bytes for SoftFor, is disconnected. A zero field disables that bound.
type OutputLimit struct {
	Hard    int
	Soft    int
	SoftFor time.Duration
}

// DefaultOutputLimit is Redis's default for pub/sub clients:
// client-output-buffer-limit pubsub 32mb 8mb 60.
func DefaultOutputLimit() OutputLimit {
	return OutputLimit{Hard: 32 << 20, Soft: 8 << 20, SoftFor: 60 * time.Second}
}

// subscriber is one connection's inbox. The bus appends frames (shared,
// pre-rendered, never copied here) and wakes the connection's delivery
// goroutine; the publisher never waits for I/O. Every byte is accounted
// from the moment it is queued until the write that carries it returned,
// so an event larger than any buffer still counts against the limit. A
// subscriber over its limit is marked slow, counted and disconnected, and
// receives nothing more.
type subscriber struct {
	proto  atomic.Int32      // resp.RESP2 or resp.RESP3, switched by HELLO
	wake   chan struct{}     // capacity 1: "pending is not empty"
	onSlow func(pending int) // counts, logs and closes the connection; called once
	limit  OutputLimit

	mu       sync.Mutex
	pending  [][]byte  // frames not yet handed to the writer
	bytes    int       // queued plus in-flight bytes (omem)
	overSoft time.Time // when bytes first went over limit.Soft; zero when under
	slow     bool
}

func newSubscriber(limit OutputLimit, onSlow func(pending int)) *subscriber {
	return &subscriber{wake: make(chan struct{}, 1), onSlow: onSlow, limit: limit}
}

// push queues frame unless that takes the subscriber over its limit, in
// which case it is marked slow (its queue dropped) and onSlow runs once.
// It reports whether the frame was queued.
func (s *subscriber) push(frame []byte, now func() time.Time) (queued, turnedSlow bool) {
	s.mu.Lock()
	if s.slow {
		s.mu.Unlock()
		return false, false
	}
	total := s.bytes + len(frame)
	over := s.limit.Hard > 0 && total > s.limit.Hard
	if !over && s.limit.Soft > 0 && total > s.limit.Soft {
		t := now()
		if s.overSoft.IsZero() {
			s.overSoft = t
		} else if t.Sub(s.overSoft) >= s.limit.SoftFor {
			over = true
		}
	} else if !over {
		s.overSoft = time.Time{}
	}
	if over {
		s.slow = true
		s.pending = nil
		s.mu.Unlock()
		s.onSlow(total)
		return false, true
	}
	s.pending = append(s.pending, frame)
	s.bytes = total
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // already woken
	}
	return true, false
}

// markSlow marks the subscriber slow (its queue dropped) and reports
// whether it was not already, so a subscriber is counted once.
func (s *subscriber) markSlow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.slow
	s.slow, s.pending = true, nil
	return !was
}

// take moves frames to dst (reused by the caller) until about max bytes
// are taken, at least one frame. The bytes stay accounted until done.
func (s *subscriber) take(dst [][]byte, max int) ([][]byte, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, i := 0, 0
	for i < len(s.pending) && (i == 0 || n+len(s.pending[i]) <= max) {
		dst = append(dst, s.pending[i])
		n += len(s.pending[i])
		i++
	}
	clear(s.pending[:i])
	switch {
	case i < len(s.pending):
		s.pending = s.pending[i:]
	case cap(s.pending) > 64:
		s.pending = nil // do not keep the backing array of a burst
	default:
		s.pending = s.pending[:0]
	}
	return dst, n
}

// done releases the accounting of n bytes once they were written.
func (s *subscriber) done(n int) {
	s.mu.Lock()
	s.bytes -= n
	if s.limit.Soft > 0 && s.bytes <= s.limit.Soft {
		s.overSoft = time.Time{}
	}
	s.mu.Unlock()
}

// pendingBytes is the output waiting for this subscriber (CLIENT LIST omem).
func (s *subscriber) pendingBytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// bus maps channels and patterns to subscribers. A leaf type with a mutex
// and no goroutines (style §4.4): Publish holds the read lock only while
// appending to subscriber queues, never during I/O.
type bus struct {
	mu       sync.RWMutex
	channels map[string]map[*subscriber]struct{}
	patterns map[string]map[*subscriber]struct{}
	metrics  *metrics
	now      func() time.Time // read only for a subscriber over its soft limit
}

func newBus(m *metrics) *bus {
	return &bus{
		channels: make(map[string]map[*subscriber]struct{}),
		patterns: make(map[string]map[*subscriber]struct{}),
		metrics:  m,
		now:      time.Now,
	}
}

// table is the channel or pattern subscriptions; b.mu is held.
func (b *bus) table(pattern bool) map[string]map[*subscriber]struct{} {
	if pattern {
		return b.patterns
	}
	return b.channels
}

func (b *bus) add(pattern bool, name string, s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.table(pattern)
	set := m[name]
	if set == nil {
		set = make(map[*subscriber]struct{})
		m[name] = set
	}
	set[s] = struct{}{}
}

func (b *bus) remove(pattern bool, name string, s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.table(pattern)
	if set := m[name]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, name)
		}
	}
}

// counts returns the number of channels and patterns with subscribers
// (INFO stats pubsub_channels / pubsub_patterns).
func (b *bus) counts() (channels, patterns int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.channels), len(b.patterns)
}

// publish queues the message to every subscriber of channel and of a
// matching pattern, and returns how many deliveries were queued (what
// Redis's PUBLISH returns). It never blocks.
func (b *bus) publish(channel, message string) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var rendered [2][]byte // message frame for RESP2 and RESP3, built once
	frame := func(proto int32) []byte {
		i := 0
		if proto == resp.RESP3 {
			i = 1
		}
		if rendered[i] == nil {
			rendered[i] = appendMessage(nil, proto == resp.RESP3, kindMessage, "", channel, message)
		}
		return rendered[i]
	}
	n := 0
	for s := range b.channels[channel] {
		if b.deliver(s, frame(s.proto.Load())) {
			n++
		}
	}
	for pattern, subs := range b.patterns {
		if !glob.Match(pattern, channel) {
			continue
		}
		var pframe [2][]byte
		for s := range subs {
			i := 0
			if s.proto.Load() == resp.RESP3 {
				i = 1
			}
			if pframe[i] == nil {
				pframe[i] = appendMessage(nil, i == 1, kindPMessage, pattern, channel, message)
			}
			if b.deliver(s, pframe[i]) {
				n++
			}
		}
	}
	b.metrics.published.Inc()
	return n
}

func (b *bus) deliver(s *subscriber, frame []byte) bool {
	queued, turnedSlow := s.push(frame, b.now)
	if queued {
		b.metrics.deliveredMessages.Inc()
	}
	if turnedSlow {
		b.metrics.slowSubscribers.Inc()
	}
	return queued
}

// appendMessage renders a message / pmessage frame: an array in RESP2, a
// push in RESP3 (what redis-sentinel sends, testdata/.../transcript-pubsub.txt).
func appendMessage(dst []byte, resp3 bool, kind, pattern, channel, message string) []byte {
	n := 3
	if kind == kindPMessage {
		n = 4
	}
	if resp3 {
		dst = append(dst, '>')
	} else {
		dst = append(dst, '*')
	}
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, '\r', '\n')
	dst = appendBulk(dst, kind)
	if kind == kindPMessage {
		dst = appendBulk(dst, pattern)
	}
	dst = appendBulk(dst, channel)
	return appendBulk(dst, message)
}

func appendBulk(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}
