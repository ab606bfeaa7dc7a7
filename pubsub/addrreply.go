package pubsub

import (
	"strconv"
	"weak"

	"github.com/sentinelgo/sentinel/monitor"
)

// SENTINEL GET-MASTER-ADDR-BY-NAME is what clients ask most, and its
// reply is a function of the snapshot alone (the address, and whether it
// is withheld, which is judged at the snapshot's time). So the replies of
// every master are rendered once per snapshot, and a request is a map
// lookup and one copy into the reply buffer.

// addrReplies are the rendered replies of one snapshot, by master name;
// nil for a master whose address is withheld (the null reply depends on
// the protocol, so it is written per request).
type addrReplies struct {
	snap    snapshotRef
	replies map[string][]byte
}

// snapshotRef names the snapshot a cached reply was rendered from without
// keeping it alive. A cache that held the snapshot itself kept the one of
// the last query for as long as nobody asked again: every data node's INFO
// text of that moment, a second copy of them all beside the core's.
type snapshotRef weak.Pointer[monitor.Snapshot]

func refTo(snap *monitor.Snapshot) snapshotRef { return snapshotRef(weak.Make(snap)) }

// is reports whether the reference is to snap. A collected snapshot is no
// longer referred to, and a live snapshot never shares its address with
// another, so a new snapshot is never taken for an old one.
func (r snapshotRef) is(snap *monitor.Snapshot) bool {
	return snap != nil && weak.Pointer[monitor.Snapshot](r).Value() == snap
}

// renderAddrReplies renders the replies of every master of snap.
func renderAddrReplies(snap *monitor.Snapshot) *addrReplies {
	r := &addrReplies{snap: refTo(snap), replies: make(map[string][]byte, len(snap.Masters))}
	for i := range snap.Masters {
		m := &snap.Masters[i]
		if addrWithheld(snap, m) {
			r.replies[m.Name] = nil
			continue
		}
		r.replies[m.Name] = appendAddrReply(nil, masterReplyAddr(m))
	}
	return r
}

// masterReplyAddr is the address GET-MASTER-ADDR-BY-NAME announces: the IP a host name was
// reached at, or with announce-hostnames the name.
func masterReplyAddr(m *monitor.MasterView) monitor.Addr {
	addr := m.CurrentReplyAddr
	if addr.IsZero() {
		addr = m.CurrentAddr
	}
	if addr.IsZero() {
		addr = m.Addr
	}
	return addr
}

// appendAddrReply renders [host, port] (the same bytes in RESP2 and RESP3).
func appendAddrReply(b []byte, addr monitor.Addr) []byte {
	b = append(b, "*2\r\n$"...)
	b = strconv.AppendInt(b, int64(len(addr.Host)), 10)
	b = append(b, "\r\n"...)
	b = append(b, addr.Host...)
	b = append(b, "\r\n$"...)
	var port [20]byte
	p := strconv.AppendInt(port[:0], int64(addr.Port), 10)
	b = strconv.AppendInt(b, int64(len(p)), 10)
	b = append(b, "\r\n"...)
	b = append(b, p...)
	return append(b, "\r\n"...)
}

// addrReply returns the rendered reply for master name in snap (nil,
// false for an unknown master; nil, true for a withheld one), rendering
// the snapshot's replies when it is new.
func (s *Server) addrReply(snap *monitor.Snapshot, name []byte) ([]byte, bool) {
	r := s.addrReplies.Load()
	if r == nil || !r.snap.is(snap) {
		r = renderAddrReplies(snap)
		s.addrReplies.Store(r)
	}
	b, ok := r.replies[string(name)]
	return b, ok
}
