package raftmode

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftbench "github.com/hashicorp/raft/bench"
)

// testLogger writes to the test's output, which go test shows only for
// failing tests unless -v is set.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func openTestStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := OpenStore(dir, testLogger(t))
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
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

func wantIndexes(t *testing.T, s *Store, first, last uint64) {
	t.Helper()
	f, err := s.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	if f != first || l != last {
		t.Fatalf("first/last = %d/%d, want %d/%d", f, l, first, last)
	}
}

func wantLog(t *testing.T, s *Store, want *raft.Log) {
	t.Helper()
	var got raft.Log
	if err := s.GetLog(want.Index, &got); err != nil {
		t.Fatalf("GetLog(%d): %v", want.Index, err)
	}
	if got.Index != want.Index || got.Term != want.Term || got.Type != want.Type ||
		!bytes.Equal(got.Data, want.Data) || !bytes.Equal(got.Extensions, want.Extensions) ||
		!got.AppendedAt.Equal(want.AppendedAt) {
		t.Fatalf("GetLog(%d) = %+v, want %+v", want.Index, got, want)
	}
}

func TestStoreLogStoreConformance(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	wantIndexes(t, s, 0, 0)
	var l raft.Log
	if err := s.GetLog(1, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog on empty store: %v, want ErrLogNotFound", err)
	}
	logs := makeLogs(1, 10)
	if err := s.StoreLog(logs[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs(logs[1:]); err != nil {
		t.Fatal(err)
	}
	wantIndexes(t, s, 1, 10)
	for _, want := range logs {
		wantLog(t, s, want)
	}
	if err := s.GetLog(11, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog(11): %v, want ErrLogNotFound", err)
	}

	// Compaction from the front, then a conflict truncation at the back.
	if err := s.DeleteRange(1, 4); err != nil {
		t.Fatal(err)
	}
	wantIndexes(t, s, 5, 10)
	if err := s.GetLog(4, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog(4) after delete: %v", err)
	}
	if err := s.DeleteRange(8, 10); err != nil {
		t.Fatal(err)
	}
	wantIndexes(t, s, 5, 7)
	if err := s.DeleteRange(5, 7); err != nil {
		t.Fatal(err)
	}
	wantIndexes(t, s, 0, 0)
}

func TestStoreStableStore(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	if _, err := s.Get([]byte("k")); err == nil || err.Error() != "not found" {
		t.Fatalf("Get missing = %v, want the exact error text raft looks for", err)
	}
	if _, err := s.GetUint64([]byte("term")); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("GetUint64 missing = %v", err)
	}
	if err := s.Set([]byte("k"), []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("k"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("empty"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("term"), 42); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get([]byte("k")); err != nil || string(v) != "v2" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if v, err := s.Get([]byte("empty")); err != nil || len(v) != 0 {
		t.Fatalf("Get empty = %q, %v; a key set to nil must still exist", v, err)
	}
	if v, err := s.GetUint64([]byte("term")); err != nil || v != 42 {
		t.Fatalf("GetUint64 = %d, %v", v, err)
	}
	if _, err := s.GetUint64([]byte("k")); err == nil {
		t.Fatal("GetUint64 of a 2-byte value gave no error")
	}
}

func TestStoreReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	logs := makeLogs(1, 50)
	if err := s.StoreLogs(logs[:20]); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 7); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs(logs[20:]); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(1, 10); err != nil { // forces a rewrite
		t.Fatal(err)
	}
	if err := s.Set([]byte("LastVoteCand"), []byte("node-2")); err != nil { // append after rewrite
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.LastIndex(); !errors.Is(err, ErrClosed) {
		t.Fatalf("LastIndex after Close: %v, want ErrClosed", err)
	}

	r := openTestStore(t, dir)
	wantIndexes(t, r, 11, 50)
	for _, want := range logs[10:] {
		wantLog(t, r, want)
	}
	if v, err := r.GetUint64([]byte("CurrentTerm")); err != nil || v != 7 {
		t.Fatalf("term after reopen = %d, %v", v, err)
	}
	if v, err := r.Get([]byte("LastVoteCand")); err != nil || string(v) != "node-2" {
		t.Fatalf("vote after reopen = %q, %v", v, err)
	}
	if _, err := os.Stat(filepath.Join(dir, storeFileName+".tmp")); !os.IsNotExist(err) {
		t.Fatalf("temp file left behind: %v", err)
	}
}

// TestStoreCrashRecovery simulates a crash in the middle of an append by
// cutting the file at every byte of the last record: Open must keep every
// earlier record and drop the torn one.
func TestStoreCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	logs := makeLogs(1, 6)
	if err := s.StoreLogs(logs[:3]); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 3); err != nil {
		t.Fatal(err)
	}
	sizeBefore := s.size
	if err := s.StoreLogs(logs[3:]); err != nil {
		t.Fatal(err)
	}
	sizeAfter := s.size
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(filepath.Join(dir, storeFileName))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(full)) != sizeAfter {
		t.Fatalf("file is %d bytes, store said %d", len(full), sizeAfter)
	}

	for cut := sizeBefore; cut < sizeAfter; cut++ {
		crashDir := t.TempDir()
		path := filepath.Join(crashDir, storeFileName)
		if err := os.WriteFile(path, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		r := openTestStore(t, crashDir)
		wantIndexes(t, r, 1, 3)
		if v, err := r.GetUint64([]byte("CurrentTerm")); err != nil || v != 3 {
			t.Fatalf("cut %d: term = %d, %v", cut, v, err)
		}
		// The repaired store must accept appends that survive a reopen.
		if err := r.StoreLogs(logs[3:4]); err != nil {
			t.Fatalf("cut %d: append after repair: %v", cut, err)
		}
		_ = r.Close()
		again := openTestStore(t, crashDir)
		wantIndexes(t, again, 1, 4)
		_ = again.Close()
	}
}

