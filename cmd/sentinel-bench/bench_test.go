package main

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name   string
		in     []time.Duration
		p      float64
		want   time.Duration
		wantOK bool
	}{
		{"empty", nil, 50, 0, false},
		{"single", ms(7), 90, 7 * time.Millisecond, true},
		{"median of five, unsorted", ms(5, 1, 4, 2, 3), 50, 3 * time.Millisecond, true},
		{"p90 of five is the max", ms(5, 1, 4, 2, 3), 90, 5 * time.Millisecond, true},
		{"p90 of ten is the ninth", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond, true},
		{"median of four is the second", ms(4, 3, 2, 1), 50, 2 * time.Millisecond, true},
		{"p out of range", ms(1), 0, 0, false},
		{"p above 100", ms(1), 101, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := percentile(tc.in, tc.p)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("percentile(%v, %v) = %v, %v; want %v, %v", tc.in, tc.p, got, ok, tc.want, tc.wantOK)
			}
		})
	}
	in := ms(3, 1, 2)
	percentile(in, 50)
	if in[0] != 3*time.Millisecond {
		t.Fatal("percentile sorted its input in place")
	}
}

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(options) bool
	}{
		{"defaults", nil, false, func(o options) bool {
			return o.trials == 5 && o.impl == "both" && o.ours == "bin/sentinel" &&
				o.downAfter == time.Second && o.failoverBound == 16*time.Second &&
				o.killWindow == 12*time.Second && o.buckets == 6 && o.seed != 0 &&
				o.stallAfter == 5*time.Second && o.rejoin
		}},
		{"any-moment knobs", []string{"-kill-window", "0", "-buckets", "4", "-seed", "9", "-rejoin=false", "-stall-after", "2s"}, false, func(o options) bool {
			return o.killWindow == 0 && o.buckets == 4 && o.seed == 9 && !o.rejoin && o.stallAfter == 2*time.Second
		}},
		{"zero buckets", []string{"-buckets", "0"}, true, nil},
		{"negative kill window", []string{"-kill-window", "-1s"}, true, nil},
		{"zero stall-after", []string{"-stall-after", "0"}, true, nil},
		{"explicit", []string{"-trials", "50", "-impl", "redis", "-failover-bound", "3s"}, false, func(o options) bool {
			return o.trials == 50 && o.impl == "redis" && o.failoverBound == 3*time.Second
		}},
		{"zero trials", []string{"-trials", "0"}, true, nil},
		{"bad impl", []string{"-impl", "valkey"}, true, nil},
		{"negative down-after", []string{"-down-after", "-1s"}, true, nil},
		{"negative watch", []string{"-watch", "-1s"}, true, nil},
		{"stray argument", []string{"extra"}, true, nil},
		{"unknown flag", []string{"-nope"}, true, nil},
		{"raft", []string{"-impl", "ours", "-election", "raft"}, false, func(o options) bool { return o.election == "raft" }},
		{"vote by default", nil, false, func(o options) bool { return o.election == "vote" }},
		{"raft needs ours", []string{"-election", "raft"}, true, nil},
		{"raft not in scale mode", []string{"-impl", "ours", "-election", "raft", "-scale", "10"}, true, nil},
		{"bad election", []string{"-impl", "ours", "-election", "paxos"}, true, nil},
		{"fencing", []string{"-impl", "ours", "-fencing"}, false, func(o options) bool { return o.fencing }},
		{"fencing needs ours", []string{"-fencing"}, true, nil},
		{"fencing not with raft", []string{"-impl", "ours", "-fencing", "-election", "raft"}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, io.Discard)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseFlags(%q) error = %v, wantErr %v", tc.args, err, tc.wantErr)
			}
			if tc.check != nil && !tc.check(o) {
				t.Fatalf("parseFlags(%q) = %+v", tc.args, o)
			}
		})
	}
}

func TestFirstAckSentAfter(t *testing.T) {
	base := time.Unix(1000, 0)
	acks := []ack{
		{seq: 1, sentAt: base, ackAt: base.Add(time.Millisecond)},
		{seq: 2, sentAt: base.Add(2 * time.Millisecond), ackAt: base.Add(3 * time.Millisecond)},
		{seq: 9, sentAt: base.Add(time.Second), ackAt: base.Add(time.Second + time.Millisecond)},
	}
	// Seq 2 was acknowledged after the kill but sent before it: it came from
	// the old master and must not count as the new master's first write.
	got, ok := firstAckSentAfter(acks, base.Add(2500*time.Microsecond))
	if !ok || got.seq != 9 {
		t.Fatalf("firstAckSentAfter = %+v, %v; want seq 9", got, ok)
	}
	if _, ok := firstAckSentAfter(acks, base.Add(time.Hour)); ok {
		t.Fatal("found an ack after the last one")
	}
}

func TestSummaryAndRatios(t *testing.T) {
	downAfter := time.Second
	ref := newSummary("redis-sentinel", downAfter)
	ours := newSummary("ours", downAfter)
	for i := range 3 {
		ref.add(trialResult{
			durations:   map[string]time.Duration{figSwitch: downAfter + 1200*time.Millisecond + time.Duration(i)*time.Millisecond, figRejoin: 10 * time.Second},
			newMaster:   "127.0.0.1:2",
			acked:       100,
			lostChecked: true,
		}, nil)
		ours.add(trialResult{
			durations:   map[string]time.Duration{figSwitch: downAfter + 120*time.Millisecond, figRejoin: time.Second},
			newMaster:   "127.0.0.1:2",
			acked:       100,
			lost:        i, // 0, 1, 2
			lostChecked: true,
		}, nil)
	}
	ours.add(trialResult{durations: map[string]time.Duration{}, problems: []string{"no failover: test"}}, nil)

	var out bytes.Buffer
	ref.print(&out)
	ours.print(&out)
	printRatios(&out, ref, ours)
	text := out.String()
	for _, want := range []string{
		"redis-sentinel: 3 trials, 3 failed over",
		"ours: 4 trials, 3 failed over",
		"+1201 ms", // median switch of the reference, after down-after
		"acknowledged writes lost: 3 total, in 2 trials, max 2",
		"no failover: test",
		"0.10", // ours/redis for the switch (120/1201) and rejoin (1s/10s)
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestTrialLine(t *testing.T) {
	line := trialLine(trialResult{
		durations:   map[string]time.Duration{figSDown: 1050 * time.Millisecond, figSwitch: 2250 * time.Millisecond},
		acked:       10,
		lost:        1,
		lostChecked: true,
	}, time.Second)
	for _, want := range []string{"sdown=+1050ms", "switch=+1250ms", "odown=-", "lost=1/10"} {
		if !strings.Contains(line, want) {
			t.Errorf("trial line %q lacks %q", line, want)
		}
	}
}

func TestFindLost(t *testing.T) {
	server := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	client := server.Client()
	var acks []ack
	for seq := int64(1); seq <= 2500; seq++ {
		acks = append(acks, ack{seq: seq})
		if seq%1000 == 7 {
			continue // never written: lost
		}
		value := seq
		if seq == 2000 {
			value = -1 // overwritten with another value: lost too
		}
		if err := client.Set(t.Context(), key(seq), value, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	lost, err := findLost(t.Context(), client, acks)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, a := range lost {
		seqs = append(seqs, a.seq)
	}
	if want := []int64{7, 1007, 2000, 2007}; !slices.Equal(seqs, want) {
		t.Fatalf("findLost = %v, want %v", seqs, want)
	}
}
