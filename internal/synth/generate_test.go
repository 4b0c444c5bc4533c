package synth

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

func seedParams(seed uint64) schemas.SynthParams {
	p := schemas.DefaultSynthParams()
	p.TimeDuration, p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod = 600, 5, 20, 150
	p.ISL1, p.OSL1, p.ISL2, p.OSL2 = 3000, 150, 3000, 150
	p.Seed = seed
	return p
}

func collect(t *testing.T, p schemas.SynthParams) []schemas.TraceRecord {
	t.Helper()
	var out []schemas.TraceRecord
	_, err := Generate(context.Background(), p, SinkFunc(func(r *schemas.TraceRecord) error {
		c := *r
		c.HashIDs = append([]int64(nil), r.HashIDs...)
		out = append(out, c)
		return nil
	}), Options{})
	require.NoError(t, err)
	return out
}

// expectedCount is the sum the Poisson draws are centred on: Σ rate(t)·Δ.
func expectedCount(p schemas.SynthParams) float64 {
	var sum float64
	for t := 0; t < p.TimeDuration; t += p.ProcessInterval {
		te := min(t+p.ProcessInterval, p.TimeDuration)
		sum += Sinusoid(p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod, float64(t)) * float64(te-t)
	}
	return sum
}

func TestCountWithinPoissonBounds(t *testing.T) {
	for seed := uint64(0); seed < 5; seed++ {
		p := seedParams(seed)
		mean := expectedCount(p)
		require.InDelta(t, 7500, mean, 1, "the seed's rate integral is 600 s × 12.5 req/s")
		n := float64(len(collect(t, p)))
		// The sum of independent Poissons is Poisson(mean): 5 sd is a bound a
		// correct generator breaks about once in 3.5 million runs.
		require.InDelta(t, mean, n, 5*math.Sqrt(mean), "seed %d", seed)
	}
}

func TestPerSecondCountsFollowSinusoid(t *testing.T) {
	p := seedParams(1)
	recs := collect(t, p)
	perSecond := make([]float64, p.TimeDuration)
	for _, r := range recs {
		perSecond[r.Timestamp/1000]++
	}
	// Fold the four periods together: each phase second then has mean
	// 4·rate(phase), sd 2·sqrt(rate) ≤ 9.
	period := int(p.RequestRatePeriod)
	folded := make([]float64, period)
	for s, c := range perSecond {
		folded[s%period] += c
	}
	// Averages over 15 s windows: the minimum near phase 0 (and 150), the maximum near 75.
	window := func(center int) float64 {
		var sum float64
		for d := -7; d <= 7; d++ {
			sum += folded[((center+d)%period+period)%period]
		}
		return sum / 15 / 4
	}
	lo, hi := window(0), window(75)
	require.InDelta(t, 5.5, lo, 1.5, "rate near t=0 and t=150")
	require.InDelta(t, 19.5, hi, 1.5, "rate near t=75")
	bestPhase, best := 0, 0.0
	for c := 0; c < period; c++ {
		if w := window(c); w > best {
			best, bestPhase = w, c
		}
	}
	require.InDelta(t, 75, bestPhase, 15, "peak of the folded rate")
	// Every second's count correlates with the curve.
	var rate []float64
	for s := range perSecond {
		rate = append(rate, Sinusoid(p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod, float64(s)))
	}
	require.Greater(t, correlation(perSecond, rate), 0.7)
}

func TestTimestampsEvenlySpacedWithinInterval(t *testing.T) {
	p := seedParams(2)
	recs := collect(t, p)
	bySecond := map[int64][]int64{}
	for _, r := range recs {
		bySecond[r.Timestamp/1000] = append(bySecond[r.Timestamp/1000], r.Timestamp)
	}
	for s, ts := range bySecond {
		n := len(ts)
		for k, got := range ts {
			want := int64((float64(s) + float64(k)/float64(n)) * 1000)
			require.Equal(t, want, got, "second %d request %d of %d", s, k, n)
		}
		require.Equal(t, s*1000, ts[0], "first request of an interval starts it")
	}
}