func TestStoreTornTailWithGarbageAndZeros(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	if err := s.StoreLogs(makeLogs(1, 3)); err != nil {
		t.Fatal(err)
	}
	size := s.size
	_ = s.Close()
	path := filepath.Join(dir, storeFileName)
	full, _ := os.ReadFile(path)

	// The last record's length reached the disk but its body is garbage.
	garbage := appendFrame(nil, encodeLogsRecord(makeLogs(4, 4)))
	garbage[len(garbage)-1] ^= 0xff
	if err := os.WriteFile(path, append(bytes.Clone(full), garbage...), 0o600); err != nil {
		t.Fatal(err)
	}
	r := openTestStore(t, dir)
	wantIndexes(t, r, 1, 3)
	_ = r.Close()

	// The file grew with zeros before its data arrived.
	if err := os.WriteFile(path, append(bytes.Clone(full[:size]), make([]byte, 100)...), 0o600); err != nil {
		t.Fatal(err)
	}
	r = openTestStore(t, dir)
	wantIndexes(t, r, 1, 3)
}

func TestStoreRefusesMidFileCorruption(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	if err := s.StoreLogs(makeLogs(1, 3)); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs(makeLogs(4, 6)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	path := filepath.Join(dir, storeFileName)
	data, _ := os.ReadFile(path)
	data[len(storeMagic)+frameHeader+2] ^= 0xff // inside the first record
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(dir, testLogger(t)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("OpenStore with a damaged middle record: %v, want ErrCorrupt", err)
	}

	if err := os.WriteFile(path, []byte("not a raft store at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(dir, testLogger(t)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("OpenStore on a foreign file: %v, want ErrCorrupt", err)
	}
}

func TestOpenStoreBadArguments(t *testing.T) {
	if _, err := OpenStore(t.TempDir(), nil); err == nil {
		t.Fatal("nil logger accepted")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(file, testLogger(t)); err == nil {
		t.Fatal("a file as directory accepted")
	}
}

// FuzzDecodeRecord: the record parser never panics, and whatever it
// accepts re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeLogsRecord(makeLogs(1, 3)))
	f.Add(encodeSetRecord([]byte("CurrentTerm"), []byte{0, 0, 0, 0, 0, 0, 0, 9}))
	f.Add([]byte{recordLogs, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{recordSet, 5, 'a'})
	f.Add([]byte{9})
	f.Fuzz(func(t *testing.T, payload []byte) {
		rec, err := decodeRecord(payload)
		if err != nil {
			return
		}
		var again []byte
		if rec.kind == recordSet {
			again = encodeSetRecord(rec.key, rec.value)
		} else {
			again = encodeLogsRecord(rec.logs)
		}
		if _, err := decodeRecord(again); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
	})
}

// FuzzOpenStore: any file content gives a store or an error, never a panic.
func FuzzOpenStore(f *testing.F) {
	good := []byte(storeMagic)
	good = appendFrame(good, encodeLogsRecord(makeLogs(1, 2)))
	good = appendFrame(good, encodeSetRecord([]byte("k"), []byte("v")))
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte(storeMagic[:3]))
	f.Add(append([]byte(storeMagic), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, storeFileName), content, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := OpenStore(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return
		}
		defer s.Close()
		first, _ := s.FirstIndex()
		last, _ := s.LastIndex()
		if first > last {
			t.Fatalf("first %d > last %d", first, last)
		}
	})
}

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := OpenStore(b.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// The shared hashicorp/raft store benchmarks, as raft-boltdb runs them.
func BenchmarkStoreFirstIndex(b *testing.B)  { raftbench.FirstIndex(b, benchStore(b)) }
func BenchmarkStoreLastIndex(b *testing.B)   { raftbench.LastIndex(b, benchStore(b)) }
func BenchmarkStoreGetLog(b *testing.B)      { raftbench.GetLog(b, benchStore(b)) }
func BenchmarkStoreStoreLog(b *testing.B)    { raftbench.StoreLog(b, benchStore(b)) }
func BenchmarkStoreStoreLogs(b *testing.B)   { raftbench.StoreLogs(b, benchStore(b)) }
func BenchmarkStoreDeleteRange(b *testing.B) { raftbench.DeleteRange(b, benchStore(b)) }
func BenchmarkStoreSet(b *testing.B)         { raftbench.Set(b, benchStore(b)) }
func BenchmarkStoreGet(b *testing.B)         { raftbench.Get(b, benchStore(b)) }
func BenchmarkStoreSetUint64(b *testing.B)   { raftbench.SetUint64(b, benchStore(b)) }
func BenchmarkStoreGetUint64(b *testing.B)   { raftbench.GetUint64(b, benchStore(b)) }
