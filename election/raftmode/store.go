package raftmode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/hashicorp/raft"
)

// Store is a durable raft.LogStore and raft.StableStore kept in one
// append-only file (see docs/decisions/0001-raft-storage.md).
//
// Every record is framed as a 4-byte length, a 4-byte CRC-32C of the
// payload, then the payload. StoreLogs and Set each append exactly one
// record and fsync before returning, so a crash loses at most a record that
// was never acknowledged; Open truncates such a torn tail. DeleteRange
// rewrites the file (temp file, fsync, rename, fsync of the directory).
//
// The whole log is also held in memory: raft compacts it after every
// snapshot (TrailingLogs), so it stays small for a sentinel group.
type Store struct {
	mu     sync.RWMutex
	path   string
	dir    string
	file   *os.File
	size   int64 // bytes of valid records in file, where the next append goes
	logs   map[uint64]*raft.Log
	low    uint64
	high   uint64
	kv     map[string][]byte
	failed error // set when the file may no longer match memory
	logger *slog.Logger
}

var (
	_ raft.LogStore    = (*Store)(nil)
	_ raft.StableStore = (*Store)(nil)
)

// ErrKeyNotFound is returned by Get and GetUint64 for a key never set.
// Its text must stay exactly "not found": hashicorp/raft recognises a
// missing term or vote by comparing err.Error() with that string.
var ErrKeyNotFound = errors.New("not found")

// ErrCorrupt reports a damaged record that is not a torn tail, which Open
// refuses to repair silently because dropping it could forget a vote.
var ErrCorrupt = errors.New("raftmode: store: corrupt record")

// ErrClosed is returned by every operation on a closed store.
var ErrClosed = errors.New("raftmode: store: closed")

const (
	storeFileName = "raft.log"
	storeMagic    = "SGRAFT1\n"
	frameHeader   = 8 // length + CRC
	// maxRecord bounds one record so a damaged length cannot make Open
	// allocate without limit.
	maxRecord = 256 << 20

	recordLogs byte = 1
	recordSet  byte = 2

	// rewriteBatch is how many entries one record holds when DeleteRange
	// rewrites the file.
	rewriteBatch = 1024
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// OpenStore opens or creates the store in dir, repairing a torn tail.
func OpenStore(dir string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		return nil, errors.New("raftmode: store: nil logger")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("raftmode: store: %w", err)
	}
	s := &Store{
		path:   filepath.Join(dir, storeFileName),
		dir:    dir,
		logs:   make(map[uint64]*raft.Log),
		kv:     make(map[string][]byte),
		logger: logger,
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("raftmode: store: %w", err)
	}
	if err := s.load(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	s.file = f
	return s, nil
}

// load replays the file into memory and cuts off a torn tail.
func (s *Store) load(f *os.File) error {
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("raftmode: store: read %s: %w", s.path, err)
	}
	if len(data) < len(storeMagic) {
		// A fresh file, or a crash before the header reached the disk.
		if !bytes.HasPrefix([]byte(storeMagic), data) {
			return fmt.Errorf("%w: %s has no store header", ErrCorrupt, s.path)
		}
		return s.resetFile(f)
	}
	if string(data[:len(storeMagic)]) != storeMagic {
		return fmt.Errorf("%w: %s is not a raft store file", ErrCorrupt, s.path)
	}
	off := len(storeMagic)
	for off < len(data) {
		payload, n, err := readFrame(data[off:])
		if err != nil {
			if !tornTail(data[off:]) {
				return fmt.Errorf("%w at offset %d of %s: %w", ErrCorrupt, off, s.path, err)
			}
			s.logger.Warn("raft store: truncating torn tail", "path", s.path,
				"offset", off, "dropped_bytes", len(data)-off, "err", err)
			return s.truncateAt(f, int64(off))
		}
		if err := s.replay(payload); err != nil {
			return fmt.Errorf("%w at offset %d of %s: %w", ErrCorrupt, off, s.path, err)
		}
		off += n
	}
	s.size = int64(off)
	_, err = f.Seek(s.size, io.SeekStart)
	if err != nil {
		return fmt.Errorf("raftmode: store: %w", err)
	}
	return nil
}

