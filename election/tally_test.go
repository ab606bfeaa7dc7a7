package election

import (
	"maps"
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"
)

func TestTally(t *testing.T) {
	tests := []struct {
		name       string
		votes      map[string]string
		voters     int
		quorum     int
		wantWinner string
		wantOK     bool
	}{
		{"no votes", nil, 3, 2, "", false},
		{"majority and quorum", map[string]string{"s1": "s1", "s2": "s1", "s3": "s2"}, 3, 2, "s1", true},
		{"unanimous", map[string]string{"s1": "s1", "s2": "s1", "s3": "s1"}, 3, 2, "s1", true},
		{"majority but below quorum", map[string]string{"s1": "s1", "s2": "s1"}, 3, 3, "", false},
		{"quorum but no majority", map[string]string{"s1": "s1", "s2": "s1", "s3": "s2", "s4": "s3"}, 5, 2, "", false},
		{"dead sentinels count as voters", map[string]string{"s1": "s1", "s2": "s1"}, 5, 2, "", false},
		{"dead sentinels: three of five is enough", map[string]string{"s1": "s1", "s2": "s1", "s3": "s1"}, 5, 2, "s1", true},
		{"even voters need more than half", map[string]string{"s1": "s1", "s2": "s1", "s3": "s2", "s4": "s2"}, 4, 1, "", false},
		{"even voters: three of four", map[string]string{"s1": "s1", "s2": "s1", "s3": "s1", "s4": "s2"}, 4, 1, "s1", true},
		{"single sentinel quorum 1", map[string]string{"s1": "s1"}, 1, 1, "s1", true},
		{"abstentions do not count", map[string]string{"s1": "s1", "s2": "", "s3": ""}, 3, 1, "", false},
		{"voters understated by caller is raised to votes cast", map[string]string{"s1": "a", "s2": "a", "s3": "b", "s4": "b"}, 1, 1, "", false},
		{"zero voters is not a panic", map[string]string{"s1": "s1"}, 0, 1, "s1", true},
		{"negative voters and quorum", map[string]string{"s1": "s1"}, -3, -1, "s1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := Tally(tc.votes, tc.voters, tc.quorum)
			if w != tc.wantWinner || ok != tc.wantOK {
				t.Fatalf("Tally = (%q, %v), want (%q, %v)", w, ok, tc.wantWinner, tc.wantOK)
			}
		})
	}
}

func TestMostVoted(t *testing.T) {
	tests := []struct {
		name  string
		votes map[string]string
		want  string
	}{
		{"none", nil, ""},
		{"only abstentions", map[string]string{"s1": ""}, ""},
		{"clear leader", map[string]string{"s1": "b", "s2": "b", "s3": "a"}, "b"},
		{"tie goes to smallest run id", map[string]string{"s1": "b", "s2": "a", "s3": "c"}, "a"},
		{"tie of two pairs", map[string]string{"s1": "d", "s2": "d", "s3": "c", "s4": "c"}, "c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Map order is random; repeat so a dependence on it would show.
			for range 20 {
				if got := MostVoted(tc.votes); got != tc.want {
					t.Fatalf("MostVoted = %q, want %q", got, tc.want)
				}
			}
		})
	}
}

// ballot is a random vote map over few voters and candidates.
type ballot struct {
	Votes          map[string]string
	Voters, Quorum int
}

func (ballot) Generate(r *rand.Rand, _ int) reflect.Value {
	names := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7"}
	b := ballot{Votes: map[string]string{}}
	n := r.Intn(len(names) + 1)
	for _, v := range names[:n] {
		if r.Intn(6) == 0 {
			b.Votes[v] = ""
		} else {
			b.Votes[v] = names[r.Intn(3)]
		}
	}
	b.Voters = n + r.Intn(3)
	b.Quorum = 1 + r.Intn(4)
	return reflect.ValueOf(b)
}

// naiveTally counts each candidate by scanning all votes again.
func naiveTally(votes map[string]string, voters, quorum int) (string, bool) {
	cast := 0
	for _, c := range votes {
		if c != "" {
			cast++
		}
	}
	if voters < cast {
		voters = cast
	}
	for _, cand := range []string{"s1", "s2", "s3"} {
		n := 0
		for _, c := range votes {
			if c == cand {
				n++
			}
		}
		if 2*n > voters && n >= quorum {
			return cand, true
		}
	}
	return "", false
}

func TestTally_MatchesNaiveReference(t *testing.T) {
	check := func(b ballot) bool {
		w, ok := Tally(b.Votes, b.Voters, b.Quorum)
		nw, nok := naiveTally(b.Votes, b.Voters, b.Quorum)
		return w == nw && ok == nok
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 3000}); err != nil {
		t.Fatal(err)
	}
}

func TestLost(t *testing.T) {
	tests := []struct {
		name   string
		votes  map[string]string
		voters int
		quorum int
		want   bool
	}{
		{"no votes yet", nil, 3, 2, false},
		{"three-way split", map[string]string{"s1": "s1", "s2": "s2", "s3": "s3"}, 3, 2, true},
		{"two known, one unknown could decide", map[string]string{"s1": "s1", "s2": "s2"}, 3, 2, false},
		{"a winner is not lost", map[string]string{"s1": "s1", "s2": "s1", "s3": "s2"}, 3, 2, false},
		{"quorum out of reach", map[string]string{"s1": "s1", "s2": "s2"}, 3, 3, true},
		{"abstentions are known votes for nobody", map[string]string{"s1": "s1", "s2": "", "s3": "s3"}, 3, 2, true},
		{"five voters, 2-2-1 split", map[string]string{"s1": "s1", "s2": "s1", "s3": "s3", "s4": "s3", "s5": "s5"}, 5, 2, true},
		{"five voters, 2-2 and one unknown", map[string]string{"s1": "s1", "s2": "s1", "s3": "s3", "s4": "s3"}, 5, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Lost(tc.votes, tc.voters, tc.quorum); got != tc.want {
				t.Fatalf("Lost = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLost_NoCompletionHasAWinner is the safety argument of a fast retry:
// whenever Lost says an epoch is lost, no way of casting the votes still
// unknown gives anyone a win in it.
func TestLost_NoCompletionHasAWinner(t *testing.T) {
	names := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7"}
	check := func(b ballot) bool {
		if !Lost(b.Votes, b.Voters, b.Quorum) {
			return true
		}
		unknown := max(b.Voters-len(b.Votes), 0)
		// Every completion: each unknown voter picks one of three candidates
		// or abstains (4^unknown ≤ 4^2 with the generator's voters).
		total := 1
		for range unknown {
			total *= 4
		}
		for code := range total {
			full := maps.Clone(b.Votes)
			if full == nil {
				full = map[string]string{}
			}
			c := code
			for k := range unknown {
				full["u"+names[k]] = []string{"", "s1", "s2", "s3"}[c%4]
				c /= 4
			}
			if w, ok := Tally(full, b.Voters, b.Quorum); ok {
				t.Logf("Lost(%v, %d, %d) but completion %v elects %s", b.Votes, b.Voters, b.Quorum, full, w)
				return false
			}
		}
		return true
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 5000}); err != nil {
		t.Fatal(err)
	}
}
