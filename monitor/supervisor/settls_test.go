package supervisor

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// SENTINEL SET <name> tls yes is refused without the TLS files; a change
// is visible in the snapshot when the master's links are re-dialled.
func TestSet_TLSChoice(t *testing.T) {
	loop := startTestLoop(t, nopExec{}, &switchablePersister{})
	var relinked []string
	seen := ""
	ready := false
	c := &controller{loop: loop, globals: &globals{level: new(slog.LevelVar)},
		tlsReady: func() bool { return ready },
		relink: func(name string) {
			relinked = append(relinked, name)
			seen = loop.Snapshot().Master(name).TLS
		}}
	set := func(v string) error {
		return c.Set(t.Context(), "mymaster", []monitor.Setting{{Name: "tls", Value: v}})
	}
	if err := set("yes"); err == nil || !strings.Contains(err.Error(), "needs tls-ca-cert-file") {
		t.Fatalf("tls yes without TLS files: %v", err)
	}
	if len(relinked) != 0 || loop.Snapshot().Master("mymaster").TLS != "" {
		t.Fatalf("a refused SET changed something: relinked %v, TLS %q", relinked, loop.Snapshot().Master("mymaster").TLS)
	}
	if err := set("no"); err != nil || seen != "no" {
		t.Fatalf("tls no: %v, links re-dialled seeing %q", err, seen)
	}
	ready = true
	if err := set("yes"); err != nil || seen != "yes" {
		t.Fatalf("tls yes: %v, links re-dialled seeing %q", err, seen)
	}
	if len(relinked) != 2 || relinked[0] != "mymaster" {
		t.Fatalf("relinked %v, want mymaster twice", relinked)
	}
	// Other settings re-dial nothing.
	if err := c.Set(t.Context(), "mymaster", []monitor.Setting{{Name: "quorum", Value: "1"}}); err != nil || len(relinked) != 2 {
		t.Fatalf("quorum: %v, relinked %v", err, relinked)
	}
}

// With the CA and certificate files but no TLS in use, the client side is
// ready for SENTINEL SET <master> tls yes; files that cannot serve only
// leave it unavailable (a warning), they do not stop the start.
func TestTLSSetupReadyForSet(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, t.TempDir(), "node", ca, ca.Issue(t, "node", tlstest.IssueOptions{}))
	cfg := &configs.Config{}
	cfg.Sentinel.TLS = configs.TLS{CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA}
	ts, err := newTLSSetup(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil || !ts.clientReady() || ts.clientConfig() != nil {
		t.Fatalf("files, no TLS in use: err %v, ready %v", err, ts.clientReady())
	}
	cfg.Sentinel.TLS = configs.TLS{ClientCertFile: f.Cert, ClientKeyFile: f.Key, CACertFile: f.CA}
	if ts, err := newTLSSetup(cfg, slog.New(slog.DiscardHandler), nil); err != nil || ts.clientReady() {
		t.Fatalf("client files only, no TLS in use: err %v, ready %v", err, ts.clientReady())
	}
	if ts, err := newTLSSetup(&configs.Config{}, slog.New(slog.DiscardHandler), nil); err != nil || ts != nil {
		t.Fatalf("no TLS files: %v %v", ts, err)
	}
}
