package monitor_test

import (
	"testing"

	"github.com/sentinelgo/sentinel/monitor/monitortest"
)

// TestScenarios runs the scripts in testdata; -update rewrites their
// expected output (review the diff).
func TestScenarios(t *testing.T) { monitortest.RunDir(t, "testdata") }
