package raftmode

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// testLogger writes to the test's output, which go test shows only for
// failing tests unless -v is set.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func openTestStores(t testing.TB, dir string) *stores {
	t.Helper()
	s, err := openStores(dir, newHCLogger(testLogger(t), "raft"))
	if err != nil {
		t.Fatalf("openStores: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func makeLogs(from, to uint64) []*raft.Log {
	var out []*raft.Log
	for i := from; i <= to; i++ {
		out = append(out, &raft.Log{
			Index: i, Term: i/3 + 1, Type: raft.LogCommand,
			Data: []byte{byte(i), 'd'}, Extensions: []byte("ext"),
			AppendedAt: t0.Add(time.Duration(i) * time.Millisecond),
		})
	}
	return out
}

// TestRaftStoreReopenKeepsEverything checks what raft relies on across a
// restart: the term, the vote and the log survive close and reopen, the
// stable store's missing key has the exact text raft compares with, and
// compaction survives too.
func TestRaftStoreReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s := openTestStores(t, dir)
	if _, err := s.bolt.Get([]byte("CurrentTerm")); err == nil || err.Error() != "not found" {
		t.Fatalf("Get of a missing key = %v, want the text raft looks for", err)
	}
	logs := makeLogs(1, 50)
	if err := s.bolt.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.bolt.SetUint64([]byte("CurrentTerm"), 7); err != nil {
		t.Fatal(err)
	}
	if err := s.bolt.Set([]byte("LastVoteCand"), []byte("node-2")); err != nil {
		t.Fatal(err)
	}
	if err := s.bolt.DeleteRange(1, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	r := openTestStores(t, dir)
	first, _ := r.bolt.FirstIndex()
	last, _ := r.bolt.LastIndex()
	if first != 11 || last != 50 {
		t.Fatalf("first/last after reopen = %d/%d, want 11/50", first, last)
	}
	for _, want := range logs[10:] {
		var got raft.Log
		if err := r.bolt.GetLog(want.Index, &got); err != nil {
			t.Fatalf("GetLog(%d): %v", want.Index, err)
		}
		if got.Term != want.Term || !bytes.Equal(got.Data, want.Data) || !bytes.Equal(got.Extensions, want.Extensions) {
			t.Fatalf("GetLog(%d) = %+v, want %+v", want.Index, got, want)
		}
	}
	var l raft.Log
	if err := r.bolt.GetLog(5, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog of a deleted entry = %v, want ErrLogNotFound", err)
	}
	if v, err := r.bolt.GetUint64([]byte("CurrentTerm")); err != nil || v != 7 {
		t.Fatalf("term after reopen = %d, %v", v, err)
	}
	if v, err := r.bolt.Get([]byte("LastVoteCand")); err != nil || string(v) != "node-2" {
		t.Fatalf("vote after reopen = %q, %v", v, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, boltFileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bolt file: %v, %v", fi, err)
	}
}

// TestRaftStoreRefusesSharedDirectory: two nodes on one data directory
// would corrupt each other's log; the second open must fail clearly
// (within the lock timeout) instead of blocking forever.
func TestRaftStoreRefusesSharedDirectory(t *testing.T) {
	dir := t.TempDir()
	openTestStores(t, dir)
	_, err := openStores(dir, newHCLogger(testLogger(t), "raft"))
	if !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("second open of one directory = %v, want ErrStoreLocked", err)
	}
}

func TestRaftStoreBadDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", filepath.Join(file, "sub")} {
		if s, err := openStores(dir, newHCLogger(testLogger(t), "raft")); err == nil {
			_ = s.Close()
			t.Fatalf("openStores(%q) succeeded", dir)
		}
	}
}
