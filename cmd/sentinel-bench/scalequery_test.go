package main

import (
	"slices"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

func TestParseBenchmarkCSV(t *testing.T) {
	out := "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n" +
		"\"SENTINEL get-master-addr-by-name m0\",\"54945.05\",\"0.557\",\"0.064\",\"0.527\",\"0.951\",\"1.303\",\"3.047\"\n"
	s, err := parseBenchmarkCSV([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if s.rps != 54945.05 || s.p50 != 0.527 || s.p99 != 1.303 {
		t.Fatalf("parsed %+v", s)
	}
	if _, err := parseBenchmarkCSV([]byte("garbage")); err == nil {
		t.Fatal("no error for output without a row")
	}
}

func TestMassKillIndexes(t *testing.T) {
	if got := massKillIndexes(100, 10); !slices.Equal(got, []int{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}) {
		t.Fatalf("got %v", got)
	}
	if got := massKillIndexes(3, 3); !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("got %v", got)
	}
}

func TestMassResultCount(t *testing.T) {
	t0 := time.Unix(100, 0)
	r := massResult{killed: []string{"m0", "m5"}, first: map[string]time.Duration{}, last: map[string]time.Duration{},
		tries: map[string]int{}, switches: map[string]int{}}
	r.count([]datanodetest.SentinelEvent{
		{At: t0.Add(200 * time.Millisecond), Channel: "+try-failover", Payload: "master m0 127.0.0.1 7000"},
		{At: t0.Add(300 * time.Millisecond), Channel: "+switch-master", Payload: "m0 127.0.0.1 7000 127.0.0.1 7001"},
		{At: t0.Add(350 * time.Millisecond), Channel: "+switch-master", Payload: "m0 127.0.0.1 7000 127.0.0.1 7001"},
		{At: t0.Add(400 * time.Millisecond), Channel: "-failover-abort-not-elected", Payload: "master m5 127.0.0.1 7050"},
	}, t0)
	if r.first["m0"] != 300*time.Millisecond || r.last["m0"] != 350*time.Millisecond || r.tries["m0"] != 1 || r.aborts != 1 {
		t.Fatalf("counted %+v", r)
	}
	if med, tries := r.medianOf(); med != 300*time.Millisecond || tries != 0.5 {
		t.Fatalf("medianOf = %v, %v", med, tries)
	}
}
