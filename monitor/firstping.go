package monitor

import "time"

// A new link's down-after clock starts when its first attempt completes,
// not when the link is created.
//
// sentinel.c starts act_ping_time when it creates the link, so the dial,
// the first PING and its reply all have to fit in down-after. A sentinel
// that starts with hundreds of masters (or learns hundreds of replicas and
// peers from one round of INFO and hellos) opens all those links at once;
// on a loaded machine some first replies then come later than down-after,
// and every instance behind such a link goes +sdown and -sdown a moment
// later without ever having been down. Redis hides the same burst behind
// TILT; we do not want either.
//
// So until the first PING (or INFO) on a link has completed, one way or the
// other, the link cannot make its instances SDOWN. When it completes with a
// failure (refused, reset, timed out), the clock starts then: a node that is
// really down at start-up is SDOWN down-after after the sentinel found out
// it cannot reach it. A first PING the driver never answers is given up
// after max(down-after, ping period), like any PING (periodic), and that
// counts as a failed attempt, so the slow path is bounded by twice
// down-after.

// awaitingFirstReply reports that nothing has completed on l yet: no reply
// of any kind to a PING and no failure of a PING or INFO.
func (l *link) awaitingFirstReply() bool { return l.lastPong.IsZero() && !l.disconnected }

// firstAttemptFailed starts the down-after clock of a link whose first
// attempt just failed at now. Call it before marking the link disconnected.
func (l *link) firstAttemptFailed(now time.Time) {
	if l.awaitingFirstReply() {
		l.actPing = now
	}
}
