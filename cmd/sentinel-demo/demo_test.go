package main

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(options) bool
	}{
		{"defaults", nil, false, func(o options) bool {
			return o.sentinelBinary == "bin/sentinel" && !o.useRedis && o.failoverBound == 16*time.Second
		}},
		{"redis-sentinel", []string{"-redis-sentinel"}, false, func(o options) bool {
			return o.useRedis && o.sentinelBinary == "redis-sentinel"
		}},
		{"custom binary", []string{"-sentinel-binary", "/opt/s"}, false, func(o options) bool { return o.sentinelBinary == "/opt/s" }},
		{"zero down-after", []string{"-down-after", "0s"}, true, nil},
		{"bad name", []string{"-master-name", "a b"}, true, nil},
		{"stray argument", []string{"x"}, true, nil},
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

func TestPrinter_StampsRelativeToKill(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter(&out)
	p.say("before")
	kill := time.Now()
	p.setKilledAt(kill)
	p.event(datanodetest.SentinelEvent{
		At:      kill.Add(1250 * time.Millisecond),
		Channel: "+switch-master",
		Payload: "mymaster 127.0.0.1 1 127.0.0.1 2",
	}, "s2")
	text := out.String()
	for _, want := range []string{"setup  before", "+1.250s  [s2] +switch-master", "<== clients told the new master"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestRun_MissingBinaryIsAClearError(t *testing.T) {
	datanodetest.RequireBinary(t, "redis-server")
	opts, err := parseFlags([]string{"-sentinel-binary", t.TempDir() + "/no-such-sentinel"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run(t.Context(), opts, newPrinter(&out), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("run with a missing binary: %v; want an error pointing at make build", err)
	}
}
