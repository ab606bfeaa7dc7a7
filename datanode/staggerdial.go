package datanode

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Staggered dials. A SYN that a partition drops is sent again by the
// kernel only after its initial retransmission timeout (1 s on Linux),
// which is also our dial timeout, so a dial that started during a cut
// that drops packets never sees the heal: the link comes back only with
// the next dial, up to one PING period (plus the backoff's jitter) later.
// A dial that has had no answer for dialStagger therefore starts another
// attempt beside it, up to maxDialAttempts at once, each with its own
// full timeout; the first that connects is the link's, the others are
// cancelled and any that connected anyway are closed. A heal is then
// seen within dialStagger of it. Earlier attempts are never cut short,
// so a slow link (a WAN with a round trip above dialStagger) connects as
// before, at the cost of one spare connection opened and closed.
const (
	dialStagger     = 250 * time.Millisecond
	maxDialAttempts = 4
)

// dialFunc opens one connection.
type dialFunc func(ctx context.Context) (net.Conn, error)

type dialOutcome struct {
	conn net.Conn
	err  error
}

// staggeredDial runs dial as described above: a new attempt every
// `every` while no attempt has ended, at most `most` in all. It returns
// the first connection, or, once every attempt failed, the latest error.
// An attempt that fails with an answer (refused, no route, reset) ends
// the dial at once: the network answers now, later attempts would get
// the same. One that times out does not, while others are pending. Every
// attempt has ended when it returns.
func staggeredDial(ctx context.Context, every time.Duration, most int, dial dialFunc) (net.Conn, error) {
	actx, cancel := context.WithCancel(ctx)
	outcomes := make(chan dialOutcome, most)
	var wg sync.WaitGroup
	start := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(actx)
			outcomes <- dialOutcome{c, err}
		}()
	}
	start()
	started, pending := 1, 1
	tick := time.NewTicker(every)
	var won net.Conn
	var lastErr error
	for pending > 0 && won == nil {
		next := tick.C
		if started >= most {
			next = nil
		}
		select {
		case o := <-outcomes:
			pending--
			switch {
			case o.err == nil:
				won = o.conn
			case dialTimedOut(o.err):
				lastErr = o.err
			default:
				lastErr, pending = o.err, 0 // an answer: stop waiting for the others
			}
		case <-next:
			if actx.Err() == nil {
				start()
				started++
				pending++
			}
		}
	}
	tick.Stop()
	cancel()
	wg.Wait()
	close(outcomes)
	for o := range outcomes {
		if o.conn != nil {
			_ = o.conn.Close() // a loser that connected anyway
		}
	}
	if won != nil {
		return won, nil
	}
	return nil, lastErr
}

// dialTimedOut says whether a failed attempt simply had no answer in
// time (its own timeout or the caller's deadline), as opposed to an
// answer such as a refused connection.
func dialTimedOut(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
