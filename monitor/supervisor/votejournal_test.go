package supervisor

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/monitor"
)

// memJournal records what the loop journals.
type memJournal struct {
	mu      sync.Mutex
	appends [][]VoteRecord
	resets  int
}

func (j *memJournal) Append(recs []VoteRecord) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.appends = append(j.appends, append([]VoteRecord(nil), recs...))
	return nil
}

func (j *memJournal) Reset() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.resets++
	return nil
}

func (j *memJournal) counts() (int, int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.appends), j.resets
}

// startJournalLoop runs a Loop with a memJournal inside the test's bubble,
// past its first state write at start; stop ends it.
func startJournalLoop(t *testing.T) (*switchablePersister, *memJournal, *controller, func()) {
	per := &switchablePersister{}
	j := &memJournal{}
	opts := testLoopOptions(nopExec{}, per)
	opts.Journal = j
	loop, err := NewLoop(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	synctest.Wait() // the first flush at start is done
	ctrl := &controller{loop: loop, globals: &globals{level: new(slog.LevelVar)}}
	return per, j, ctrl, func() {
		cancel()
		<-done
	}
}

// TestVoteJournal_VotesNeedNoStateWrite: with a journal, the votes of a
// turn are appended to it (once for the batch) and answered without a
// state write; the state is written later, and the journal emptied then.
func TestVoteJournal_VotesNeedNoStateWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		per, j, ctrl, stop := startJournalLoop(t)
		defer stop()
		writes, _ := per.count()
		cand := strings.Repeat("b", 40)
		rep, err := ctrl.IsMasterDownByAddr(ctx, monitor.IsMasterDownRequest{Addr: monitor.Addr{Host: "127.0.0.1", Port: 6379}, CurrentEpoch: 4, RunID: cand})
		if err != nil || rep.Leader != cand || rep.LeaderEpoch != 4 {
			t.Fatalf("vote: %+v, %v", rep, err)
		}
		if n, _ := per.count(); n != writes {
			t.Fatalf("%d state writes before the reply, want none (the journal has the vote)", n-writes)
		}
		if n, _ := j.counts(); n != 1 {
			t.Fatalf("%d journal appends, want 1", n)
		}
		if got := j.appends[0]; len(got) != 1 || got[0] != (VoteRecord{Master: "mymaster", Leader: cand, LeaderEpoch: 4, CurrentEpoch: 4}) {
			t.Fatalf("journaled %+v", got)
		}
		// A question changes nothing: no write, no append.
		if _, err := ctrl.IsMasterDownByAddr(ctx, monitor.IsMasterDownRequest{Addr: monitor.Addr{Host: "127.0.0.1", Port: 6379}, RunID: "*"}); err != nil {
			t.Fatal(err)
		}
		if n, _ := j.counts(); n != 1 {
			t.Fatalf("a question was journaled")
		}
		// The next turns write the state (coalesced) and empty the journal.
		time.Sleep(time.Second) // fake time: the loop's ticks run
		synctest.Wait()
		n, last := per.count()
		if n == writes || last.Masters[0].Leader != cand || last.Masters[0].LeaderEpoch != 4 {
			t.Fatalf("state not written with the vote after a second (%d writes)", n-writes)
		}
		if _, resets := j.counts(); resets == 0 {
			t.Fatal("journal not emptied after the state write")
		}
	})
}