// tornTail reports whether damage starting at rest can be the unfinished
// last append: the damaged frame is the last one in the file (it ends at or
// past the end), or everything from there on is zero (a size extended
// before its data reached the disk). Anything else is real corruption.
func tornTail(rest []byte) bool {
	if len(rest) < frameHeader {
		return true
	}
	length := binary.BigEndian.Uint32(rest[0:4])
	if uint64(length) >= uint64(len(rest)-frameHeader) {
		return true
	}
	return !slices.ContainsFunc(rest, func(b byte) bool { return b != 0 })
}

func (s *Store) resetFile(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("raftmode: store: %w", err)
	}
	if _, err := f.WriteAt([]byte(storeMagic), 0); err != nil {
		return fmt.Errorf("raftmode: store: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("raftmode: store: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	s.size = int64(len(storeMagic))
	if _, err := f.Seek(s.size, io.SeekStart); err != nil {
		return fmt.Errorf("raftmode: store: %w", err)
	}
	return nil
}

func (s *Store) truncateAt(f *os.File, off int64) error {
	if err := f.Truncate(off); err != nil {
		return fmt.Errorf("raftmode: store: truncate: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("raftmode: store: %w", err)
	}
	s.size = off
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("raftmode: store: %w", err)
	}
	return nil
}

// readFrame returns the payload of the frame at the start of b and the
// frame's total size.
func readFrame(b []byte) (payload []byte, n int, err error) {
	if len(b) < frameHeader {
		return nil, 0, fmt.Errorf("short frame header (%d bytes)", len(b))
	}
	length := binary.BigEndian.Uint32(b[0:4])
	sum := binary.BigEndian.Uint32(b[4:8])
	if length == 0 {
		// Every record has at least its kind byte; a zero length is what
		// zero-filled space after a crash looks like.
		return nil, 0, errors.New("empty record")
	}
	if length > maxRecord {
		return nil, 0, fmt.Errorf("record length %d above limit", length)
	}
	if uint64(length) > uint64(len(b)-frameHeader) {
		return nil, 0, fmt.Errorf("record of %d bytes runs past end of file", length)
	}
	payload = b[frameHeader : frameHeader+int(length)]
	if crc32.Checksum(payload, crcTable) != sum {
		return nil, 0, errors.New("checksum mismatch")
	}
	return payload, frameHeader + int(length), nil
}

func appendFrame(dst, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.BigEndian.AppendUint32(dst, crc32.Checksum(payload, crcTable))
	return append(dst, payload...)
}

// replay applies one decoded record to the in-memory maps.
func (s *Store) replay(payload []byte) error {
	rec, err := decodeRecord(payload)
	if err != nil {
		return err
	}
	if rec.kind == recordSet {
		s.kv[string(rec.key)] = rec.value
		return nil
	}
	s.putLogs(rec.logs)
	return nil
}

// record is one decoded payload: either a batch of log entries or one
// stable-store key.
type record struct {
	kind  byte
	logs  []*raft.Log
	key   []byte
	value []byte
}

func encodeLogsRecord(logs []*raft.Log) []byte {
	out := []byte{recordLogs}
	out = binary.AppendUvarint(out, uint64(len(logs)))
	for _, l := range logs {
		out = binary.AppendUvarint(out, l.Index)
		out = binary.AppendUvarint(out, l.Term)
		out = append(out, byte(l.Type))
		out = appendBytes(out, l.Data)
		out = appendBytes(out, l.Extensions)
		var at []byte
		if !l.AppendedAt.IsZero() {
			// MarshalBinary fails only for zone offsets no real clock has.
			at, _ = l.AppendedAt.MarshalBinary()
		}
		out = appendBytes(out, at)
	}
	return out
}

func encodeSetRecord(key, value []byte) []byte {
	out := []byte{recordSet}
	out = appendBytes(out, key)
	return appendBytes(out, value)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// recordReader decodes the fields of one payload, remembering the first error.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errors.New("record ends early")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *recordReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("field of %d bytes runs past record end", n)
		return nil
	}
	if n == 0 {
		return nil
	}
	v := bytes.Clone(r.b[:n])
	r.b = r.b[n:]
	return v
}

