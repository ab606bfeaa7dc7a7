package monitor

import (
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func newTestCore(t testing.TB, cfg Config) *Core {
	t.Helper()
	if cfg.MyID == "" {
		cfg.MyID = "me"
	}
	cfg.Timers.MaxDesync = -1 // no jitter unless a test asks for it
	c, err := New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.Ready()
	return c
}

func mustStep(t testing.TB, c *Core, in Input) {
	t.Helper()
	if err := c.Step(in); err != nil {
		t.Fatalf("Step(%T): %v", in, err)
	}
}

func addr(host string, port int) Addr { return Addr{Host: host, Port: port} }

func eventTypes(rd Ready) []string {
	var out []string
	for _, e := range rd.Events {
		out = append(out, e.Type)
	}
	return out
}

func hasEvent(rd Ready, typ string) bool {
	for _, e := range rd.Events {
		if e.Type == typ {
			return true
		}
	}
	return false
}
