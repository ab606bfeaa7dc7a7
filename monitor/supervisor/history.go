package supervisor

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/monitor/history"
)

// historyKeeper keeps the failover history: the sink feeds it every event
// (from the owner goroutine, so it never blocks there), Run writes the file
// next to the state whenever a record changed, off the owner goroutine, so
// a failover never waits for the disk.
type historyKeeper struct {
	log       *slog.Logger
	statePath string // "" keeps the history in memory only

	mu      sync.Mutex
	tracker *history.Tracker
	dirty   chan struct{} // capacity 1: a write is due
}

// newHistoryKeeper loads the history saved next to statePath, if any. A
// file that does not decode is logged and replaced: the history is a
// convenience, never a reason not to start.
func newHistoryKeeper(log *slog.Logger, statePath, myID string) *historyKeeper {
	h := &historyKeeper{log: log, statePath: statePath, tracker: history.NewTracker(myID), dirty: make(chan struct{}, 1)}
	if statePath == "" {
		return h
	}
	data, err := configs.LoadHistory(statePath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		log.Warn("cannot read the failover history; starting a new one", "err", err)
	default:
		all, err := history.Decode(data)
		if err != nil {
			log.Warn("failover history file ignored", "file", configs.HistoryPath(statePath), "err", err)
			break
		}
		h.tracker.Restore(all)
	}
	return h
}

// Event is called by the sink for every event.
func (h *historyKeeper) Event(at time.Time, e monitor.Event) {
	h.mu.Lock()
	changed := h.tracker.Observe(at, e)
	h.mu.Unlock()
	if changed {
		h.markDirty()
	}
}

func (h *historyKeeper) markDirty() {
	select {
	case h.dirty <- struct{}{}:
	default:
	}
}

// Records returns master's failovers, oldest first.
func (h *historyKeeper) Records(master string) []history.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tracker.Records(master)
}

// keep drops the history of masters no longer monitored (removed while
// this sentinel was stopped).
func (h *historyKeeper) keep(s *monitor.Snapshot) {
	names := make(map[string]bool, len(s.Masters))
	for i := range s.Masters {
		names[s.Masters[i].Name] = true
	}
	h.mu.Lock()
	dropped := h.tracker.Keep(names)
	h.mu.Unlock()
	if dropped {
		h.markDirty()
	}
}

// Run writes the history file whenever it changed, until ctx ends; then
// once more if a change is pending.
func (h *historyKeeper) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			select {
			case <-h.dirty:
				h.save()
			default:
			}
			return nil
		case <-h.dirty:
			h.save()
		}
	}
}

func (h *historyKeeper) save() {
	if h.statePath == "" {
		return
	}
	h.mu.Lock()
	data, err := history.Encode(h.tracker.All())
	h.mu.Unlock()
	if err == nil {
		err = configs.SaveHistory(h.statePath, data)
	}
	if err != nil {
		h.log.Warn("cannot write the failover history", "err", err)
	}
}

// History answers SENTINEL HISTORY <name> (pubsub.HistoryController).
func (c *controller) History(_ context.Context, name string) ([]history.Record, error) {
	if c.loop.Snapshot().Master(name) == nil {
		return nil, &monitor.CommandError{Code: "ERR", Msg: "No such master with that name"}
	}
	if c.history == nil {
		return nil, nil
	}
	return c.history.Records(name), nil
}
