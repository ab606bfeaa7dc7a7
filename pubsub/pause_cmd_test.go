package pubsub

import (
	"context"
	"strings"
	"testing"
	"time"
)

type pauseController struct {
	*fakeController
	got []time.Duration
}

func (p *pauseController) Pause(_ context.Context, name string, d time.Duration) error {
	p.got = append(p.got, d)
	return nil
}

func TestSentinelPause(t *testing.T) {
	var pc *pauseController
	srv := startServer(t, func(o *Options) {
		pc = &pauseController{fakeController: o.Controller.(*fakeController)}
		o.Controller = pc
	})
	c := dialRaw(t, srv.addr)
	for _, arg := range []string{"300", "OFF", "0"} {
		if v := c.do("SENTINEL", "PAUSE", "mymaster", arg); v.Str != "OK" {
			t.Fatalf("PAUSE %s: %+v", arg, v)
		}
	}
	if want := []time.Duration{300 * time.Second, 0, 0}; len(pc.got) != 3 || pc.got[0] != want[0] || pc.got[1] != 0 || pc.got[2] != 0 {
		t.Errorf("pauses = %v, want %v", pc.got, want)
	}
	for _, arg := range []string{"-1", "soon", "1.5"} {
		if got := errText(t, c.do("SENTINEL", "PAUSE", "mymaster", arg)); !strings.Contains(got, "Invalid pause") {
			t.Errorf("PAUSE %s: %q", arg, got)
		}
	}
	if got := errText(t, c.do("SENTINEL", "PAUSE", "nosuch", "10")); !strings.Contains(got, "No such master") {
		t.Errorf("unknown master: %q", got)
	}
}

func FuzzParsePause(f *testing.F) {
	for _, s := range []string{"0", "300", "OFF", "off", "-1", "99999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parsePause(s)
		if ok && (d < 0 || d > (1<<31)*time.Second) {
			t.Fatalf("parsePause(%q) = %v", s, d)
		}
	})
}
