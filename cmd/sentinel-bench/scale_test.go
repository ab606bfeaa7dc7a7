package main

import (
	"io"
	"strconv"
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

func TestScaleReplicasFlag(t *testing.T) {
	o, err := parseFlags([]string{"-scale", "10"}, io.Discard)
	if err != nil || o.scaleReplicas != 1 || o.scaleNodeHz != 0 {
		t.Fatalf("default -scale-replicas: %+v, %v", o, err)
	}
	o, err = parseFlags([]string{"-scale", "1000", "-scale-replicas", "0", "-query-rounds", "1"}, io.Discard)
	if err != nil || o.scaleReplicas != 0 {
		t.Fatalf("-scale-replicas 0: %+v, %v", o, err)
	}
	if _, err := parseFlags([]string{"-scale", "100", "-mass-kill", "10"}, io.Discard); err != nil {
		t.Fatalf("-mass-kill with replicas refused: %v", err)
	}
	for _, args := range [][]string{
		{"-scale", "10", "-scale-replicas", "2"},
		{"-scale", "10", "-scale-replicas", "-1"},
		{"-scale", "10", "-scale-node-hz", "501"},
		{"-scale", "10", "-scale-node-hz", "-1"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	_, err = parseFlags([]string{"-scale", "100", "-scale-replicas", "0", "-mass-kill", "10"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-mass-kill") || !strings.Contains(err.Error(), "-scale-replicas 0") {
		t.Fatalf("-mass-kill with lone masters: %v", err)
	}
}

// sentinelMaster is one SENTINEL MASTERS entry as RESP2 returns it.
func sentinelMaster(name, flags string, slaves, sentinels int) []any {
	return []any{"name", name, "ip", "127.0.0.1", "flags", flags,
		"num-slaves", strconv.Itoa(slaves), "num-other-sentinels", strconv.Itoa(sentinels), "quorum", "2"}
}

func TestScaleListMissing(t *testing.T) {
	lone := []any{sentinelMaster("m0", "master", 0, 2), sentinelMaster("m1", "master", 0, 2)}
	if miss := scaleListMissing(lone, 2, 0, 2); miss != "" {
		t.Fatalf("lone masters, all known: %q", miss)
	}
	if miss := scaleListMissing(lone, 2, 1, 2); miss != "2 masters without flags=master, 1 replica and 2 other sentinels" {
		t.Fatalf("lone masters where a replica is wanted: %q", miss)
	}
	if miss := scaleListMissing(lone, 3, 0, 2); miss != "2 of 3 masters" {
		t.Fatalf("a master missing: %q", miss)
	}
	// A replica seen where none should be, a peer not yet found, a master
	// in SDOWN: each one is short.
	odd := []any{sentinelMaster("m0", "master", 1, 2), sentinelMaster("m1", "master", 0, 1),
		sentinelMaster("m2", "s_down,master", 0, 2), sentinelMaster("m3", "master", 0, 2)}
	if miss := scaleListMissing(odd, 4, 0, 2); miss != "3 masters without flags=master, 0 replicas and 2 other sentinels" {
		t.Fatalf("odd list: %q", miss)
	}
	// RESP3 map entries.
	m := map[any]any{"flags": "master", "num-slaves": "1", "num-other-sentinels": "2"}
	if miss := scaleListMissing([]any{m}, 1, 1, 2); miss != "" {
		t.Fatalf("RESP3 entry with its replica: %q", miss)
	}
	if miss := scaleListMissing([]any{m}, 1, 0, 2); miss == "" {
		t.Fatal("RESP3 entry with a replica accepted for lone masters")
	}
}

func TestScaleNodesWithoutReplicas(t *testing.T) {
	lone := &scaleNodes{masters: make([]*datanodetest.Process, 5)}
	if lone.replicasEach() != 0 || lone.first(3).replicasEach() != 0 || len(lone.first(3).masters) != 3 {
		t.Fatal("lone masters")
	}
	paired := &scaleNodes{masters: make([]*datanodetest.Process, 5), replicas: make([]*datanodetest.Process, 5)}
	if sub := paired.first(2); paired.replicasEach() != 1 || sub.replicasEach() != 1 || len(sub.replicas) != 2 {
		t.Fatal("masters with replicas")
	}
	if err := lone.replicate(t.Context(), nil); err != nil {
		t.Fatalf("lone masters have nothing to replicate: %v", err)
	}
	if err := lone.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestScaleReportHeader(t *testing.T) {
	var b strings.Builder
	scaleResult{label: "ours", settled: time.Second, noReplicas: true}.print(&b)
	if !strings.Contains(b.String(), "every master, no replica, 2 peers") {
		t.Errorf("report of lone masters: %q", b.String())
	}
	b.Reset()
	scaleResult{label: "ours", settled: time.Second}.print(&b)
	if !strings.Contains(b.String(), "every master, its replica, 2 peers") {
		t.Errorf("report with replicas: %q", b.String())
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
