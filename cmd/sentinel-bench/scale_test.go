package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

func TestScaleFlags(t *testing.T) {
	o, err := parseFlags([]string{"-scale", "100", "-scale-window", "5s"}, io.Discard)
	if err != nil || o.scale != 100 || o.scaleWindow != 5*time.Second {
		t.Fatalf("parseFlags = %+v, %v", o, err)
	}
	for _, args := range [][]string{{"-scale", "-1"}, {"-scale", "2001"}, {"-scale", "3", "-scale-window", "0s"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

func TestCountScaleEvents(t *testing.T) {
	start := time.Unix(1000, 0)
	evs := []datanodetest.SentinelEvent{
		{At: start.Add(time.Second), Sentinel: "a", Channel: "+sdown", Payload: "sentinel x 127.0.0.1 1 @ m0 127.0.0.1 2"},
		{At: start.Add(2 * time.Second), Sentinel: "a", Channel: "-sdown", Payload: "sentinel x 127.0.0.1 1 @ m0 127.0.0.1 2"},
		{At: start.Add(3 * time.Second), Sentinel: "b", Channel: "+tilt", Payload: "#tilt mode entered"},
		{At: start.Add(3 * time.Second), Sentinel: "b", Channel: "+tilt", Payload: "#tilt mode entered"},
	}
	var r scaleResult
	countScaleEvents(&r, start, evs)
	if r.sdown != 1 || r.sdownOff != 1 || r.tilted != 1 || r.sdownKinds["sentinel"] != 1 || r.sdownFirst != time.Second {
		t.Fatalf("counted %+v", r)
	}
	var b strings.Builder
	r.print(&b)
	if !strings.Contains(b.String(), "NOT SETTLED") {
		t.Errorf("report of an unsettled run: %q", b.String())
	}
}

func TestProcFields(t *testing.T) {
	if cpuTime(-1) != 0 || rssKiB(-1) != 0 {
		t.Fatal("an unreadable pid must read as 0")
	}
}
