package monitor

import (
	"strconv"
	"time"

	"github.com/sentinelgo/sentinel/election"
)

// Authority is whether this sentinel may name a master to clients
// (SENTINEL GET-MASTER-ADDR-BY-NAME). A sentinel cut off from most of its
// group cannot know whether the others promoted a replica meanwhile; with
// fencing on it stops naming the master it knew, so clients move on to a
// sentinel of the majority (issue 11). Without fencing it always answers,
// as Redis does.
type Authority struct {
	// Reached counts the sentinels reached: this one, and the peers
	// that answered lately (AuthorityOf). Known counts them all.
	Reached, Known int
}

// AuthorityOf computes m's authority from a snapshot's view at time at
// (the snapshot's). A peer counts as reached when it is not SDOWN or
// ODOWN and its last valid reply is at most authorityWindow old, or its
// last hello is that fresh: the
// window is shorter than down-after, so a sentinel cut off from the
// others stops naming the master before they can agree it is down and
// switch.
func AuthorityOf(m *MasterView, at time.Time) Authority {
	a := Authority{Reached: 1, Known: len(m.Sentinels) + 1}
	window := authorityWindow(m.DownAfter)
	for k := range m.Sentinels {
		p := &m.Sentinels[k]
		if peerReached(p.Flags, p.LastOKPing, p.LastPingRply, p.LastHello, at, window) {
			a.Reached++
		}
	}
	return a
}

// peerReached is the rule for one peer, shared with the live core
// (reachesMajority): not SDOWN or ODOWN with a valid reply within window,
// or a hello within window. A fresh hello counts too: after a partition
// heals, hellos come back through the data nodes before the link to the
// peer itself is reopened.
//
// Only what the peer sent counts. A new link's last valid reply starts at
// the link's birth (as Redis starts last_avail_time, so down-after runs
// from there), but that is no word from the peer: a peer that never
// answered (lastPong zero: no reply of any kind yet) and never sent a
// hello is not reached. Otherwise a sentinel restarted inside a cut
// (whose configuration may predate a switch by the majority) would vouch
// for the master it knew for its whole first window. On a healthy network
// the first PING to each peer goes out at the link's birth, so a
// restarted sentinel withholds only until its peers' first replies.
func peerReached(flags Flags, lastOK, lastPong, lastHello, at time.Time, window time.Duration) bool {
	replied := flags&(FlagSDown|FlagODown) == 0 && !lastPong.IsZero() && !lastOK.IsZero() && at.Sub(lastOK) <= window
	heard := !lastHello.IsZero() && at.Sub(lastHello) <= window
	return replied || heard
}

// authorityWindow is 3/4 of down-after, at least 1.5 s: one and a half
// PING periods (1 s), so a healthy peer is never missed between two
// replies.
func authorityWindow(downAfter time.Duration) time.Duration {
	return max(downAfter/4*3, 1500*time.Millisecond)
}

// Majority reports whether the sentinels reached are a majority of those
// known.
func (a Authority) Majority() bool { return a.Reached >= election.Majority(a.Known) }

// Withheld reports whether m's address is withheld from clients: fencing
// is on and this sentinel reaches no majority.
func Withheld(m *MasterView, at time.Time) bool { return m.Fencing && !AuthorityOf(m, at).Majority() }

// Reason is a one-word account for INFO: "no-majority(<reached>/<known>)".
func (a Authority) Reason() string {
	return "no-majority(" + strconv.Itoa(a.Reached) + "/" + strconv.Itoa(a.Known) + ")"
}
