package supervisor

import (
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// TestLoop_RoutineSnapshotFollowsReaders: with nobody reading, the routine
// refresh waits idleSnapshotEvery; once a reader looked, snapshotEvery.
func TestLoop_RoutineSnapshotFollowsReaders(t *testing.T) {
	l := &Loop{}
	t0 := time.Unix(1000, 0)
	l.lastSnap = t0
	if l.snapshotDue(t0.Add(2 * snapshotEvery)) {
		t.Fatal("due after 2×snapshotEvery with no reader")
	}
	if !l.snapshotDue(t0.Add(idleSnapshotEvery)) {
		t.Fatal("not due after idleSnapshotEvery")
	}
	l.Snapshot() // the sentinel's own lookups do not count as readers
	if l.snapshotDue(t0.Add(2 * snapshotEvery)) {
		t.Fatal("Snapshot marked a reader")
	}
	l.ReaderSnapshot()
	if !l.snapshotDue(t0.Add(snapshotEvery)) {
		t.Fatal("not due after snapshotEvery with a reader")
	}
}

// TestLoop_PollingReaderFindsFreshSnapshots: a reader that polls once a
// second (the status page) keeps the routine refresh at snapshotEvery
// between its reads, so each read finds a snapshot at most snapshotEvery
// old; once it stops, the refresh goes back to idleSnapshotEvery.
func TestLoop_PollingReaderFindsFreshSnapshots(t *testing.T) {
	l, err := NewLoop(testLoopOptions(nopExec{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	l.publish(t0)
	var now time.Time
	for i := 1; i <= 5; i++ {
		now = t0.Add(time.Duration(i) * time.Second)
		l.ReaderSnapshot()
		if !l.snapshotDue(now) {
			t.Fatalf("read %d: no refresh due after a read", i)
		}
		l.publish(now)
		if !l.snapshotDue(now.Add(snapshotEvery)) {
			t.Fatalf("read %d: no refresh %v after it: the next read, a second later, finds a snapshot ~%v old", i, snapshotEvery, idleSnapshotEvery)
		}
	}
	quiet := now.Add(10 * time.Second)
	l.publish(quiet)
	if l.snapshotDue(quiet.Add(2 * snapshotEvery)) {
		t.Fatal("refresh still at snapshotEvery 10 s after the last read")
	}
}

// TestLoop_FencingKeepsSnapshotsFresh: with fencing on for some master,
// whether an address is withheld is read from the snapshot's own time, so
// routine refreshes stay at snapshotEvery with no reader at all.
func TestLoop_FencingKeepsSnapshotsFresh(t *testing.T) {
	fenced := &monitor.Snapshot{Masters: []monitor.MasterView{{}, {}}}
	fenced.Masters[1].Fencing = true
	if anyFencing(&monitor.Snapshot{Masters: []monitor.MasterView{{}}}) || !anyFencing(fenced) {
		t.Fatal("anyFencing wrong")
	}
	l := &Loop{}
	t0 := time.Unix(1000, 0)
	l.lastSnap = t0
	l.keepFresh = true
	if !l.snapshotDue(t0.Add(snapshotEvery)) {
		t.Fatal("not due after snapshotEvery with fencing on and no reader")
	}
}

// TestLoop_DrainInboxStepsWhatIsQueued: the loop applies the inputs
// already queued, up to the bound, never waiting.
func TestLoop_DrainInboxStepsWhatIsQueued(t *testing.T) {
	l, err := NewLoop(testLoopOptions(nopExec{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		l.inbox <- monitor.Tick{At: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	l.drainInbox(2)
	if n := len(l.inbox); n != 1 {
		t.Fatalf("%d inputs left after draining 2 of 3, want 1", n)
	}
	l.drainInbox(len(l.inbox) + 5) // more than queued: returns without waiting
	if n := len(l.inbox); n != 0 {
		t.Fatalf("%d inputs left, want 0", n)
	}
}

// TestFellBehind: only a tick that fires a whole fast tick interval late
// drains the inbox first; an on-time or slightly late one does not.
func TestFellBehind(t *testing.T) {
	at := time.Unix(1000, 0)
	for _, tc := range []struct {
		late time.Duration
		want bool
	}{
		{0, false},
		{-time.Millisecond, false}, // pulled earlier by NextWake
		{behindAfter - time.Millisecond, false},
		{behindAfter, true},
		{3 * time.Second, true},
	} {
		if got := fellBehind(at.Add(tc.late), at); got != tc.want {
			t.Errorf("fellBehind(late %v) = %v, want %v", tc.late, got, tc.want)
		}
	}
}
