package raftmode

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// fsm is the thin raft.FSM over state. It adds only locking and
// serialisation; every rule lives in state.apply.
type fsm struct {
	mu    sync.Mutex
	state *state
	// applied gets a value (without blocking) after every command or
	// restore that may have changed the state; see Node.Applied.
	applied chan struct{}
}

var _ raft.FSM = (*fsm)(nil)

func newFSM() *fsm { return &fsm{state: newState(), applied: make(chan struct{}, 1)} }

// signal tells Node.Applied's reader that the state may have changed.
func (f *fsm) signal() {
	select {
	case f.applied <- struct{}{}:
	default: // a signal is already pending; the reader reads the latest state
	}
}

// Apply applies one committed entry, in the term it was appended in (a
// lease records it). Raft's own entries (configuration, barriers, no-ops)
// never reach here with LogCommand, so they are skipped.
func (f *fsm) Apply(entry *raft.Log) any {
	if entry.Type != raft.LogCommand {
		return nil
	}
	defer f.signal()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state.applyBytes(entry.Term, entry.Data)
}

// Snapshot copies the state under the lock; the encoding happens later in
// Persist, off raft's apply path, as the raft.FSM contract asks.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &fsmSnapshot{snap: f.state.snapshot()}, nil
}

// Restore replaces the whole state with a snapshot. A snapshot that could
// not come from apply is refused with an error.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var file snapshotFile
	dec := json.NewDecoder(rc)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return fmt.Errorf("raftmode: restore: %w", err)
	}
	if file.Version != snapshotVersion {
		return fmt.Errorf("raftmode: restore: snapshot version %d, want %d", file.Version, snapshotVersion)
	}
	st, err := stateFromSnapshot(file.State)
	if err != nil {
		return fmt.Errorf("raftmode: restore: %w", err)
	}
	f.mu.Lock()
	f.state = st
	f.mu.Unlock()
	f.signal()
	return nil
}

// current returns a copy of the state for readers outside raft.
func (f *fsm) current() Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state.snapshot()
}

// lease returns master's current lease (zero for an unknown master).
func (f *fsm) lease(master string) Lease {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.state.masters[master]; ok {
		return m.Lease
	}
	return Lease{}
}

const snapshotVersion = 1

type snapshotFile struct {
	Version int      `json:"version"`
	State   Snapshot `json:"state"`
}

type fsmSnapshot struct {
	snap Snapshot
}

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	body, err := json.Marshal(snapshotFile{Version: snapshotVersion, State: s.snap})
	if err == nil {
		_, err = sink.Write(body)
	}
	if err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("raftmode: persist snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("raftmode: persist snapshot: %w", err)
	}
	return nil
}

func (s *fsmSnapshot) Release() {}
