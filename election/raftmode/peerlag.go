package raftmode

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Per-peer replication progress, as the leader sees it. hashicorp/raft
// keeps each follower's match index and last contact inside its
// replication goroutines and exports neither, so the node wraps its
// transport: every AppendEntries (heartbeats included), pipelined append
// and InstallSnapshot the leader sends is seen with its answer, which
// gives per peer the time of the last answer and the highest log index
// the peer acknowledged.

// PeerStats is one other voter as the leader sees it (Node.Peers).
type PeerStats struct {
	ID, Addr string
	Suffrage string // Voter, Nonvoter, Staging
	// MatchIndex is the highest log index the peer acknowledged in this
	// leader's term (0 until it has acknowledged one).
	MatchIndex uint64
	// Lag is the leader's last log index minus MatchIndex.
	Lag uint64
	// LastContact is the time since the peer last answered an RPC of this
	// leader's term; -1 when it never has.
	LastContact time.Duration
}

// peerProgress is what the tracker knows of one peer, for one term.
type peerProgress struct {
	term    uint64
	match   uint64
	contact time.Time // zero: no answer yet in term
}

// peerTracker records the answers the transport sees. Safe for
// concurrent use: raft replicates to each peer on its own goroutine.
type peerTracker struct {
	mu    sync.Mutex
	peers map[raft.ServerID]*peerProgress
	now   func() time.Time
}

func newPeerTracker(now func() time.Time) *peerTracker {
	return &peerTracker{peers: make(map[raft.ServerID]*peerProgress), now: now}
}

// record notes an RPC of term sent to id: answered says whether the peer
// answered, match is the index it acknowledged (0 for none).
func (t *peerTracker) record(id raft.ServerID, term uint64, answered bool, match uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.peers[id]
	if p == nil || p.term < term {
		p = &peerProgress{term: term}
		t.peers[id] = p
	}
	if p.term > term {
		return // a late answer from an older term
	}
	if answered {
		p.contact = t.now()
	}
	p.match = max(p.match, match)
}

// get returns the progress of id in term.
func (t *peerTracker) get(id raft.ServerID, term uint64) (match uint64, contact time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.peers[id]; p != nil && p.term == term {
		return p.match, p.contact
	}
	return 0, time.Time{}
}

// lastIndexOf is the highest index an AppendEntries carries.
func lastIndexOf(args *raft.AppendEntriesRequest) uint64 {
	if n := len(args.Entries); n > 0 {
		return args.Entries[n-1].Index
	}
	return args.PrevLogEntry
}

// trackingTransport is the node's transport with the tracker watching the
// leader's outgoing RPCs. Everything else goes straight through.
type trackingTransport struct {
	raft.Transport
	t *peerTracker
}

var (
	_ raft.WithPreVote = (*trackingTransport)(nil)
	_ raft.WithClose   = (*trackingTransport)(nil)
)

func (tt *trackingTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	err := tt.Transport.AppendEntries(id, target, args, resp)
	tt.noteAppend(id, args, resp, err)
	return err
}

func (tt *trackingTransport) noteAppend(id raft.ServerID, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse, err error) {
	var match uint64
	if err == nil && resp.Success {
		match = lastIndexOf(args)
	}
	tt.t.record(id, args.Term, err == nil, match)
}

func (tt *trackingTransport) InstallSnapshot(id raft.ServerID, target raft.ServerAddress, args *raft.InstallSnapshotRequest, resp *raft.InstallSnapshotResponse, data io.Reader) error {
	err := tt.Transport.InstallSnapshot(id, target, args, resp, data)
	var match uint64
	if err == nil && resp.Success {
		match = args.LastLogIndex
	}
	tt.t.record(id, args.Term, err == nil, match)
	return err
}

// errNoPreVote is what RequestPreVote answers over a transport without
// pre-vote; both transports the node uses have it.
var errNoPreVote = errors.New("raftmode: transport has no pre-vote")

func (tt *trackingTransport) RequestPreVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest, resp *raft.RequestPreVoteResponse) error {
	pv, ok := tt.Transport.(raft.WithPreVote)
	if !ok {
		return errNoPreVote
	}
	return pv.RequestPreVote(id, target, args, resp)
}

func (tt *trackingTransport) Close() error {
	if c, ok := tt.Transport.(raft.WithClose); ok {
		return c.Close()
	}
	return nil
}

func (tt *trackingTransport) AppendEntriesPipeline(id raft.ServerID, target raft.ServerAddress) (raft.AppendPipeline, error) {
	inner, err := tt.Transport.AppendEntriesPipeline(id, target)
	if err != nil {
		return nil, err
	}
	p := &trackingPipeline{inner: inner, tt: tt, id: id, out: make(chan raft.AppendFuture, cap(inner.Consumer())), closed: make(chan struct{}), done: make(chan struct{})}
	go p.relay() // owned by p: ends on Close
	return p, nil
}

// trackingPipeline relays the inner pipeline's finished futures to raft,
// noting each answer on the way.
type trackingPipeline struct {
	inner     raft.AppendPipeline
	tt        *trackingTransport
	id        raft.ServerID
	out       chan raft.AppendFuture
	closed    chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (p *trackingPipeline) AppendEntries(args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) (raft.AppendFuture, error) {
	return p.inner.AppendEntries(args, resp)
}

func (p *trackingPipeline) Consumer() <-chan raft.AppendFuture { return p.out }

func (p *trackingPipeline) relay() {
	defer close(p.done)
	for {
		select {
		case <-p.closed:
			return
		case f, ok := <-p.inner.Consumer():
			if !ok {
				return
			}
			p.tt.noteAppend(p.id, f.Request(), f.Response(), f.Error())
			select {
			case p.out <- f:
			case <-p.closed:
				return
			}
		}
	}
}

// Close closes the inner pipeline and waits for the relay to end.
func (p *trackingPipeline) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closed)
		err = p.inner.Close()
		<-p.done
	})
	return err
}

// Peers returns the progress of every other member of the configuration
// as this node sees it while it leads; nil on a follower or candidate,
// which hear from the leader only.
func (n *Node) Peers() []PeerStats {
	if n.raft.State() != raft.Leader {
		return nil
	}
	st := n.Stats()
	f := n.raft.GetConfiguration() // answered at once from the latest configuration
	if f.Error() != nil {
		return nil
	}
	now := n.now()
	var out []PeerStats
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == n.id {
			continue
		}
		match, contact := n.peers.get(s.ID, st.Term)
		ps := PeerStats{ID: string(s.ID), Addr: string(s.Address), Suffrage: s.Suffrage.String(), MatchIndex: match, LastContact: -1}
		if st.LastLogIndex > match {
			ps.Lag = st.LastLogIndex - match
		}
		if !contact.IsZero() {
			ps.LastContact = max(now.Sub(contact), 0)
		}
		out = append(out, ps)
	}
	return out
}

// Servers returns every member of the latest configuration (this node
// included) with its suffrage, on any node; the progress fields are
// zero (see Peers for the leader's view).
func (n *Node) Servers() []PeerStats {
	f := n.raft.GetConfiguration() // answered at once from the latest configuration
	if f.Error() != nil {
		return nil
	}
	var out []PeerStats
	for _, s := range f.Configuration().Servers {
		out = append(out, PeerStats{ID: string(s.ID), Addr: string(s.Address), Suffrage: s.Suffrage.String(), LastContact: -1})
	}
	return out
}
