package datanode

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// ridingFake is a fakeConn that can send PING and PUBLISH together.
type ridingFake struct {
	*fakeConn
	localAddr string

	mu     sync.Mutex
	riders [][]string // the payloads of each pingAndPublish
}

func (f *ridingFake) knownLocalIP() string { return f.localAddr }

func (f *ridingFake) pingAndPublish(ctx context.Context, deadline time.Time, payloads []string) (bool, error, error) {
	if len(payloads) > 0 {
		f.mu.Lock()
		f.riders = append(f.riders, slices.Clone(payloads))
		f.mu.Unlock()
	}
	cctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return true, nil, f.ping(cctx)
}

func helloWithPing(runID string) monitor.PublishHello {
	return monitor.PublishHello{Target: masterAddr, Master: "m", WithPing: true, Hello: monitor.Hello{
		SentinelAddr: monitor.Addr{Port: 26379}, RunID: runID, MasterName: "m", MasterAddr: masterAddr}}
}

// TestPool_HelloRidesWithPing: a hello marked WithPing goes out in the same
// pipeline as the PING that follows it, with the link's local address
// filled in; when that address is not known yet, or the connection cannot
// pipeline, it goes the usual way on the command lane. Either way it is
// sent exactly once.
func TestPool_HelloRidesWithPing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pipelines bool
		localAddr string
		wantRide  bool
	}{
		{"rides", true, "10.1.1.1", true},
		{"local address unknown", true, "", false},
		{"connection cannot pipeline", false, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fp := newFakePool(t, Options{})
				rf := &ridingFake{fakeConn: fp.conn, localAddr: tc.localAddr}
				if tc.pipelines {
					fp.Pool.connect = func(*target) nodeConn { return rf }
				}
				fp.start()
				fp.Do(monitor.Watch{Target: masterAddr, Kind: monitor.KindMaster, Master: "m"})
				h := helloWithPing("r1")
				fp.Do(h)
				fp.Do(monitor.Ping{Target: masterAddr, Master: "m"})
				synctest.Wait()
				fp.conn.pingRelease <- nil
				if got := (<-fp.inputs).(monitor.PingResult); got.Kind != monitor.ReplyPong {
					t.Fatalf("PING result = %v", got.Kind)
				}
				synctest.Wait()

				rf.mu.Lock()
				riders := rf.riders
				rf.mu.Unlock()
				fp.conn.mu.Lock()
				published := fp.conn.published
				fp.conn.mu.Unlock()
				if tc.wantRide {
					want := h.Hello
					want.SentinelAddr.Host = tc.localAddr
					if len(riders) != 1 || !slices.Equal(riders[0], []string{want.String()}) || len(published) != 0 {
						t.Fatalf("riders %q, published %q; want the hello with the PING only", riders, published)
					}
				} else if len(published) != 1 || len(riders) > 0 && len(riders[0]) > 0 {
					t.Fatalf("riders %q, published %q; want the hello on the command lane only", riders, published)
				}
				fp.stop(t)
			})
		})
	}
}
