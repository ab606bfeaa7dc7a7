package election

import (
	"testing"

	"github.com/sentinelgo/sentinel/election/purity"
)

// TestPurity enforces what doc.go promises: the non-test files of election
// import only the standard library, never read the clock or any randomness,
// do no I/O, and start no goroutines.
func TestPurity(t *testing.T) {
	checked, problems, err := purity.CheckDir(".", purity.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if checked < 3 {
		t.Fatalf("checked only %d files; is the test running in the package directory?", checked)
	}
}
