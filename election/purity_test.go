package election

import (
	"testing"

	"github.com/sentinelgo/sentinel/election/purity"
)

// TestPurity enforces what doc.go promises: the non-test files of election
// import only the standard library, never read the clock or any randomness,
// do no I/O, and start no goroutines.
func TestPurity(t *testing.T) {
	purity.Require(t, ".", purity.Rules{}, 3)
}
