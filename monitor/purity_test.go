package monitor

import (
	"testing"

	"github.com/sentinelgo/sentinel/election/purity"
)

// TestPurity keeps the core deterministic: no I/O, no clock, no global
// randomness (only the injected *rand.Rand), no goroutines, no logging, in
// any non-test file of package monitor (sub-packages such as supervisor
// and monitortest are exempt).
func TestPurity(t *testing.T) {
	purity.Require(t, ".", purity.Rules{
		AllowedImports: []string{
			"github.com/sentinelgo/sentinel/election", // pure rules, with the same test
			"github.com/sentinelgo/sentinel/settings", // plain data, standard library only
			"github.com/sentinelgo/sentinel/glob",     // Redis's glob matching, standard library only
		},
		InjectedRandom: true,
		PureNetHelpers: []string{"JoinHostPort"}, // types.go renders Addr with it
	}, 5)
}
