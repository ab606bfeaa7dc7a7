package supervisor

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// raftLeaderHTTP sends a request meant for the raft leader to whichever
// running member of group leads at that moment, and sends it again when
// the answer is 409 (that member lost leadership on the way: on a loaded
// machine a pause longer than LeaderLeaseTimeout deposes a leader). Any
// other answer is returned with the member that gave it. Membership
// changes are idempotent in raft (adding a voter again, removing one that
// is gone), so a repeat is harmless.
func raftLeaderHTTP(t *testing.T, group []*raftSentinel, method, path, body string) (int, string, *raftSentinel) {
	t.Helper()
	var code int
	var text, last string
	var leader *raftSentinel
	err := datanodetest.Poll(t.Context(), 20*time.Second, 20*time.Millisecond, func() bool {
		leader = nil
		for _, s := range group {
			if s.cancel != nil && s.sup.raft.node.IsLeader() {
				leader = s
				break
			}
		}
		if leader == nil {
			last = "no leader"
			return false
		}
		code, text = raftHTTP(t, leader, method, path, body)
		last = fmt.Sprintf("%s answered %d %s", leader.id, code, strings.TrimSpace(text))
		return code != http.StatusConflict
	})
	if err != nil {
		t.Fatalf("%s %s on the raft leader: %v; last: %s", method, path, err, last)
	}
	return code, text, leader
}
