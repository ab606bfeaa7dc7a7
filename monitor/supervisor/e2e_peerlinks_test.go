package supervisor

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestE2E_OneConnectionPerPeer: in a group of two of ours and one
// redis-sentinel, every sentinel holds one command connection to each
// peer, as redis-sentinel does (CLIENT LIST on every sentinel, sampled
// for 8 s of PINGs and hellos; before, ours opened a second one whenever
// a PING and a PUBLISH overlapped).
func TestE2E_OneConnectionPerPeer(t *testing.T) {
	g := startMixed(t, 2, 1)
	ctx := t.Context()
	clients := make([]*redis.Client, len(g.all))
	for i, a := range g.all {
		clients[i] = redis.NewClient(&redis.Options{Addr: a, Protocol: 2, MaxRetries: -1})
		defer clients[i].Close()
	}
	seen := map[string]bool{} // "<sentinel addr> <peer link name>"
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); <-tick.C {
		for i, c := range clients {
			list, err := c.ClientList(ctx).Result()
			if err != nil {
				t.Fatalf("%s: CLIENT LIST: %v", g.all[i], err)
			}
			count := map[string]int{}
			for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
				for _, f := range strings.Fields(line) {
					if name, ok := strings.CutPrefix(f, "name="); ok && strings.HasPrefix(name, "sentinel-") {
						count[name]++
						seen[g.all[i]+" "+name] = true
					}
				}
			}
			for name, n := range count {
				if n > 1 {
					t.Fatalf("%s has %d connections named %s:\n%s", g.all[i], n, name, list)
				}
			}
		}
	}
	// Each sentinel saw the command link of both others.
	if len(seen) != len(g.all)*(len(g.all)-1) {
		t.Errorf("peer links seen: %v, want %d", seen, len(g.all)*(len(g.all)-1))
	}
}
