package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ack is one write the master acknowledged.
type ack struct {
	seq    int64
	sentAt time.Time
	ackAt  time.Time
}

// writer sets k<seq> = <seq> in a loop through a go-redis failover client
// (master discovery through the sentinels, as applications do) and records
// every acknowledged write. One goroutine, owned by the trial: start, then
// stop (which cancels and waits).
type writer struct {
	client *redis.Client
	pause  time.Duration

	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	acks    []ack
	errors  int
	refused []time.Time // when each NOREPLICAS error came back
}

func newWriter(masterName string, sentinelAddrs []string, pause time.Duration) *writer {
	client := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    masterName,
		SentinelAddrs: sentinelAddrs,
		DialTimeout:   250 * time.Millisecond,
		ReadTimeout:   500 * time.Millisecond,
		WriteTimeout:  500 * time.Millisecond,
		MaxRetries:    -1, // every attempt is visible; the loop retries
		// One dial per attempt: with go-redis's default 5 dials and 100 ms
		// back-off, a dial begun just before the switch keeps hammering the
		// dead address for half a second and hides the sentinels' speed.
		DialerRetries: 1,
		// go-redis stops dialling after PoolSize failed dials in a row and
		// then probes only once a second, which would add up to a second to
		// "first write on the new master" whatever the sentinels do. One
		// goroutine uses one connection, so a large bound costs nothing.
		PoolSize:        100000,
		DisableIdentity: true,
	})
	return &writer{client: client, pause: pause}
}

func (w *writer) start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go w.run(ctx)
}

func (w *writer) run(ctx context.Context) {
	defer close(w.done)
	// A failed write is retried after a short pause so a dead master does
	// not turn the loop into a busy spin; 5 ms bounds the resolution of
	// "first write on the new master".
	const errorPause = 5 * time.Millisecond
	for seq := int64(1); ctx.Err() == nil; seq++ {
		sentAt := time.Now()
		callCtx, cancel := context.WithTimeout(ctx, time.Second)
		err := w.client.Set(callCtx, key(seq), seq, 0).Err()
		cancel()
		pause := w.pause
		if err == nil {
			w.mu.Lock()
			w.acks = append(w.acks, ack{seq: seq, sentAt: sentAt, ackAt: time.Now()})
			w.mu.Unlock()
		} else {
			w.mu.Lock()
			w.errors++
			if strings.HasPrefix(err.Error(), "NOREPLICAS") {
				w.refused = append(w.refused, time.Now())
			}
			w.mu.Unlock()
			pause = max(pause, errorPause)
		}
		if pause > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
		}
	}
}

func key(seq int64) string { return "k" + strconv.FormatInt(seq, 10) }

// stop ends the loop, waits for it and closes the client.
func (w *writer) stop() {
	if w.cancel != nil {
		w.cancel()
		<-w.done
	}
	_ = w.client.Close()
}

func (w *writer) snapshot() []ack {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]ack(nil), w.acks...)
}

// firstAckSentAfter returns the first acknowledged write whose request left
// after t. After the old master is killed, only another server can have
// acknowledged such a write.
func firstAckSentAfter(acks []ack, t time.Time) (ack, bool) {
	for _, a := range acks {
		if a.sentAt.After(t) {
			return a, true
		}
	}
	return ack{}, false
}

// findLost reads every acknowledged key from the final master in batches
// and returns the acknowledged writes that are missing or hold another value.
func findLost(ctx context.Context, master *redis.Client, acks []ack) ([]ack, error) {
	const batch = 1000
	var lost []ack
	for start := 0; start < len(acks); start += batch {
		end := min(start+batch, len(acks))
		keys := make([]string, 0, end-start)
		for _, a := range acks[start:end] {
			keys = append(keys, key(a.seq))
		}
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		values, err := master.MGet(callCtx, keys...).Result()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("sentinel-bench: read back acknowledged writes: %w", err)
		}
		if len(values) != len(keys) {
			return nil, errors.New("sentinel-bench: MGET returned the wrong number of values")
		}
		for i, v := range values {
			want := strconv.FormatInt(acks[start+i].seq, 10)
			if s, ok := v.(string); !ok || s != want {
				lost = append(lost, acks[start+i])
			}
		}
	}
	return lost, nil
}

func (w *writer) errorCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.errors
}

// refusals returns when each write refused with NOREPLICAS came back.
func (w *writer) refusals() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time(nil), w.refused...)
}
