package supervisor

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// e2eHostileHeapBound is what a hostile data node may add to this whole
// process's heap (sentinel, real-master links and the fake node itself):
// before the reply limits one huge header cost 2 GiB or more.
const e2eHostileHeapBound = 64 << 20

// TestE2E_HostileDataNode: our sentinel supervises a real redis-server
// master and, next to it, a second master that is a hostile fake
// (datanodetest.HostileCases: nested arrays, 2^31-element arrays, 2^31-byte
// bulks, a 1 GiB INFO, garbage, hangs, closing every connection). For each
// case the process survives, its heap stays bounded, the real master's
// PINGs keep being answered with no +sdown for it, the hostile one is
// redialled no faster than Redis would, and the hostile one is judged down
// whenever its PINGs are not answered properly.
func TestE2E_HostileDataNode(t *testing.T) {
	requireRedis(t)
	master := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	admin := master.Client()
	t.Cleanup(func() { admin.Close() })
	const observe = 2500 * time.Millisecond

	for _, hc := range datanodetest.HostileCases() {
		t.Run(hc.Name, func(t *testing.T) {
			bad := datanodetest.StartHostileNode(t, hc)
			pingsBefore := pingCalls(t, admin)
			stop := datanodetest.HeapPeak(t)

			s := startOurs(t, addrOf(master), 1, 2*time.Second, fmt.Sprintf(
				"sentinel monitor hostile 127.0.0.1 %d 1\nsentinel down-after-milliseconds hostile 1000\n", bad.Port()))
			events := recordEvents(t, s.addr())
			start := time.Now()
			// Observe for a fixed window: what is asserted is what did
			// NOT happen in it (no crash, no +sdown, no heap growth, no
			// reconnect storm), so there is nothing to wait for.
			datanodetest.Eventually(t, observe+5*time.Second, 50*time.Millisecond, func() bool {
				return time.Since(start) >= observe
			}, "the observation window to pass")
			elapsed := time.Since(start)
			peak := stop()
			metrics := s.scrape()
			pings := pingCalls(t, admin) - pingsBefore

			if e, ok := events.first("+sdown", "master mymaster"); ok {
				t.Errorf("the real master went +sdown at %s while %s misbehaved", e.at.Format("15:04:05.000"), hc.Name)
			}
			flags, err := s.client().Master(t.Context(), "mymaster").Result()
			if err != nil || flags["flags"] != "master" {
				t.Errorf("SENTINEL MASTER mymaster = %v, %v; want flags master", flags, err)
			}
			// One PING a second, the first at once: at least two answered.
			if pings < 2 {
				t.Errorf("the real master answered %d PINGs in %v", pings, elapsed)
			}
			if peak > e2eHostileHeapBound {
				t.Errorf("heap grew by %d MiB, bound %d MiB", peak>>20, e2eHostileHeapBound>>20)
			}
			if bad.Accepts() == 0 {
				t.Fatal("the hostile node was never dialled")
			}
			// Per link: two immediate dials, one after 250 ms, then at
			// least 1 s apart, as Redis (cmd + pubsub links).
			if limit := int64(2 * (3 + int(elapsed/time.Second) + 1)); bad.Accepts() > limit {
				t.Errorf("hostile node: %d connections in %v, want ≤ %d", bad.Accepts(), elapsed.Round(time.Millisecond), limit)
			}
			rejected := metricSum(metrics, "sentinel_datanode_replies_rejected_total")
			panics := metricSum(metrics, "sentinel_datanode_panics_recovered_total")
			t.Logf("%s: heap +%d KiB, hostile connections %d in %v, rejected replies %v, recovered panics %v, real-master PINGs %d",
				hc.Name, peak>>10, bad.Accepts(), elapsed.Round(time.Millisecond), rejected, panics, pings)
			hc.CheckCounters(t, rejected, panics)
			if !hc.PingAnswered() {
				// Its PINGs are never answered with PONG: it is down.
				if _, ok := events.first("+sdown", "master hostile"); !ok {
					t.Errorf("the hostile master was not judged +sdown")
				}
			}
		})
	}
}

// pingCalls is how many PINGs the server has executed.
func pingCalls(t *testing.T, c *redis.Client) int {
	t.Helper()
	text, err := c.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, "cmdstat_ping:calls=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
		if err != nil {
			t.Fatalf("cmdstat_ping line %q: %v", line, err)
		}
		return n
	}
	return 0
}

// metricSum adds up every series of the named metric in a /metrics text.
func metricSum(text, name string) float64 {
	sum := 0.0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest != "" && rest[0] != ' ' && rest[0] != '{' {
			continue // a longer name with this prefix
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}
