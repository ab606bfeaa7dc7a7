package monitor

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// TestCandidacyTime_GrowsWithLaterODown: masters failing together go
// ODOWN one after another; a turn set when the first was ODOWN grows as
// the others follow (issue 14), and shrinks back if they recover.
func TestCandidacyTime_GrowsWithLaterODown(t *testing.T) {
	var masters []MasterConfig
	for k := range 8 {
		masters = append(masters, MasterConfig{Name: fmt.Sprintf("m%d", k), Addr: addr("10.0.0.1", 7000+k),
			MasterSettings: settings.MasterSettings{Quorum: 2, DownAfter: time.Second, FailoverTimeout: time.Minute}})
	}
	c, err := New(Config{MyID: "me", Masters: masters}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := c.masters[0]
	m.inst.flags |= FlagODown
	c.scheduleCandidacy(m, at, 2)
	first := m.candidateAt.Sub(at) - m.candidateJitter
	if first != 2*candidacyTurn {
		t.Fatalf("one master ODOWN, rank 2: wait %v, want %v", first, 2*candidacyTurn)
	}
	for _, x := range c.masters[1:] {
		x.inst.flags |= FlagODown
	}
	if got := c.candidacyTime(m).Sub(at) - m.candidateJitter; got != 2*candidacyTurn*3 {
		t.Fatalf("8 masters ODOWN: wait %v, want %v (one more turn per 4)", got, 2*candidacyTurn*3)
	}
	for _, x := range c.masters[1:] {
		x.inst.flags &^= FlagODown
	}
	if got := c.candidacyTime(m).Sub(at) - m.candidateJitter; got != first {
		t.Fatalf("back to one master ODOWN: wait %v, want %v", got, first)
	}
}
