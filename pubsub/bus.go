package pubsub

import (
	"github.com/sentinelgo/sentinel/monitor"

	"strconv"
	"sync"
	"sync/atomic"

	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// subscriber is one connection's inbox. The bus only ever does a
// non-blocking send on queue; the connection's delivery goroutine drains
// it. When the queue is full the subscriber is too slow: it is marked,
// counted and disconnected, and receives nothing more.
type subscriber struct {
	queue  chan []byte
	proto  atomic.Int32 // resp.RESP2 or resp.RESP3, switched by HELLO
	slow   atomic.Bool
	onSlow func() // closes the connection; called once
}

// bus maps channels and patterns to subscribers. A leaf type with a mutex
// and no goroutines (style §4.4): Publish holds the read lock only while
// doing non-blocking sends.
type bus struct {
	mu       sync.RWMutex
	channels map[string]map[*subscriber]struct{}
	patterns map[string]map[*subscriber]struct{}
	metrics  *metrics
}

func newBus(m *metrics) *bus {
	return &bus{
		channels: make(map[string]map[*subscriber]struct{}),
		patterns: make(map[string]map[*subscriber]struct{}),
		metrics:  m,
	}
}

func (b *bus) add(pattern bool, name string, s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.channels
	if pattern {
		m = b.patterns
	}
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
	m := b.channels
	if pattern {
		m = b.patterns
	}
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
		if !monitor.MatchGlob(pattern, channel) {
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
	if s.slow.Load() {
		return false
	}
	select {
	case s.queue <- frame:
		b.metrics.deliveredMessages.Inc()
		return true
	default:
		if s.slow.CompareAndSwap(false, true) {
			b.metrics.slowSubscribers.Inc()
			s.onSlow()
		}
		return false
	}
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
