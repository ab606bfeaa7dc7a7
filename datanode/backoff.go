package datanode

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults of the reconnect backoff.
const (
	// DefaultReconnectInitial is the pause before the third dial in a row
	// that did not prove the link good (the first redial is immediate).
	DefaultReconnectInitial = 250 * time.Millisecond
	// DefaultReconnectMax caps the pause: Redis reconnects an instance's
	// links at most once per PING period (1 s), and we never go faster.
	DefaultReconnectMax = time.Second
)

const (
	// reconnectJitter widens every pause by up to this fraction, so links
	// to many nodes that broke together do not redial together.
	reconnectJitter = 0.25
	// reconnectStable is how long a connection must have kept answering
	// for its break to count as a fresh one (immediate redial). It equals
	// Redis's reconnect period, so a node that answers and then hangs up
	// can never make us redial faster than Redis would.
	reconnectStable = time.Second
	// reconnectForget is how long without a dial wipes the history.
	reconnectForget = 30 * time.Second
)

// errReconnectBackoff is returned by the dialer while a link waits out its
// backoff; like a refused connection, it means the command was not sent.
var errReconnectBackoff = errors.New("datanode: reconnect deferred by backoff after repeated link failures")

// backoff paces the dials of one link. It is pure (time and randomness are
// arguments) so its rules are table-tested without sleeping.
//
// Rules: the first dial after a link that proved good (a valid reply at
// least reconnectStable after it was opened) or after reconnectForget of
// quiet is immediate, and so is the one right after it; each further dial
// in the run waits initial, 2×initial, ... up to max, plus up to 25 %
// jitter. A dial that is not yet allowed is refused, not delayed.
type backoff struct {
	initial, max time.Duration // max < 0 disables the backoff (tests)

	streak    int       // dials in the current run
	lastDial  time.Time // the latest allowed dial
	lastGood  time.Time // the latest valid reply
	notBefore time.Time // no dial before this
}

func newBackoff(initial, max time.Duration) backoff {
	return backoff{initial: initial, max: max}
}

// wait is how long until a dial would be allowed.
func (b *backoff) wait(now time.Time) time.Duration {
	if b.max < 0 || !now.Before(b.notBefore) {
		return 0
	}
	return b.notBefore.Sub(now)
}

// dial asks to open a connection at now; jitter is uniform in [0, 1). It
// reports false while the link must wait.
func (b *backoff) dial(now time.Time, jitter float64) bool {
	if b.max < 0 {
		return true
	}
	if now.Before(b.notBefore) {
		return false
	}
	if b.streak > 0 && (b.lastGood.Sub(b.lastDial) >= reconnectStable || now.Sub(b.lastDial) >= reconnectForget) {
		b.streak = 0
	}
	b.streak++
	b.lastDial = now
	b.notBefore = now.Add(b.pause(jitter))
	return true
}

// refused records that the dial just allowed found nothing listening
// (connection refused). It does not count toward the run and sets no pause:
// a refused dial costs the node nothing, and a node that restarts must be
// seen at the core's probe cadence, not after a growing pause. Only nodes
// that accept and then close, hang or spew garbage are paced.
func (b *backoff) refused() {
	if b.streak > 0 {
		b.streak--
	}
	b.notBefore = b.lastDial
}

// good records a valid reply at now.
func (b *backoff) good(now time.Time) {
	if now.After(b.lastGood) {
		b.lastGood = now
	}
}

// pause is the wait after the streak-th dial of a run.
func (b *backoff) pause(jitter float64) time.Duration {
	if b.streak <= 1 {
		return 0
	}
	d := b.max
	if shift := b.streak - 2; shift < 32 {
		if p := b.initial << shift; p > 0 && p < d {
			d = p
		}
	}
	return d + time.Duration(float64(d)*reconnectJitter*jitter)
}

// holdForDial says whether a command whose dial must wait `wait` may be
// held that long, given the time it has left: only if at least half of it
// remains for the connection and the command itself.
func holdForDial(wait, remaining time.Duration) bool {
	return wait > 0 && wait <= remaining/2
}

// linkPacer is a backoff shared by the goroutines of one link.
type linkPacer struct {
	mu    sync.Mutex
	b     backoff
	dials uint64 // dials allowed so far
}

func (p *linkPacer) allow() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	ok := p.b.dial(time.Now(), rand.Float64())
	if ok {
		p.dials++
	}
	return ok
}

func (p *linkPacer) dialCount() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dials
}

func (p *linkPacer) wait() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.b.wait(time.Now())
}

func (p *linkPacer) refused() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.b.refused()
}

func (p *linkPacer) good() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.b.good(time.Now())
}

// UnackedLimit is how long bytes sent on a link may stay unacknowledged by
// the node's kernel before the connection is closed (TCP_USER_TIMEOUT, on
// Linux). Unacknowledged bytes mean the path is broken, not the node slow:
// a node that hangs or is overloaded still has its kernel acknowledge what
// we send, so this never closes a link to a hanging node earlier than the
// pending limit, and a closed link is redialled under the same backoff.
// Without it, a connection that sent during a partition stays in the
// kernel's retransmission backoff (0.2, 0.4, ... 6.4 s apart) after the
// partition heals, and its pending PING holds the link for up to one more
// backoff step (measured: 2–5.5 s), while a fresh dial is answered at once.
// Two seconds is several retransmissions on any LAN (minimum RTO 200 ms).
const UnackedLimit = 2 * time.Second

// unackedControl is the net.Dialer Control hook that applies UnackedLimit
// to every TCP connection a link opens.
func unackedControl(network, _ string, rc syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") {
		return nil
	}
	return limitUnacked(rc, UnackedLimit)
}

// notReached says whether a failed dial never reached the node, so it cost
// the node nothing and is not paced (refused): nothing listening
// (ECONNREFUSED), or no route from this host (ENETUNREACH, EHOSTUNREACH,
// and EINVAL, which Linux returns for a blackhole route). A partition that
// removes the route would otherwise pace the link to ReconnectMax and
// delay seeing the node by up to 1.25 s after the route is back.
func notReached(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.EINVAL)
}
