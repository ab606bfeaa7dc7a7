package settings

import "testing"

func TestCheckQuorum(t *testing.T) {
	for _, q := range []int64{1, 2, 1 << 40} {
		if err := CheckQuorum(q); err != nil {
			t.Errorf("CheckQuorum(%d) = %v", q, err)
		}
	}
	for _, q := range []int64{0, -1, -1 << 62} {
		if err := CheckQuorum(q); err == nil || err.Error() != "Quorum must be 1 or greater." {
			t.Errorf("CheckQuorum(%d) = %v, want Redis's text", q, err)
		}
	}
}