// TestVoteJournal_FileRoundTrip: appended votes are read back, a torn last
// line is ignored, and applying them raises the epochs and votes of the
// configuration, never lowers them; an emptied journal gives nothing.
func TestVoteJournal_FileRoundTrip(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sentinel.conf")
	j, err := openVoteJournal(state)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append([]VoteRecord{{Master: "a", Leader: "x", LeaderEpoch: 3, CurrentEpoch: 3}, {Master: "b", Leader: "y", LeaderEpoch: 2, CurrentEpoch: 3}}); err != nil {
		t.Fatal(err)
	}
	if err := j.Append([]VoteRecord{{Master: "a", Leader: "z", LeaderEpoch: 5, CurrentEpoch: 6}}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(journalPath(state), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"m":"b","l":"w","le":9`); err != nil { // a crash mid-write
		t.Fatal(err)
	}
	_ = f.Close()
	recs, err := readVoteJournal(state)
	if err != nil || len(recs) != 3 {
		t.Fatalf("read %+v, %v; want the 3 whole records", recs, err)
	}
	cfg := &configs.Config{Masters: []configs.Master{{Name: "a", LeaderEpoch: 4, Leader: "old"}, {Name: "b", LeaderEpoch: 7, Leader: "newer"}}}
	cfg.Sentinel.CurrentEpoch = 4
	applyVotes(cfg, recs)
	if cfg.Sentinel.CurrentEpoch != 6 {
		t.Fatalf("current epoch %d, want 6", cfg.Sentinel.CurrentEpoch)
	}
	if a := cfg.Masters[0]; a.Leader != "z" || a.LeaderEpoch != 5 {
		t.Fatalf("a: %s/%d, want the journal's later vote z/5", a.Leader, a.LeaderEpoch)
	}
	if b := cfg.Masters[1]; b.Leader != "newer" || b.LeaderEpoch != 7 {
		t.Fatalf("b: %s/%d, want the state's newer vote kept", b.Leader, b.LeaderEpoch)
	}
	if err := j.Reset(); err != nil {
		t.Fatal(err)
	}
	if recs, err := readVoteJournal(state); err != nil || len(recs) != 0 {
		t.Fatalf("after Reset: %+v, %v", recs, err)
	}
}

// TestVoteJournal_LoadStateApplies: a restart reads the journal beside the
// state file, so a vote answered before a crash is still binding.
func TestVoteJournal_LoadStateApplies(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte("port 26379\nsentinel monitor m 127.0.0.1 6379 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cand := strings.Repeat("c", 40)
	j, err := openVoteJournal(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append([]VoteRecord{{Master: "m", Leader: cand, LeaderEpoch: 8, CurrentEpoch: 8}}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	cfg, err := configs.LoadConf(conf)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _, err := loadState(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if got.Sentinel.CurrentEpoch != 8 || got.Masters[0].LeaderEpoch != 8 || got.Masters[0].Leader != cand {
		t.Fatalf("after the restart: epoch %d, vote %s/%d; want the journaled vote", got.Sentinel.CurrentEpoch, got.Masters[0].Leader, got.Masters[0].LeaderEpoch)
	}
	if cfg.Masters[0].LeaderEpoch != 0 {
		t.Fatal("the caller's configuration was changed")
	}
}

// TestVoteJournal_RevealedVoteIsDurable: while a coalesced state write is
// pending, a reply that reveals an earlier vote (here: a second candidate
// asking in the same epoch gets the first one's name) journals it again
// before it leaves, so a vote that is not yet in the state file never
// reaches a peer unwritten (the core's own vote, cast on a tick, is the
// case that matters).
func TestVoteJournal_RevealedVoteIsDurable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		per, j, ctrl, stop := startJournalLoop(t)
		defer stop()
		writes, _ := per.count()
		first, second := strings.Repeat("b", 40), strings.Repeat("c", 40)
		addr := monitor.Addr{Host: "127.0.0.1", Port: 6379}
		if rep, err := ctrl.IsMasterDownByAddr(ctx, monitor.IsMasterDownRequest{Addr: addr, CurrentEpoch: 4, RunID: first}); err != nil || rep.Leader != first {
			t.Fatalf("first vote: %+v, %v", rep, err)
		}
		rep, err := ctrl.IsMasterDownByAddr(ctx, monitor.IsMasterDownRequest{Addr: addr, CurrentEpoch: 4, RunID: second})
		if err != nil || rep.Leader != first || rep.LeaderEpoch != 4 {
			t.Fatalf("second candidate, same epoch: %+v, %v; want the first vote", rep, err)
		}
		n, _ := per.count()
		appends, _ := j.counts()
		if n == writes && appends < 2 {
			t.Fatalf("the reply revealing the pending vote left with neither a journal append nor a state write (%d appends)", appends)
		}
	})
}

// TestVoteJournal_DamagedFile: a batch appended after a torn line is read
// whole, a long run of garbage without a newline is skipped (not an error),
// and a record that carried no vote (leader "*", epoch 0) raises only the
// current epoch.
func TestVoteJournal_DamagedFile(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sentinel.conf")
	j, err := openVoteJournal(state)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	f, err := os.OpenFile(journalPath(state), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"m":"a","l":"x","le":3`); err != nil { // torn, and never truncated
		t.Fatal(err)
	}
	if err := j.Append([]VoteRecord{{Master: "a", Leader: "y", LeaderEpoch: 4, CurrentEpoch: 4}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 200<<10)); err != nil { // zeros, no newline
		t.Fatal(err)
	}
	_ = f.Close()
	if err := j.Append([]VoteRecord{{Master: "b", Leader: "*", CurrentEpoch: 9}}); err != nil {
		t.Fatal(err)
	}
	recs, err := readVoteJournal(state)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if len(recs) != 2 || recs[0].Leader != "y" || recs[1].Master != "b" {
		t.Fatalf("read %+v; want the record after the torn line and the one after the garbage", recs)
	}
	cfg := &configs.Config{Masters: []configs.Master{{Name: "a"}, {Name: "b"}}}
	applyVotes(cfg, recs)
	if cfg.Sentinel.CurrentEpoch != 9 || cfg.Masters[0].Leader != "y" || cfg.Masters[1].Leader != "" || cfg.Masters[1].LeaderEpoch != 0 {
		t.Fatalf("applied: epoch %d, a %s/%d, b %q/%d", cfg.Sentinel.CurrentEpoch, cfg.Masters[0].Leader, cfg.Masters[0].LeaderEpoch, cfg.Masters[1].Leader, cfg.Masters[1].LeaderEpoch)
	}
}