// decodeRecord parses one payload. It never panics on bad input.
func decodeRecord(payload []byte) (record, error) {
	r := &recordReader{b: payload}
	rec := record{kind: r.byte()}
	switch rec.kind {
	case recordSet:
		rec.key = r.bytes()
		rec.value = r.bytes()
		if rec.value == nil {
			rec.value = []byte{}
		}
	case recordLogs:
		count := r.uvarint()
		// Each entry takes at least 6 bytes, which bounds a lying count.
		if r.err == nil && count > uint64(len(r.b)) {
			return record{}, fmt.Errorf("log count %d exceeds record size", count)
		}
		for i := uint64(0); i < count && r.err == nil; i++ {
			l := &raft.Log{Index: r.uvarint(), Term: r.uvarint(), Type: raft.LogType(r.byte())}
			l.Data = r.bytes()
			l.Extensions = r.bytes()
			if at := r.bytes(); r.err == nil && len(at) > 0 {
				if err := l.AppendedAt.UnmarshalBinary(at); err != nil {
					return record{}, fmt.Errorf("log %d appended_at: %w", l.Index, err)
				}
			}
			rec.logs = append(rec.logs, l)
		}
	default:
		if r.err == nil {
			return record{}, fmt.Errorf("unknown record kind %d", rec.kind)
		}
	}
	if r.err != nil {
		return record{}, r.err
	}
	if len(r.b) != 0 {
		return record{}, fmt.Errorf("%d trailing bytes in record", len(r.b))
	}
	return rec, nil
}

// append writes one framed record and fsyncs it. On failure it cuts the
// file back so memory and disk still agree, or marks the store failed.
func (s *Store) append(payload []byte) error {
	if s.file == nil {
		return ErrClosed
	}
	if s.failed != nil {
		return fmt.Errorf("raftmode: store unusable after earlier error: %w", s.failed)
	}
	frame := appendFrame(make([]byte, 0, frameHeader+len(payload)), payload)
	_, err := s.file.WriteAt(frame, s.size)
	if err == nil {
		err = s.file.Sync()
	}
	if err != nil {
		if terr := s.file.Truncate(s.size); terr != nil {
			s.failed = terr
		}
		return fmt.Errorf("raftmode: store: append: %w", err)
	}
	s.size += int64(len(frame))
	return nil
}

func (s *Store) putLogs(logs []*raft.Log) {
	for _, l := range logs {
		s.logs[l.Index] = l
		if len(s.logs) == 1 {
			s.low, s.high = l.Index, l.Index
			continue
		}
		s.low = min(s.low, l.Index)
		s.high = max(s.high, l.Index)
	}
}

// FirstIndex returns the first index written, 0 for no entries.
func (s *Store) FirstIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.file == nil {
		return 0, ErrClosed
	}
	return s.low, nil
}

// LastIndex returns the last index written, 0 for no entries.
func (s *Store) LastIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.file == nil {
		return 0, ErrClosed
	}
	return s.high, nil
}

// GetLog gets the log entry at index, or raft.ErrLogNotFound.
func (s *Store) GetLog(index uint64, out *raft.Log) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.file == nil {
		return ErrClosed
	}
	l, ok := s.logs[index]
	if !ok {
		return raft.ErrLogNotFound
	}
	*out = *l
	return nil
}

// StoreLog stores one log entry durably.
func (s *Store) StoreLog(l *raft.Log) error {
	return s.StoreLogs([]*raft.Log{l})
}