func TestClassShareFollowsRatioSinusoid(t *testing.T) {
	p := seedParams(3)
	p.TimeDuration, p.ISL2, p.OSL2 = 2000, 1000, 500 // tell the classes apart, many samples
	recs := collect(t, p)
	const bins = 10
	var n, class1 [bins]float64
	for _, r := range recs {
		phase := math.Mod(float64(r.Timestamp)/1000, p.ISLOSLRatioPeriod)
		b := int(phase / p.ISLOSLRatioPeriod * bins)
		n[b]++
		if r.InputLength == p.ISL1 {
			require.Equal(t, p.OSL1, r.OutputLength)
			class1[b]++
		} else {
			require.Equal(t, p.ISL2, r.InputLength)
			require.Equal(t, p.OSL2, r.OutputLength)
		}
	}
	for b := 0; b < bins; b++ {
		// Average the curve over the bin's width.
		var want float64
		for k := 0; k < 100; k++ {
			ph := (float64(b) + (float64(k)+0.5)/100) / bins * p.ISLOSLRatioPeriod
			want += Sinusoid(p.ISLOSLRatioMin, p.ISLOSLRatioMax, p.ISLOSLRatioPeriod, ph) / 100
		}
		share := class1[b] / n[b]
		sd := math.Sqrt(want * (1 - want) / n[b])
		require.InDelta(t, want, share, 5*sd+0.01, "phase bin %d (%d samples)", b, int(n[b]))
	}
}

func TestHashIDsAreRolling(t *testing.T) {
	p := seedParams(4)
	p.TotalBlocks = 4 // force shared prefixes
	recs := collect(t, p)
	parentOf := map[int64]int64{}
	next := int64(0)
	for i, r := range recs {
		require.Len(t, r.HashIDs, (r.InputLength+p.BlockSize-1)/p.BlockSize)
		parent := int64(-1)
		for j, id := range r.HashIDs {
			if id == next {
				next++ // a new id is always the next first-seen index
			} else {
				require.Less(t, id, next, "request %d block %d skips ids", i, j)
			}
			if prev, ok := parentOf[id]; ok {
				require.Equal(t, prev, parent, "id %d seen after two different prefixes", id)
			}
			parentOf[id] = parent
			parent = id
		}
	}
	require.Less(t, int(next), len(recs)*6, "tiny block space must share ids")
}

func TestSameSeedSameBytes(t *testing.T) {
	write := func(seed uint64) []byte {
		var buf bytes.Buffer
		w := schemas.NewTraceWriter(&buf)
		_, err := Generate(context.Background(), seedParams(seed), w, Options{})
		require.NoError(t, err)
		require.NoError(t, w.Flush())
		return buf.Bytes()
	}
	a, b, c := write(9), write(9), write(10)
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
}

func TestGenerateRejectsBadParams(t *testing.T) {
	p := seedParams(0)
	p.TimeDuration, p.BlockSize = 0, -1
	_, err := Generate(context.Background(), p, SinkFunc(func(*schemas.TraceRecord) error { return nil }), Options{})
	require.ErrorContains(t, err, "time_duration: must be > 0")
	require.ErrorContains(t, err, "block_size: must be > 0")
}

func TestGenerateStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, seedParams(0), SinkFunc(func(*schemas.TraceRecord) error { return nil }), Options{})
	require.ErrorIs(t, err, context.Canceled)
}

func correlation(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var cov, va, vb float64
	for i := range a {
		cov += (a[i] - ma) * (b[i] - mb)
		va += (a[i] - ma) * (a[i] - ma)
		vb += (b[i] - mb) * (b[i] - mb)
	}
	return cov / math.Sqrt(va*vb)
}

// The planner guide's own script (phase mean) starts both sinusoids at
// their mean and rises: its rate peaks at 37.5 s of each 150 s period,
// where the current script's (phase min) is at its minimum.
func TestPhaseMeanFollowsTheGuidesScript(t *testing.T) {
	require.Equal(t, 12.5, SinusoidFromMean(5, 20, 150, 0))
	require.InDelta(t, 20, SinusoidFromMean(5, 20, 150, 37.5), 1e-12)
	require.InDelta(t, 5, SinusoidFromMean(5, 20, 150, 112.5), 1e-12)
	p := seedParams(1)
	p.Phase = schemas.PhaseMean
	recs := collect(t, p)
	perSecond := make([]float64, p.TimeDuration)
	for _, r := range recs {
		perSecond[r.Timestamp/1000]++
	}
	var mean, min []float64
	for s := range perSecond {
		mean = append(mean, SinusoidFromMean(p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod, float64(s)))
		min = append(min, Sinusoid(p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod, float64(s)))
	}
	require.Greater(t, correlation(perSecond, mean), 0.7, "the counts follow the guide's curve")
	require.Less(t, correlation(perSecond, min), 0.1, "and not the current script's, a quarter period away")
	// 7,607 requests: the seed's trace as the guide's script shapes it
	// (seed 0), which README and docs/fidelity.md quote.
	require.Len(t, collect(t, func() schemas.SynthParams { q := seedParams(0); q.Phase = schemas.PhaseMean; return q }()), 7607)
}
