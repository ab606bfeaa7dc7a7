package datanodetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelEvent is one message a sentinel published, stamped when it was
// read from the socket.
type SentinelEvent struct {
	At       time.Time
	Sentinel string // the publishing sentinel's "host:port"
	Channel  string // the event name, e.g. "+switch-master"
	Payload  string
}

// IsMasterEvent reports whether the event's payload is the instance details
// of master name ("master <name> <ip> <port> ...").
func (e SentinelEvent) IsMasterEvent(name string) bool {
	return strings.HasPrefix(e.Payload, "master "+name+" ")
}

// SwitchMaster is the parsed payload of +switch-master
// ("<name> <old-ip> <old-port> <new-ip> <new-port>").
type SwitchMaster struct {
	Name    string
	OldAddr string
	NewAddr string
}

// ParseSwitchMaster parses a +switch-master payload.
func ParseSwitchMaster(payload string) (SwitchMaster, error) {
	fields := strings.Fields(payload)
	if len(fields) != 5 {
		return SwitchMaster{}, fmt.Errorf("datanodetest: +switch-master payload %q: want 5 fields, got %d", payload, len(fields))
	}
	for _, port := range []string{fields[2], fields[4]} {
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return SwitchMaster{}, fmt.Errorf("datanodetest: +switch-master payload %q: bad port %q", payload, port)
		}
	}
	return SwitchMaster{
		Name:    fields[0],
		OldAddr: fields[1] + ":" + fields[2],
		NewAddr: fields[3] + ":" + fields[4],
	}, nil
}

// EventWatcher subscribes to every channel (PSUBSCRIBE *) on a set of
// sentinels and records what they publish. It owns one reader goroutine per
// sentinel; Close stops and waits for them.
type EventWatcher struct {
	onEvent func(SentinelEvent)
	logger  *slog.Logger
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	subs    []*redis.PubSub
	clients []*redis.Client

	mu     sync.Mutex
	events []SentinelEvent
	// callMu makes onEvent calls sequential even though readers run in parallel.
	callMu sync.Mutex
}

// WatchEvents subscribes to every sentinel in addrs and returns once all
// subscriptions are confirmed. onEvent, if not nil, is called for every
// event, one call at a time, from the reader goroutines; it must not block
// for long. Close the watcher when done.
func WatchEvents(ctx context.Context, addrs []string, onEvent func(SentinelEvent), logger *slog.Logger) (*EventWatcher, error) {
	ctx, cancel := context.WithCancel(ctx)
	w := &EventWatcher{onEvent: onEvent, logger: loggerOrDiscard(logger), cancel: cancel}
	for _, addr := range addrs {
		opts := clientOptions(addr)
		// RESP2 keeps the watcher independent of the server's HELLO support.
		opts.Protocol = 2
		client := redis.NewClient(opts)
		w.clients = append(w.clients, client)
		sub := client.PSubscribe(ctx, "*")
		w.subs = append(w.subs, sub)
		confirmCtx, confirmCancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := sub.ReceiveTimeout(confirmCtx, 5*time.Second)
		confirmCancel()
		if err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("datanodetest: psubscribe on %s: %w", addr, err)
		}
		w.wg.Add(1)
		go w.read(ctx, addr, sub)
	}
	return w, nil
}

func (w *EventWatcher) read(ctx context.Context, addr string, sub *redis.PubSub) {
	defer w.wg.Done()
	for {
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
				return
			}
			// go-redis reconnects and resubscribes on the next call; pace
			// the retries so a dead sentinel does not spin this loop.
			w.logger.Debug("event watcher read failed", "sentinel", addr, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		ev := SentinelEvent{At: time.Now(), Sentinel: addr, Channel: msg.Channel, Payload: msg.Payload}
		w.mu.Lock()
		w.events = append(w.events, ev)
		w.mu.Unlock()
		if w.onEvent != nil {
			w.callMu.Lock()
			w.onEvent(ev)
			w.callMu.Unlock()
		}
	}
}

// Events returns a copy of everything recorded so far, in arrival order.
func (w *EventWatcher) Events() []SentinelEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]SentinelEvent(nil), w.events...)
}

// First returns the earliest recorded event on channel at or after since
// that satisfies match (nil matches all), and whether there is one.
func (w *EventWatcher) First(channel string, since time.Time, match func(SentinelEvent) bool) (SentinelEvent, bool) {
	for _, ev := range w.Events() {
		if ev.Channel == channel && !ev.At.Before(since) && (match == nil || match(ev)) {
			return ev, true
		}
	}
	return SentinelEvent{}, false
}

// Close unsubscribes, stops the reader goroutines and waits for them.
func (w *EventWatcher) Close() error {
	w.cancel()
	var errs []error
	for _, sub := range w.subs {
		errs = append(errs, sub.Close()) // unblocks ReceiveMessage
	}
	w.wg.Wait()
	for _, c := range w.clients {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
