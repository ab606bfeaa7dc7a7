package supervisor

import (
	"context"
	"crypto/tls"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/monitor"
)

// Which raft node each known sentinel is, for SENTINEL SENTINELS in raft
// mode. Raft knows its members by node id and raft address, the core knows
// sentinels by run id and client address; nothing in a hello or in raft
// links the two. So the driver asks each sentinel it knows, once, for its
// INFO sentinel, whose sentinel_raft_node_id names it — with the
// credentials and TLS of the links to peers.

const (
	// raftPeerIDsEvery is how often the driver looks for sentinels whose
	// node id it does not know yet.
	raftPeerIDsEvery = 2 * time.Second
	// raftPeerIDsPerRound bounds the INFO requests of one round.
	raftPeerIDsPerRound = 8
	// raftPeerIDTimeout bounds one INFO request, dial included.
	raftPeerIDTimeout = time.Second
	// raftPeerIDRetry is how long a sentinel that did not name a node id
	// (unreachable, or not in raft mode) waits before it is asked again,
	// so that such sentinels do not take every round's places.
	raftPeerIDRetry = 5 * time.Second
)

// raftPeerIDs maps sentinel run ids to raft node ids.
type raftPeerIDs struct {
	mu   sync.Mutex
	byID map[string]string // run id -> node id
	// retryAt is when a sentinel that named no node id may be asked
	// again (owned by learn's goroutine).
	retryAt map[string]time.Time
	now     func() time.Time
	// ask returns the raft node id of the sentinel at addr ("" when it has
	// none: vote mode, or a stock sentinel).
	ask func(ctx context.Context, addr string) (string, error)
}

func newRaftPeerIDs(creds func() (user, pass string), tlsConf func() *tls.Config) *raftPeerIDs {
	return &raftPeerIDs{byID: map[string]string{}, retryAt: map[string]time.Time{}, now: time.Now, ask: func(ctx context.Context, addr string) (string, error) {
		user, pass := creds()
		c := redis.NewClient(&redis.Options{Addr: addr, Username: user, Password: pass, TLSConfig: tlsConf(),
			MaxRetries: -1, DialTimeout: raftPeerIDTimeout, ReadTimeout: raftPeerIDTimeout, WriteTimeout: raftPeerIDTimeout,
			PoolSize: 1, Protocol: 2, DisableIdentity: true})
		defer c.Close()
		info, err := c.Info(ctx, "sentinel").Result()
		if err != nil {
			return "", err
		}
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "sentinel_raft_node_id:"); ok {
				return v, nil
			}
		}
		return "", nil
	}}
}

// nodeID returns the node id learned for runID ("" when unknown).
func (p *raftPeerIDs) nodeID(runID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byID[runID]
}

// learn asks the sentinels of snap whose node id is unknown, at most
// raftPeerIDsPerRound of them.
func (p *raftPeerIDs) learn(ctx context.Context, snap *monitor.Snapshot) {
	asked := map[string]bool{}
	now := p.now()
	for i := range snap.Masters {
		for j := range snap.Masters[i].Sentinels {
			s := &snap.Masters[i].Sentinels[j]
			if s.RunID == "" || asked[s.RunID] || p.nodeID(s.RunID) != "" || now.Before(p.retryAt[s.RunID]) || len(asked) >= raftPeerIDsPerRound {
				continue
			}
			asked[s.RunID] = true
			reqCtx, cancel := context.WithTimeout(ctx, 2*raftPeerIDTimeout)
			id, err := p.ask(reqCtx, s.Addr.String())
			cancel()
			if err != nil || id == "" {
				p.retryAt[s.RunID] = now.Add(raftPeerIDRetry)
				continue
			}
			delete(p.retryAt, s.RunID)
			p.mu.Lock()
			p.byID[s.RunID] = id
			p.mu.Unlock()
		}
	}
}

// run learns node ids until ctx ends.
func (p *raftPeerIDs) run(ctx context.Context, snapshot func() *monitor.Snapshot) {
	ticker := time.NewTicker(raftPeerIDsEvery)
	defer ticker.Stop()
	for {
		p.learn(ctx, snapshot())
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// peerViews is the raft view of every sentinel whose node id is known,
// by run id: suffrage from the configuration; on the leader each peer's
// acknowledged index and last answer, on a follower the leader's last
// contact.
func (d *raftDriver) peerViews() map[string]monitor.RaftPeerView {
	if d.peerIDs == nil {
		return nil
	}
	byNode := map[string]monitor.RaftPeerView{}
	for _, s := range d.node.Servers() {
		byNode[s.ID] = monitor.RaftPeerView{NodeID: s.ID, Suffrage: s.Suffrage, LastContact: -1}
	}
	if d.node.IsLeader() {
		for _, p := range d.node.Peers() {
			v := byNode[p.ID]
			v.MatchIndex, v.LastContact = p.MatchIndex, p.LastContact
			byNode[p.ID] = v
		}
	} else if st := d.node.Stats(); st.LeaderID != "" {
		v := byNode[st.LeaderID]
		v.LastContact = st.LastContact
		byNode[st.LeaderID] = v
	}
	d.peerIDs.mu.Lock()
	defer d.peerIDs.mu.Unlock()
	out := make(map[string]monitor.RaftPeerView, len(d.peerIDs.byID))
	for runID, nodeID := range d.peerIDs.byID {
		v, ok := byNode[nodeID]
		if !ok {
			v = monitor.RaftPeerView{NodeID: nodeID, LastContact: -1} // not (or no longer) a member
		}
		out[runID] = v
	}
	return out
}
