package raftmode

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// memorySink is a raft.SnapshotSink over a buffer.
type memorySink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (s *memorySink) ID() string    { return "test" }
func (s *memorySink) Cancel() error { s.cancelled = true; return nil }
func (s *memorySink) Close() error  { s.closed = true; return nil }

func applyEntry(t *testing.T, f *fsm, cmd Command) Result {
	t.Helper()
	data, err := EncodeCommand(cmd)
	if err != nil {
		t.Fatal(err)
	}
	res, ok := f.Apply(&raft.Log{Type: raft.LogCommand, Data: data}).(Result)
	if !ok {
		t.Fatalf("Apply returned a non-Result")
	}
	return res
}

func TestRaftFSMSnapshotRestore(t *testing.T) {
	f := newFSM()
	applyEntry(t, f, SetMaster{Name: "m1", Addr: "10.0.0.1:6379"})
	applyEntry(t, f, SetMaster{Name: "m2", Addr: "10.0.0.2:6379", ConfigEpoch: 4})
	if res := applyEntry(t, f, LeaseRequest{Master: "m1", Epoch: 5, Holder: "a", At: t0, TTL: time.Second}); !res.Accepted {
		t.Fatalf("lease: %+v", res)
	}
	if res := applyEntry(t, f, SwitchMaster{Master: "m1", Addr: "10.0.0.9:6379", Epoch: 5, Holder: "a"}); !res.Accepted {
		t.Fatalf("switch: %+v", res)
	}
	if got := f.Apply(&raft.Log{Type: raft.LogNoop}); got != nil {
		t.Fatalf("raft-internal entry returned %v", got)
	}

	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// Changes after Snapshot must not leak into the persisted copy.
	applyEntry(t, f, SetMaster{Name: "m3", Addr: "h:1"})
	var sink memorySink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	if !sink.closed || sink.cancelled {
		t.Fatalf("sink closed=%v cancelled=%v", sink.closed, sink.cancelled)
	}

	restored := newFSM()
	applyEntry(t, restored, SetMaster{Name: "stale", Addr: "h:2"})
	if err := restored.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	got := restored.current()
	if _, ok := got.Masters["stale"]; ok {
		t.Error("restore kept state that was not in the snapshot")
	}
	if _, ok := got.Masters["m3"]; ok {
		t.Error("snapshot contains a change made after Snapshot()")
	}
	m1 := got.Masters["m1"]
	if m1.Addr != "10.0.0.9:6379" || m1.ConfigEpoch != 5 || m1.Lease.Holder != "a" || !m1.Lease.GrantedAt.Equal(t0) {
		t.Errorf("m1 after restore = %+v", m1)
	}
	if got.HighestEpoch != 5 {
		t.Errorf("highest epoch after restore = %d, want 5", got.HighestEpoch)
	}
	// The restored machine keeps enforcing the rules.
	if res := applyEntry(t, restored, LeaseRequest{Master: "m1", Epoch: 5, Holder: "b", At: t0.Add(time.Hour), TTL: time.Second}); res.Accepted {
		t.Error("restored state granted epoch 5 twice")
	}
}

