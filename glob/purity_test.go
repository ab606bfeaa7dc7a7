package glob

import (
	"testing"

	"github.com/sentinelgo/sentinel/election/purity"
)

// TestPurity: the core imports this package, so it keeps the core's rules
// (no I/O, clock, randomness, goroutines or logging).
func TestPurity(t *testing.T) {
	checked, problems, err := purity.CheckDir(".", purity.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if checked < 2 {
		t.Fatalf("checked only %d files", checked)
	}
}
