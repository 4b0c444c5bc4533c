package precise

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUntilWaitsAndWakes(t *testing.T) {
	s := NewSleeper()
	start := time.Now()
	require.True(t, s.Until(context.Background(), start.Add(5*time.Millisecond), nil))
	require.GreaterOrEqual(t, time.Since(start), 5*time.Millisecond, "never early")

	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	require.False(t, s.Until(context.Background(), time.Now().Add(time.Hour), wake))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.False(t, s.Until(ctx, time.Now().Add(time.Hour), nil))
	require.True(t, s.Until(ctx, time.Now().Add(-time.Second), nil), "a past instant returns at once")
}

// BenchmarkLateness reports how late Until returns for a 3 ms wait.
func BenchmarkLateness(b *testing.B) {
	s := NewSleeper()
	var total time.Duration
	for b.Loop() {
		target := time.Now().Add(3 * time.Millisecond)
		s.Until(context.Background(), target, nil)
		total += time.Since(target)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs-late/op")
}