// applyInTerm applies cmd as the entry of raft term term.
func applyInTerm(t *testing.T, f *fsm, term uint64, cmd Command) Result {
	t.Helper()
	data, err := EncodeCommand(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return f.Apply(&raft.Log{Type: raft.LogCommand, Term: term, Data: data}).(Result)
}

// TestRaftFSMLeaseTermFromEntry: the lease records the term of the entry
// that granted it, survives a snapshot, and a takeover in a later term
// replaces it and says so.
func TestRaftFSMLeaseTermFromEntry(t *testing.T) {
	f := newFSM()
	applyInTerm(t, f, 2, SetMaster{Name: "m", Addr: "10.0.0.1:6379"})
	if res := applyInTerm(t, f, 7, LeaseRequest{Master: "m", Epoch: 1, Holder: "a", At: t0, TTL: time.Minute}); !res.Accepted || res.Master.Lease.Term != 7 {
		t.Fatalf("lease in term 7: %+v", res)
	}
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memorySink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sink.String(), `"term":7`) {
		t.Fatalf("snapshot lacks the lease's term: %s", sink.String())
	}
	restored := newFSM()
	if err := restored.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	req := LeaseRequest{Master: "m", Epoch: 2, Holder: "b", At: t0.Add(time.Second), TTL: time.Minute, Takeover: true}
	if res := applyInTerm(t, restored, 7, req); res.Accepted || res.Reason != RejectLeaseHeld {
		t.Fatalf("takeover in the lease's own term after restore: %+v, want %q", res, RejectLeaseHeld)
	}
	res := applyInTerm(t, restored, 8, req)
	if !res.Accepted || res.Replaced.Holder != "a" || res.Replaced.Epoch != 1 || res.Replaced.Term != 7 || res.Master.Lease.Term != 8 {
		t.Fatalf("takeover in term 8: %+v", res)
	}
}

// TestRaftFSMRestoresSnapshotWithoutTerms: a snapshot written before leases
// recorded their term restores with term 0, which any entry's term is
// above, so a new leader may take such a lease over.
func TestRaftFSMRestoresSnapshotWithoutTerms(t *testing.T) {
	old := `{"version":1,"state":{"masters":{"m":{"name":"m","addr":"10.0.0.1:6379","config_epoch":0,` +
		`"lease":{"epoch":3,"holder":"a","granted_at":"2026-01-02T03:04:05Z","expires":"2026-01-02T04:04:05Z"}}},"highest_epoch":3}}`
	f := newFSM()
	if err := f.Restore(io.NopCloser(strings.NewReader(old))); err != nil {
		t.Fatal(err)
	}
	if l := f.current().Masters["m"].Lease; l.Epoch != 3 || l.Holder != "a" || l.Term != 0 {
		t.Fatalf("restored lease %+v", l)
	}
	req := LeaseRequest{Master: "m", Epoch: 4, Holder: "b", At: t0.Add(time.Minute), TTL: time.Minute}
	if res := applyInTerm(t, f, 1, req); res.Reason != RejectLeaseHeld {
		t.Fatalf("plain request over the restored lease: %+v, want %q", res, RejectLeaseHeld)
	}
	req.Takeover = true
	if res := applyInTerm(t, f, 1, req); !res.Accepted || res.Replaced.Holder != "a" {
		t.Fatalf("takeover of the restored lease: %+v", res)
	}
}

func TestRaftFSMRestoreRejectsBadSnapshots(t *testing.T) {
	bad := []string{
		"",
		"{",
		`{"version":2,"state":{"masters":{}}}`,
		`{"version":1,"state":{"masters":{"a":{"name":"b","addr":"h:1"}}}}`,
		`{"version":1,"state":{"masters":{"a":{"name":"a","addr":"nope"}}}}`,
		`{"version":1,"unknown":true}`,
	}
	for _, in := range bad {
		f := newFSM()
		applyEntry(t, f, SetMaster{Name: "keep", Addr: "h:1"})
		if err := f.Restore(io.NopCloser(strings.NewReader(in))); err == nil {
			t.Errorf("Restore(%q) accepted", in)
		}
		if _, ok := f.current().Masters["keep"]; !ok {
			t.Errorf("failed Restore(%q) replaced the state", in)
		}
	}
}

func BenchmarkFSMApplyLease(b *testing.B) {
	f := newFSM()
	data, _ := EncodeCommand(SetMaster{Name: "m", Addr: "h:1"})
	f.Apply(&raft.Log{Type: raft.LogCommand, Data: data})
	entry := &raft.Log{Type: raft.LogCommand}
	epoch := uint64(0)
	for b.Loop() {
		epoch++
		entry.Data, _ = EncodeCommand(LeaseRequest{Master: "m", Epoch: epoch, Holder: "a", At: t0, TTL: time.Second})
		if res := f.Apply(entry).(Result); !res.Accepted {
			b.Fatalf("lease %d: %+v", epoch, res)
		}
	}
}
