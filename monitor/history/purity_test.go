package history

import (
	"testing"

	"github.com/sentinelgo/sentinel/election/purity"
)

// TestPurity keeps the tracker and codec free of clocks, I/O and goroutines.
func TestPurity(t *testing.T) {
	checked, problems, err := purity.CheckDir(".", purity.Rules{
		AllowedImports: []string{"github.com/sentinelgo/sentinel/monitor"},
		PureNetHelpers: []string{"JoinHostPort"}, // renders the switch's addresses
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if checked < 3 {
		t.Fatalf("checked only %d files", checked)
	}
}
