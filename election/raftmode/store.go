package raftmode

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// The durable stores of one node (docs/decisions/0002-raft-storage-boltdb.md):
// raft-boltdb's BoltStore serves as both the LogStore and the StableStore in
// one file, and raft's own FileSnapshotStore keeps snapshots beside it.
const (
	// boltFileName is the BoltDB file inside the node's data directory.
	boltFileName = "raft.db"
	// boltOpenTimeout bounds the wait for BoltDB's file lock, so a second
	// process pointed at the same directory fails with a clear error
	// instead of blocking forever.
	boltOpenTimeout = 2 * time.Second
)

// ErrStoreLocked is returned by openStores when another process holds the
// data directory's BoltDB file.
var ErrStoreLocked = errors.New("raftmode: store: data directory in use by another process")

// stores are the durable stores of one node.
type stores struct {
	bolt  *raftboltdb.BoltStore
	snaps *raft.FileSnapshotStore
}

// openStores creates dir (0700) when missing and opens the BoltDB file and
// the snapshot store in it.
func openStores(dir string, hlog hclog.Logger) (*stores, error) {
	if dir == "" {
		return nil, errors.New("raftmode: store: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("raftmode: store: %w", err)
	}
	path := filepath.Join(dir, boltFileName)
	bolt, err := raftboltdb.New(raftboltdb.Options{
		Path:        path,
		BoltOptions: &bbolt.Options{Timeout: boltOpenTimeout},
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s: %w", ErrStoreLocked, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("raftmode: store: open %s: %w", path, err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, snapshotsRetained, hlog.Named("snapshots"))
	if err != nil {
		_ = bolt.Close()
		return nil, fmt.Errorf("raftmode: snapshot store: %w", err)
	}
	return &stores{bolt: bolt, snaps: snaps}, nil
}

// Close closes the BoltDB file; the snapshot store holds no open file.
func (s *stores) Close() error {
	if err := s.bolt.Close(); err != nil {
		return fmt.Errorf("raftmode: store: close: %w", err)
	}
	return nil
}
