package datanode

import (
	"errors"
	"fmt"

	"github.com/sentinelgo/sentinel/monitor"
)

// errBadPeerReply is wrapped by every error of parseIsMasterDownReply.
var errBadPeerReply = errors.New("datanode: malformed is-master-down-by-addr reply")

// parseIsMasterDownReply checks the 3-element reply of SENTINEL
// IS-MASTER-DOWN-BY-ADDR as go-redis decodes it with RESP2: an integer 0 or
// 1, a non-empty leader run id ("*" for no vote), a non-negative leader
// epoch. sentinelReceiveIsMasterDownReply checks the element types too;
// we are stricter on values so a confused peer can never vote for "".
func parseIsMasterDownReply(reply any) (monitor.IsMasterDownReply, error) {
	elems, ok := reply.([]any)
	if !ok {
		return monitor.IsMasterDownReply{}, fmt.Errorf("%w: %T, want an array", errBadPeerReply, reply)
	}
	if len(elems) != 3 {
		return monitor.IsMasterDownReply{}, fmt.Errorf("%w: %d elements, want 3", errBadPeerReply, len(elems))
	}
	down, ok := elems[0].(int64)
	if !ok || (down != 0 && down != 1) {
		return monitor.IsMasterDownReply{}, fmt.Errorf("%w: down flag %#v, want integer 0 or 1", errBadPeerReply, elems[0])
	}
	leader, ok := elems[1].(string)
	if !ok || leader == "" {
		return monitor.IsMasterDownReply{}, fmt.Errorf("%w: leader %#v, want a non-empty string", errBadPeerReply, elems[1])
	}
	epoch, ok := elems[2].(int64)
	if !ok || epoch < 0 {
		return monitor.IsMasterDownReply{}, fmt.Errorf("%w: leader epoch %#v, want a non-negative integer", errBadPeerReply, elems[2])
	}
	return monitor.IsMasterDownReply{Down: down == 1, Leader: leader, LeaderEpoch: uint64(epoch)}, nil
}

// poolSize is the number of connections go-redis may open for the command
// link of t. A peer sentinel gets one, as redis-sentinel keeps one link
// per peer: its PING, PUBLISH hello and IS-MASTER-DOWN-BY-ADDR take turns
// on it (each waits for the previous reply, where Redis pipelines them; on
// a healthy peer that is one round trip, and a silent peer delays them
// all in Redis too, its replies being in order). A data node gets one
// too: its PINGs have a link of their own (probelink.go), so a slow INFO
// never holds a PING back.
func (t *target) poolSize() int {
	return 1
}
