package monitor_test

import (
	"path/filepath"
	"testing"

	"github.com/sentinelgo/sentinel/monitor/monitortest"
)

// TestRaftScenarios runs the raft-mode scenario scripts (testdata/raft_*.txt)
// on their own, so `go test -run Raft ./...` covers raft mode's core too.
func TestRaftScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/raft_*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no raft scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { monitortest.RunFile(t, f) })
	}
}
