package gpu

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
)

type fakeSource struct{ n int }

func (f *fakeSource) Read(context.Context) ([]Sample, error) {
	f.n++
	if f.n == 2 {
		return nil, errors.New("transient")
	}
	return []Sample{{Index: 0, XIDErrors: int64(f.n)}}, nil
}
func (f *fakeSource) Close() error { return nil }

func TestSamplerWritesParts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), casefolder.GPUDir)
	w, err := results.NewGPUWriter(dir)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var failures, written int
	s := &Sampler{Source: &fakeSource{}, Interval: time.Millisecond, OnError: func(error) { failures++ },
		Sink: func(samples []Sample) error {
			for _, x := range samples {
				w.Add(x)
			}
			if written += len(samples); written >= 3 {
				cancel()
			}
			return w.Flush()
		}}
	reads, err := s.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, reads)
	require.Equal(t, 1, failures, "a failed read is reported and sampling goes on")
	got, err := results.ReadGPU(context.Background(), dir)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, []int64{1, 3, 4}, []int64{got[0].XIDErrors, got[1].XIDErrors, got[2].XIDErrors})
	require.True(t, math.IsNaN(got[0].PowerW) || got[0].PowerW == 0)
}
