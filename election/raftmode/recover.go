package raftmode

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"

	"github.com/hashicorp/raft"
)

// Recovery from losing a majority for good (docs/operations.md): raft can
// neither elect a leader nor change its membership without a majority of
// the old voter set, so the survivors are rewritten, offline, into a new
// and smaller group. hashicorp/raft's RecoverCluster does the rewriting:
// it restores the latest snapshot, applies every entry of the local log
// on top (committed or not: a survivor cannot tell), writes the result as
// a new snapshot whose configuration is the new voter set, and empties the
// log. The node then starts with that snapshot and elects a leader among
// the new voters alone.

// RecoverOptions configures Recover.
type RecoverOptions struct {
	// ID is this node's raft server ID; it must be one of Peers.
	ID string
	// Dir is the node's data directory. Recover refuses one that holds no
	// raft state, and one a running sentinel holds (ErrStoreLocked).
	Dir string
	// Peers is the new voter set. Every survivor must be recovered with
	// the same list, or they form several groups.
	Peers []Peer
	// Logger receives raft's logs. Required.
	Logger *slog.Logger
}

// RecoverResult is what a recovery found and wrote.
type RecoverResult struct {
	// Previous is the voter set the log held before the recovery.
	Previous []Peer
	// LastIndex and LastTerm are those of the last entry recovered; the
	// new snapshot carries them.
	LastIndex, LastTerm uint64
	// State is the agreed state the node restarts with.
	State Snapshot
}

// ErrNoState is returned by Recover for a data directory without raft
// state: there is nothing to recover (bootstrap a new group instead).
var ErrNoState = errors.New("raftmode: recover: the data directory holds no raft state")

func (o *RecoverOptions) validate() error {
	if o.ID == "" || o.Dir == "" || o.Logger == nil {
		return errors.New("raftmode: recover: need an ID, a data directory and a logger")
	}
	if len(o.Peers) == 0 {
		return errors.New("raftmode: recover: need the new voter set")
	}
	seen := map[string]bool{}
	addrs := map[string]bool{}
	self := false
	for i, p := range o.Peers {
		if p.ID == "" || p.Addr == "" {
			return fmt.Errorf("raftmode: recover: peers[%d] needs both ID and Addr", i)
		}
		if seen[p.ID] || addrs[p.Addr] {
			return fmt.Errorf("raftmode: recover: peers[%d]: %s=%s repeats an ID or an address", i, p.ID, p.Addr)
		}
		seen[p.ID], addrs[p.Addr] = true, true
		self = self || p.ID == o.ID
	}
	if !self {
		return fmt.Errorf("raftmode: recover: the new voter set must include this node (%s)", o.ID)
	}
	return nil
}

// Recover rewrites the raft state in opts.Dir so that the node starts as a
// member of the group opts.Peers, keeping the agreed state it holds. It
// must run while the node is stopped: it opens the data directory itself
// and fails with ErrStoreLocked while a sentinel holds it.
func Recover(opts RecoverOptions) (*RecoverResult, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	hlog := newHCLogger(opts.Logger.With("raft_id", opts.ID), "raft")
	st, err := openStores(opts.Dir, hlog)
	if err != nil {
		return nil, fmt.Errorf("raftmode: recover: %w", err)
	}
	defer st.Close()

	has, err := raft.HasExistingState(st.bolt, st.bolt, st.snaps)
	if err != nil {
		return nil, fmt.Errorf("raftmode: recover: %w", err)
	}
	if !has {
		return nil, fmt.Errorf("%w (%s)", ErrNoState, opts.Dir)
	}

	conf, _ := raftConfig(Options{ID: opts.ID}, hlog)
	// A transport is only named in RecoverCluster's signature: nothing is
	// sent. The in-memory one starts no goroutine.
	_, trans := raft.NewInmemTransport(raft.ServerAddress(opts.ID))
	defer trans.Close()

	res := &RecoverResult{}
	prev, err := raft.GetConfiguration(conf, newFSM(), st.bolt, st.bolt, st.snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("raftmode: recover: read the old configuration: %w", err)
	}
	for _, s := range prev.Servers {
		res.Previous = append(res.Previous, Peer{ID: string(s.ID), Addr: string(s.Address)})
	}

	var next raft.Configuration
	for _, p := range opts.Peers {
		next.Servers = append(next.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr)})
	}
	sort.Slice(next.Servers, func(i, j int) bool { return next.Servers[i].ID < next.Servers[j].ID })

	f := newFSM()
	if err := raft.RecoverCluster(conf, f, st.bolt, st.bolt, st.snaps, trans, next); err != nil {
		return nil, fmt.Errorf("raftmode: recover: %w", err)
	}
	res.State = f.current()
	snaps, err := st.snaps.List()
	if err == nil && len(snaps) > 0 {
		res.LastIndex, res.LastTerm = snaps[0].Index, snaps[0].Term
	}
	return res, nil
}
