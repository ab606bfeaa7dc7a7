package supervisor

import (
	"testing"
	"time"
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
