package raftmode

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestRaftHCLogAdapter(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var l hclog.Logger = newHCLogger(base, "raft")

	l.Trace("hidden trace")
	l.Debug("a debug", "k", 1)
	l.Named("transport").With("peer", "n2").Warn("slow", "err", errors.New("boom"), "dangling")
	l.Error("bad", 42, "x")
	out := buf.String()

	for _, want := range []string{
		`level=DEBUG msg="a debug" component=raft k=1`,
		`level=WARN msg=slow component=raft.transport peer=n2 err=boom extra_value=dangling`,
		`level=ERROR msg=bad component=raft extra_value=42 extra_value=x`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hidden trace") {
		t.Errorf("trace leaked through a debug handler:\n%s", out)
	}
	if l.IsTrace() || !l.IsDebug() || !l.IsError() {
		t.Errorf("IsTrace=%v IsDebug=%v IsError=%v", l.IsTrace(), l.IsDebug(), l.IsError())
	}

	l.SetLevel(hclog.Warn)
	if l.IsInfo() || !l.IsWarn() || l.GetLevel() != hclog.Warn {
		t.Errorf("after SetLevel(Warn): IsInfo=%v IsWarn=%v", l.IsInfo(), l.IsWarn())
	}
	if got := l.ResetNamed("x").Name(); got != "x" {
		t.Errorf("ResetNamed name = %q", got)
	}
	if got := l.With("a", 1).ImpliedArgs(); len(got) != 2 {
		t.Errorf("ImpliedArgs = %v", got)
	}

	buf.Reset()
	std := l.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	std.Print("[ERR] raft: lost contact")
	std.Print("[INFO] below the floor")
	if out := buf.String(); !strings.Contains(out, `level=ERROR msg="raft: lost contact"`) || strings.Contains(out, "below the floor") {
		t.Errorf("standard logger output:\n%s", out)
	}
}