// StoreLogs stores entries durably as one record: after a crash either all
// of them are there or none is.
func (s *Store) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	// Copy so later changes by the caller cannot alter what we hold.
	own := make([]*raft.Log, len(logs))
	for i, l := range logs {
		c := *l
		c.Data = bytes.Clone(l.Data)
		c.Extensions = bytes.Clone(l.Extensions)
		own[i] = &c
	}
	payload := encodeLogsRecord(own)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(payload); err != nil {
		return err
	}
	s.putLogs(own)
	return nil
}

// DeleteRange deletes entries min..max inclusive by rewriting the file
// without them, then atomically replacing the old one.
func (s *Store) DeleteRange(minIndex, maxIndex uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return ErrClosed
	}
	if s.failed != nil {
		return fmt.Errorf("raftmode: store unusable after earlier error: %w", s.failed)
	}
	keep := make(map[uint64]*raft.Log, len(s.logs))
	for idx, l := range s.logs {
		if idx < minIndex || idx > maxIndex {
			keep[idx] = l
		}
	}
	f, size, err := s.rewrite(keep)
	if err != nil {
		return err
	}
	_ = s.file.Close()
	s.file, s.size = f, size
	s.logs = keep
	s.low, s.high = 0, 0
	first := true
	for idx := range keep {
		if first {
			s.low, s.high, first = idx, idx, false
		}
		s.low = min(s.low, idx)
		s.high = max(s.high, idx)
	}
	if s.failed != nil {
		return fmt.Errorf("raftmode: store: delete range: %w", s.failed)
	}
	return nil
}

// rewrite writes a complete new file holding keep and the stable keys and
// renames it over the old one. It returns the new file open for appends.
func (s *Store) rewrite(keep map[uint64]*raft.Log) (*os.File, int64, error) {
	tmpPath := s.path + ".tmp"
	f, err := os.OpenFile(tmpPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("raftmode: store: rewrite: %w", err)
	}
	fail := func(err error) (*os.File, int64, error) {
		_ = f.Close()
		_ = os.Remove(tmpPath)
		return nil, 0, fmt.Errorf("raftmode: store: rewrite: %w", err)
	}
	buf := []byte(storeMagic)
	for _, key := range slices.Sorted(maps.Keys(s.kv)) {
		buf = appendFrame(buf, encodeSetRecord([]byte(key), s.kv[key]))
	}
	indexes := slices.Sorted(maps.Keys(keep))
	for chunk := range slices.Chunk(indexes, rewriteBatch) {
		batch := make([]*raft.Log, len(chunk))
		for i, idx := range chunk {
			batch[i] = keep[idx]
		}
		buf = appendFrame(buf, encodeLogsRecord(batch))
	}
	if _, err := f.Write(buf); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpPath, s.path); err != nil {
		return fail(err)
	}
	if err := syncDir(s.dir); err != nil {
		// The rename happened, so the new file is the store from now on,
		// but it may not survive a crash: refuse further writes.
		s.failed = err
	}
	return f, int64(len(buf)), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("raftmode: store: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("raftmode: store: sync dir: %w", err)
	}
	return nil
}

// Set stores a stable key durably.
func (s *Store) Set(key, value []byte) error {
	payload := encodeSetRecord(key, value)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(payload); err != nil {
		return err
	}
	s.kv[string(key)] = bytes.Clone(value)
	if s.kv[string(key)] == nil {
		s.kv[string(key)] = []byte{}
	}
	return nil
}

// Get returns the value of key, or ErrKeyNotFound.
func (s *Store) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.file == nil {
		return nil, ErrClosed
	}
	v, ok := s.kv[string(key)]
	if !ok {
		return nil, ErrKeyNotFound
	}
	return bytes.Clone(v), nil
}

// SetUint64 stores a stable uint64 durably.
func (s *Store) SetUint64(key []byte, value uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, value))
}

// GetUint64 returns the uint64 under key, or ErrKeyNotFound.
func (s *Store) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("raftmode: store: key %q holds %d bytes, not a uint64", key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// Close closes the file. It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	if err != nil {
		return fmt.Errorf("raftmode: store: close: %w", err)
	}
	return nil
}
