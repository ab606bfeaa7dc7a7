package supervisor

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/monitor/history"
)

func TestHistoryKeeper_SavedAndReadBack(t *testing.T) {
	log := slog.New(slog.NewTextHandler(testWriter{t, ""}, nil))
	state := filepath.Join(t.TempDir(), "sentinel.conf")
	h := newHistoryKeeper(log, state, "me")
	t0 := time.Unix(1000, 0).UTC()
	h.Event(t0, masterEvent(monitor.EventSDown, "m1"))
	h.Event(t0.Add(time.Second), masterEvent(monitor.EventODown, "m1"))
	h.Event(t0.Add(2*time.Second), customEvent(monitor.EventSwitchMaster, "m1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.Run(ctx); err != nil { // a pending change is written before Run returns
		t.Fatal(err)
	}

	back := newHistoryKeeper(log, state, "me")
	rs := back.Records("m1")
	if len(rs) != 1 || rs[0].Result != history.ResultSwitched || rs[0].To != "127.0.0.1:6380" {
		t.Fatalf("read back %+v", rs)
	}
	// A master removed while the sentinel was down loses its history.
	back.keep(&monitor.Snapshot{})
	if len(back.Records("m1")) != 0 {
		t.Fatal("keep did not drop a removed master")
	}
}
