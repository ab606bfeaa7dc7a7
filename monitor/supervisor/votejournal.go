package supervisor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sentinelgo/sentinel/configs"
)

// The vote journal. A vote may leave the process only once it is on disk
// (a vote forgotten across a restart could be cast again, for another
// candidate, in the same epoch). Writing the whole state for it costs a
// snapshot of every master, its rendering and two fsyncs: milliseconds of
// CPU with a hundred masters, far more on a loaded machine, paid before
// the reply while the candidate waits (issue 14). So a turn of the owner
// loop that only cast votes appends them to a small file beside the state
// (one write and one fdatasync for all the votes of the turn) and
// replies; the state itself is written a little later, coalesced, and the
// journal emptied once it is. A restart applies the journal over the
// state (loadState), so no vote it holds is forgotten.

// VoteRecord is one vote, as the journal keeps it: the master (by name),
// the epoch and candidate voted for, and our current epoch then.
type VoteRecord struct {
	Master       string `json:"m"`
	Leader       string `json:"l"`
	LeaderEpoch  uint64 `json:"le"`
	CurrentEpoch uint64 `json:"e"`
}

// VoteJournal makes votes durable without a state write (votejournal.go).
type VoteJournal interface {
	// Append writes the records durably (fdatasync) before it returns.
	Append(recs []VoteRecord) error
	// Reset empties the journal once the state holding its votes is
	// written. It need not be durable: a journal replayed twice changes
	// nothing.
	Reset() error
}

// fileJournal is the VoteJournal of a state file: <state path>.votes,
// one JSON object per line.
type fileJournal struct {
	f    *os.File
	size int64
	buf  []byte
}

// journalPath is where the journal of the state file statePath lives.
func journalPath(statePath string) string { return statePath + ".votes" }

// openVoteJournal opens (creating, durably) the journal of statePath.
func openVoteJournal(statePath string) (*fileJournal, error) {
	path := journalPath(statePath)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("supervisor: vote journal: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("supervisor: vote journal: %w", err)
	}
	// The file's directory entry must survive a crash before any vote
	// relies on it.
	if err := syncDir(filepath.Dir(path)); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &fileJournal{f: f, size: fi.Size()}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("supervisor: vote journal: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("supervisor: vote journal: fsync %s: %w", dir, err)
	}
	return nil
}

func (j *fileJournal) Append(recs []VoteRecord) error {
	// Each batch starts on a line of its own: if an earlier append was cut
	// short (and the truncate after it failed too), its torn last line must
	// not swallow the first record of this one. Empty lines are skipped.
	j.buf = append(j.buf[:0], '\n')
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("supervisor: vote journal: %w", err)
		}
		j.buf = append(append(j.buf, b...), '\n')
	}
	n, err := j.f.Write(j.buf)
	j.size += int64(n)
	if err != nil {
		return fmt.Errorf("supervisor: vote journal: write: %w", err)
	}
	if err := fdatasync(j.f); err != nil {
		return fmt.Errorf("supervisor: vote journal: fdatasync: %w", err)
	}
	return nil
}

func (j *fileJournal) Reset() error {
	if j.size == 0 {
		return nil
	}
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("supervisor: vote journal: truncate: %w", err)
	}
	j.size = 0
	return nil
}

func (j *fileJournal) Close() error { return j.f.Close() }

// readVoteJournal returns the records of the journal of statePath (none
// when there is no journal). A last line cut short by a crash is
// ignored: its votes were never answered.
func readVoteJournal(statePath string) ([]VoteRecord, error) {
	f, err := os.Open(journalPath(statePath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("supervisor: vote journal: %w", err)
	}
	defer f.Close()
	var out []VoteRecord
	rd := bufio.NewReaderSize(f, maxJournalLine)
	for {
		line, err := rd.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Longer than any record: garbage (zeros after a crash, say).
			// Skip to the next newline.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = rd.ReadSlice('\n')
			}
			line = nil
		}
		var r VoteRecord
		if len(line) > 0 && json.Unmarshal(line, &r) == nil && r.Master != "" {
			out = append(out, r)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("supervisor: vote journal %s: %w", journalPath(statePath), err)
		}
	}
}

// maxJournalLine bounds one journal line: a record is well under 1 KiB
// (a master name is at most a few hundred bytes).
const maxJournalLine = 64 << 10

// applyVotes raises cfg's epochs and votes to the journal's: the current
// epoch to the highest recorded, and each master's vote to its latest
// (a vote only ever moves to a higher epoch).
func applyVotes(cfg *configs.Config, recs []VoteRecord) {
	for _, r := range recs {
		cfg.Sentinel.CurrentEpoch = max(cfg.Sentinel.CurrentEpoch, r.CurrentEpoch, r.LeaderEpoch)
		if r.LeaderEpoch == 0 || r.Leader == "" || r.Leader == "*" {
			continue // a reply that carried no vote: only the epoch counts
		}
		for i := range cfg.Masters {
			m := &cfg.Masters[i]
			if m.Name != r.Master {
				continue
			}
			if r.LeaderEpoch > m.LeaderEpoch || (r.LeaderEpoch == m.LeaderEpoch && m.Leader == "") {
				m.LeaderEpoch, m.Leader = r.LeaderEpoch, r.Leader
			}
		}
	}
}
