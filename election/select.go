package election

import (
	"slices"
	"time"
)

// Candidate is a replica considered for promotion, as the core sees it at
// decision time.
type Candidate struct {
	ID                 string        // opaque, unique key (the core uses "ip:port")
	RunID              string        // "" when unknown: sorts last
	Priority           int           // slave_priority; 0 = never promote
	ReplOffset         int64         // slave_repl_offset
	SDown, ODown       bool          // the replica's own down flags
	Disconnected       bool          // the command link is down
	LastOKPingAge      time.Duration // now - last valid PING reply
	InfoAge            time.Duration // now - last INFO reply
	MasterLinkDownTime time.Duration // master_link_down_since_seconds as reported
	// ReportsMaster is set when the node's last INFO says role:master: it
	// is not replicating from anyone (an old master not yet converted), so
	// promoting it would keep no one's data.
	ReportsMaster bool
}

// SelectionRules are the thresholds of sentinelSelectSlave, computed by the
// caller.
type SelectionRules struct {
	MaxPingAge        time.Duration // 5 * ping period
	MaxInfoAge        time.Duration // 5 s while the master is SDOWN (INFO every 1 s), else 3 * info period
	MaxMasterLinkDown time.Duration // (time since master SDOWN) + 10 * down-after
}

// Exclusion says why a candidate cannot be promoted (ExcludeNone when it
// can). The values are in the order sentinelSelectSlave checks them; Exclude
// reports the first that applies.
type Exclusion uint8

// Exclusion reasons, in sentinelSelectSlave's order.
const (
	ExcludeNone            Exclusion = iota // eligible
	ExcludeDown                             // the replica is SDOWN or ODOWN
	ExcludeDisconnected                     // its command link is disconnected
	ExcludeStalePing                        // no valid PING reply within MaxPingAge
	ExcludePriorityZero                     // replica-priority 0 (or an invalid negative value)
	ExcludeStaleInfo                        // INFO older than MaxInfoAge
	ExcludeLinkDownTooLong                  // master link down longer than MaxMasterLinkDown
	ExcludeNotReplica                       // its INFO says role:master (our rule; Redis has none)
)

var exclusionNames = [...]string{
	ExcludeNone:            "eligible",
	ExcludeDown:            "down",
	ExcludeDisconnected:    "disconnected",
	ExcludeStalePing:       "stale-ping",
	ExcludePriorityZero:    "priority-zero",
	ExcludeStaleInfo:       "stale-info",
	ExcludeLinkDownTooLong: "master-link-down-too-long",
	ExcludeNotReplica:      "not-a-replica",
}

// String gives a short reason suitable for logs and SENTINEL replies.
func (e Exclusion) String() string {
	if int(e) < len(exclusionNames) {
		return exclusionNames[e]
	}
	return "unknown"
}

// Exclude reports the first rule of sentinelSelectSlave that rules the
// candidate out, or ExcludeNone. Age comparisons are strict (">"), as in
// sentinel.c, so an age exactly at the limit still qualifies.
func Exclude(c Candidate, r SelectionRules) Exclusion {
	switch {
	case c.SDown || c.ODown:
		return ExcludeDown
	case c.Disconnected:
		return ExcludeDisconnected
	case c.LastOKPingAge > r.MaxPingAge:
		return ExcludeStalePing
	// Redis only knows 0 as "never promote"; a negative priority cannot come
	// from a valid replica-priority, so it is refused rather than ranked first.
	case c.Priority <= 0:
		return ExcludePriorityZero
	case c.InfoAge > r.MaxInfoAge:
		return ExcludeStaleInfo
	case c.MasterLinkDownTime > r.MaxMasterLinkDown:
		return ExcludeLinkDownTooLong
	case c.ReportsMaster:
		return ExcludeNotReplica
	}
	return ExcludeNone
}

// Rank returns the eligible candidates, best first: lowest Priority, then
// highest ReplOffset, then smallest RunID (empty last), then ID. The input
// slice is not modified; the result is a new slice (nil when none is
// eligible).
func Rank(cands []Candidate, r SelectionRules) []Candidate {
	var eligible []Candidate
	for i, c := range cands {
		if Exclude(c, r) == ExcludeNone {
			if eligible == nil {
				eligible = make([]Candidate, 0, len(cands)-i)
			}
			eligible = append(eligible, c)
		}
	}
	slices.SortFunc(eligible, compareForPromotion)
	return eligible
}

// Select returns the best candidate, or ok=false when none is eligible. It
// does not allocate: a single pass keeps the best seen so far.
func Select(cands []Candidate, r SelectionRules) (best Candidate, ok bool) {
	for _, c := range cands {
		if Exclude(c, r) != ExcludeNone {
			continue
		}
		if !ok || compareForPromotion(c, best) < 0 {
			best, ok = c, true
		}
	}
	return best, ok
}

// compareForPromotion orders like compareSlavesForPromotion, with ID as a
// final key so the order is total and independent of input order (Redis
// leaves equal replicas in qsort's arbitrary order).
func compareForPromotion(a, b Candidate) int {
	if a.Priority != b.Priority {
		if a.Priority < b.Priority {
			return -1
		}
		return 1
	}
	if a.ReplOffset != b.ReplOffset {
		// More data processed from the master wins.
		if a.ReplOffset > b.ReplOffset {
			return -1
		}
		return 1
	}
	// Old Redis versions did not report a run id; Sentinel sorts those last.
	switch {
	case a.RunID == "" && b.RunID != "":
		return 1
	case a.RunID != "" && b.RunID == "":
		return -1
	}
	if c := compareRunIDs(a.RunID, b.RunID); c != 0 {
		return c
	}
	return compareStrings(a.ID, b.ID)
}

// compareRunIDs compares like strcasecmp (sentinel.c compares run ids case
// insensitively), breaking a case-only tie bytewise so the order stays total.
func compareRunIDs(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		ca, cb := lowerASCII(a[i]), lowerASCII(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return compareStrings(a, b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
