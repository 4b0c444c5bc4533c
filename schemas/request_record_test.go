package schemas

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The decode step is the pure steps' median: gaps of 10 ms, where every
// 5th chunk is read 5 ms late (that gap 15, the next 5) and every 7th
// step also computed a prefill chunk (+30 ms). Consecutive-gap means are
// 10 but for 12.5/10/7.5 around each late read and 25/25 around each
// chunk step; the 10th percentile is 7.5, the bound 11.25, and the pure
// ones (7.5 and 10, most 10) have the median 10. The median of single
// gaps within 1.5x their 10th percentile (5, the late reads' short gaps)
// would be 5.
func TestSetDecodeStepTakesPureSteps(t *testing.T) {
	var gaps []float64
	for i := range 100 {
		g := 10.0
		switch {
		case i%7 == 3:
			g += 30
		case i%5 == 2:
			g += 5
		case i%5 == 3:
			g -= 5
		}
		gaps = append(gaps, g)
	}
	var r RequestRecord
	first := time.Unix(100, 0)
	r.SetDecodeStep(first, gaps, 2)
	require.InDelta(t, 20, r.ITLDecodeMS, 1e-9, "10 ms a step, times the time scale 2")
	// The median of the pure pair means is one of the 10s, whose instants
	// are the ends of gaps: within the decode.
	require.True(t, r.DecodeStepAt.After(first) && r.DecodeStepAt.Before(first.Add(1300*time.Millisecond)), "%v", r.DecodeStepAt)
	r.SetDecodeStep(first, []float64{8}, 1)
	require.Equal(t, 8.0, r.ITLDecodeMS, "one gap is the step")
	require.Equal(t, first.Add(8*time.Millisecond), r.DecodeStepAt, "ending with the gap")
	r.ITLDecodeMS = -1
	r.SetDecodeStep(first, nil, 1)
	require.Equal(t, -1.0, r.ITLDecodeMS, "no gap: unchanged")
}
