package main

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// The events every sentinel a client may subscribe to should publish for
// the killed master, in this order.
const (
	gapSDown  = "+sdown"
	gapODown  = "+odown"
	gapSwitch = "+switch-master"
	gapOrder  = "order" // all three published, but not in that order
)

// gapKinds is the report order of the missing-event kinds.
var gapKinds = []string{gapSDown, gapODown, gapSwitch, gapOrder}

// eventReport is what the events of one trial say about its elections and
// about which sentinels told their subscribers what. Pure: built from the
// recorded list only.
type eventReport struct {
	aborts map[string]int // "-failover-abort-*" channel -> events, any sentinel
	tries  int            // +try-failover events for the master
	// contested are the epochs in which two or more sentinels tried to fail
	// over; splitVotes are those of them in which nobody was elected.
	contested  []uint64
	splitVotes []splitVote
	// gaps maps a sentinel address to the kinds it did not publish (or
	// "order"); sentinels with every event in order are absent.
	gaps map[string][]string
}

// splitVote describes one epoch without a leader, for the trial's problems.
type splitVote struct {
	epoch      uint64
	candidates []string // sentinel addresses that emitted +try-failover
	votes      []string // "voter->runid" from +vote-for-leader, in arrival order
}

func (s splitVote) String() string {
	return fmt.Sprintf("split vote in epoch %d: candidates %s; votes %s",
		s.epoch, strings.Join(s.candidates, ", "), strings.Join(s.votes, ", "))
}

// analyzeEvents reads the events recorded after the kill (in arrival order,
// which is each sentinel's publishing order) from the given sentinels.
//
// Epochs: a sentinel starting a failover publishes "+new-epoch <N>" and then
// "+try-failover master <name> ...", so a +try-failover belongs to the epoch
// of the last +new-epoch that sentinel published, and its +elected-leader (a
// bare "%@" payload) to the epoch of its last +try-failover. A split vote is
// an epoch in which two or more sentinels published +try-failover and none
// published +elected-leader; such an epoch can only end in
// -failover-abort-not-elected and a retry 2 × failover-timeout later.
//
// Gaps: for each sentinel, the first "+sdown master <name> <old>", the first
// "+odown master <name> <old>" and the first "+switch-master <name> <old> …"
// must all be there, in that order.
func analyzeEvents(events []datanodetest.SentinelEvent, sentinels []string, masterName, oldMaster string) eventReport {
	rep := eventReport{aborts: map[string]int{}, gaps: map[string][]string{}}
	oldPrefix := masterPrefix(masterName, oldMaster)
	aboutOld := func(payload string) bool {
		return payload == oldPrefix || strings.HasPrefix(payload, oldPrefix+" ")
	}

	lastEpoch := map[string]uint64{} // sentinel -> last +new-epoch
	tryEpoch := map[string]uint64{}  // sentinel -> epoch of its last +try-failover
	candidates := map[uint64][]string{}
	elected := map[uint64]bool{}
	votes := map[uint64][]string{}
	// first[sentinel][kind] is the index of the first such event.
	first := map[string]map[string]int{}
	mark := func(s, kind string, i int) {
		if first[s] == nil {
			first[s] = map[string]int{}
		}
		if _, ok := first[s][kind]; !ok {
			first[s][kind] = i
		}
	}

	for i, ev := range events {
		s := ev.Sentinel
		switch {
		case strings.HasPrefix(ev.Channel, "-failover-abort-"):
			rep.aborts[ev.Channel]++
		case ev.Channel == "+new-epoch":
			if n, err := strconv.ParseUint(strings.TrimSpace(ev.Payload), 10, 64); err == nil {
				lastEpoch[s] = n
			}
		case ev.Channel == "+try-failover" && ev.IsMasterEvent(masterName):
			rep.tries++
			if e := lastEpoch[s]; e > 0 {
				tryEpoch[s] = e
				if !slices.Contains(candidates[e], s) {
					candidates[e] = append(candidates[e], s)
				}
			}
		case ev.Channel == "+elected-leader" && ev.IsMasterEvent(masterName):
			if e := tryEpoch[s]; e > 0 {
				elected[e] = true
			}
		case ev.Channel == "+vote-for-leader":
			// "<runid> <epoch>"
			if f := strings.Fields(ev.Payload); len(f) == 2 {
				if e, err := strconv.ParseUint(f[1], 10, 64); err == nil {
					votes[e] = append(votes[e], s+"->"+shortID(f[0]))
				}
			}
		case ev.Channel == "+sdown" && aboutOld(ev.Payload):
			mark(s, gapSDown, i)
		case ev.Channel == "+odown" && aboutOld(ev.Payload):
			mark(s, gapODown, i)
		case ev.Channel == "+switch-master":
			if sm, err := datanodetest.ParseSwitchMaster(ev.Payload); err == nil && sm.Name == masterName && sm.OldAddr == oldMaster {
				mark(s, gapSwitch, i)
			}
		}
	}

	epochs := make([]uint64, 0, len(candidates))
	for e := range candidates {
		epochs = append(epochs, e)
	}
	slices.Sort(epochs)
	for _, e := range epochs {
		if len(candidates[e]) < 2 {
			continue
		}
		rep.contested = append(rep.contested, e)
		if !elected[e] {
			rep.splitVotes = append(rep.splitVotes, splitVote{epoch: e, candidates: candidates[e], votes: votes[e]})
		}
	}

	for _, s := range sentinels {
		f := first[s]
		var missing []string
		for _, kind := range []string{gapSDown, gapODown, gapSwitch} {
			if _, ok := f[kind]; !ok {
				missing = append(missing, kind)
			}
		}
		if len(missing) == 0 && (f[gapSDown] > f[gapODown] || f[gapODown] > f[gapSwitch]) {
			missing = []string{gapOrder}
		}
		if len(missing) > 0 {
			rep.gaps[s] = missing
		}
	}
	return rep
}

// masterPrefix is the start of a "%@" payload about master name at addr:
// "master <name> <ip> <port>".
func masterPrefix(name, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "master " + name + " " + addr
	}
	return "master " + name + " " + host + " " + port
}

// shortID keeps run ids readable in a report line.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// sumCounts adds up a map of counts (e.g. aborts of every kind).
func sumCounts(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}
