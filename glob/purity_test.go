package glob

import (
	"testing"

	"github.com/sentinelgo/sentinel/election/purity"
)

// TestPurity: the core imports this package, so it keeps the core's rules
// (no I/O, clock, randomness, goroutines or logging).
func TestPurity(t *testing.T) {
	purity.Require(t, ".", purity.Rules{}, 2)
}
