package pubsub

import (
	"strconv"

	"github.com/sentinelgo/sentinel/monitor"
)

// Raft mode's fields in SENTINEL MASTER(S) and SENTINEL SENTINELS: ours,
// appended after every stock field (clients read those by name and
// position), and only in raft mode (r != nil), so a vote-mode reply is
// field for field redis-sentinel's.

// RaftMasterFields are the fields SENTINEL MASTER appends in raft mode:
// the raft term and the leader's node id as this node knows them.
func RaftMasterFields(r *monitor.RaftView) []Field {
	if r == nil {
		return nil
	}
	leader := r.LeaderID
	if leader == "" {
		leader = "?"
	}
	return []Field{
		{"raft-term", utoa(r.Term)},
		{"raft-leader", leader},
	}
}

// RaftSentinelFields are the fields one element of SENTINEL SENTINELS
// appends in raft mode: the sentinel's raft node id, its suffrage in the
// group, the time since it was last heard over raft and the log index it
// acknowledged (both as this node can know them; -1 and 0 when not).
// peer is nil for a sentinel whose node id is not learned yet: "?".
func RaftSentinelFields(r *monitor.RaftView, peer *monitor.RaftPeerView) []Field {
	if r == nil {
		return nil
	}
	id, suffrage, contact, match := "?", "?", "-1", "0"
	if peer != nil {
		id = peer.NodeID
		suffrage = "none"
		if peer.Suffrage != "" {
			suffrage = lowerASCII(peer.Suffrage)
		}
		if peer.LastContact >= 0 {
			contact = ms(peer.LastContact)
		}
		match = strconv.FormatUint(peer.MatchIndex, 10)
	}
	return []Field{
		{"raft-node-id", id},
		{"raft-suffrage", suffrage},
		{"raft-last-contact-ms", contact},
		{"raft-match-index", match},
	}
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
