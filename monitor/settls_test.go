package monitor

import (
	"testing"

	"github.com/sentinelgo/sentinel/settings"
)

// SENTINEL SET <name> tls yes|no sets the per-master TLS choice (ours),
// stored lower-case as the configuration loaders store it.
func TestSetTLS(t *testing.T) {
	c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("10.0.0.1", 6379), MasterSettings: settings.MasterSettings{Quorum: 1}}}})
	if got := c.Snapshot(at(0)).Master("m").TLS; got != "" {
		t.Fatalf("TLS = %q before any SET, want empty", got)
	}
	args, err := ParseSetArgs([]string{"TLS", "Yes"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(at(0), "m", args); err != nil || c.Snapshot(at(0)).Master("m").TLS != "yes" {
		t.Fatalf("SET tls Yes: %v, TLS = %q", err, c.Snapshot(at(0)).Master("m").TLS)
	}
	if err := c.Set(at(0), "m", []Setting{{Name: "tls", Value: "NO"}}); err != nil || c.Snapshot(at(0)).Master("m").TLS != "no" {
		t.Fatalf("SET tls NO: %v", err)
	}
	want := "ERR Invalid argument 'maybe' for SENTINEL SET 'tls'"
	if _, err := ParseSetArgs([]string{"tls", "maybe"}); err == nil || err.Error() != want {
		t.Errorf("ParseSetArgs(tls maybe) = %v, want %q", err, want)
	}
	if err := c.Set(at(0), "m", []Setting{{Name: "tls", Value: ""}}); err == nil {
		t.Error("the core took an empty tls value")
	}
}
