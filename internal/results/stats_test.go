package results

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// The expected values were computed with numpy 1.24 (linear interpolation,
// numpy.percentile's default; numpy.std's default ddof=0), independently
// of this package:
//
//	import numpy as np
//	v = [15, 20, 35, 40, 50]
//	[np.percentile(v, q) for q in (1, 5, 10, 25, 50, 75, 90, 95, 99)], np.std(v), np.mean(v)
//	w = [3.5, 1.25, 9.0, 4.75, 2.0, 7.5, 6.25, 0.5]
//	(the same for w)
func TestDescribeMatchesNumpy(t *testing.T) {
	cases := []struct {
		name  string
		in    []float64
		pcts  []float64 // p1 p5 p10 p25 p50 p75 p90 p95 p99
		std   float64
		avg   float64
		extra []float64 // NaNs mixed in must be ignored
	}{
		{name: "five", in: []float64{15, 20, 35, 40, 50},
			pcts: []float64{15.2, 16.0, 17.0, 20.0, 35.0, 40.0, 46.0, 48.0, 49.6}, std: 12.884098726725126, avg: 32},
		{name: "eight unsorted", in: []float64{3.5, 1.25, 9.0, 4.75, 2.0, 7.5, 6.25, 0.5},
			pcts: []float64{0.5525, 0.7625, 1.025, 1.8125, 4.125, 6.5625, 7.95, 8.475, 8.895}, std: 2.8721113205271136, avg: 4.34375,
			extra: []float64{math.NaN(), math.NaN()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := append(append([]float64{}, c.in...), c.extra...)
			d := Describe(in)
			got := []float64{d.P1, d.P5, d.P10, d.P25, d.P50, d.P75, d.P90, d.P95, d.P99}
			require.InDeltaSlice(t, c.pcts, got, 1e-12)
			require.InDelta(t, c.std, d.Std, 1e-12, "population standard deviation")
			require.InDelta(t, c.avg, d.Avg, 1e-12)
			require.Equal(t, len(c.in), d.Count)
			if c.name == "eight unsorted" {
				require.Equal(t, 3.5, in[0], "Describe sorts a copy")
			}
		})
	}
}

func TestDescribeEmptyAndSingle(t *testing.T) {
	require.Equal(t, Distribution{}, Describe(nil))
	require.Equal(t, Distribution{}, Describe([]float64{math.NaN()}))
	d := Describe([]float64{7})
	require.Equal(t, Distribution{Count: 1, Avg: 7, Min: 7, Max: 7, P1: 7, P5: 7, P10: 7, P25: 7, P50: 7, P75: 7, P90: 7, P95: 7, P99: 7}, d)
	require.True(t, math.IsNaN(Percentile(nil, 50)))
}
