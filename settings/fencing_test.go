package settings

import (
	"testing"
	"time"
)

func TestFencingLag(t *testing.T) {
	for _, tc := range []struct {
		downAfter time.Duration
		want      int
	}{{time.Millisecond, 1}, {2 * time.Second, 1}, {3999 * time.Millisecond, 1}, {4 * time.Second, 2}, {30 * time.Second, 15}, {1 << 62, maxFencingValue}} {
		if got := FencingLag(tc.downAfter); got != tc.want {
			t.Errorf("FencingLag(%v) = %d, want %d", tc.downAfter, got, tc.want)
		}
	}
}

func FuzzParseFencingValues(f *testing.F) {
	for _, s := range []string{"0 10", "1 1", "2147483647 0", "2147483648 1", "-1 2", "+1 2", "1", "1  2", "", "01 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFencingValues(s)
		if err != nil {
			return
		}
		if v.MinReplicas < 0 || v.MaxLag < 0 {
			t.Fatalf("%q gave negative values %+v", s, v)
		}
		back, err := ParseFencingValues(v.String())
		if err != nil || back != v {
			t.Fatalf("%q: %+v does not round-trip: %+v, %v", s, v, back, err)
		}
	})
}
