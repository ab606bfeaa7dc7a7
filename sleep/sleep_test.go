package sleep

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestForWaitsTheWholeDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if !For(t.Context(), 3*time.Second) {
			t.Fatal("For reported false with a live context")
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Fatalf("waited %v, want 3s", got)
		}
	})
}

func TestForEndsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		if For(ctx, time.Hour) {
			t.Fatal("For reported true although the context ended first")
		}
		if got := time.Since(start); got != time.Second {
			t.Fatalf("waited %v, want 1s (the context's end)", got)
		}
	})
}

func TestForZeroOrLess(t *testing.T) {
	if !For(t.Context(), 0) || !For(t.Context(), -time.Second) {
		t.Fatal("For(live, <=0) reported false")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if For(ctx, 0) {
		t.Fatal("For(ended, 0) reported true")
	}
}
