package monitor

import "strconv"

// Authority is whether this sentinel may name a master to clients
// (SENTINEL GET-MASTER-ADDR-BY-NAME). A sentinel cut off from most of its
// group cannot know whether the others promoted a replica meanwhile; with
// fencing on it stops naming the master it knew, so clients move on to a
// sentinel of the majority (issue 11). Without fencing it always answers,
// as Redis does.
type Authority struct {
	// Reached counts the sentinels reached: this one, and the peers not
	// SDOWN or ODOWN (a valid reply within down-after, as SENTINEL
	// CKQUORUM counts them). Known counts them all.
	Reached, Known int
}

// AuthorityOf computes m's authority from a snapshot's view.
func AuthorityOf(m *MasterView) Authority {
	a := Authority{Reached: 1, Known: len(m.Sentinels) + 1}
	for k := range m.Sentinels {
		if m.Sentinels[k].Flags&(FlagSDown|FlagODown) == 0 {
			a.Reached++
		}
	}
	return a
}

// Majority reports whether the sentinels reached are a majority of those
// known.
func (a Authority) Majority() bool { return a.Reached >= a.Known/2+1 }

// Withheld reports whether m's address is withheld from clients: fencing
// is on and this sentinel reaches no majority.
func Withheld(m *MasterView) bool { return m.Fencing && !AuthorityOf(m).Majority() }

// Reason is a one-word account for INFO: "no-majority(<reached>/<known>)".
func (a Authority) Reason() string {
	return "no-majority(" + strconv.Itoa(a.Reached) + "/" + strconv.Itoa(a.Known) + ")"
}
