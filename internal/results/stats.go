package results

import (
	"math"
	"sort"
)

// Distribution summarises a metric the way AIPerf reports it: average,
// extremes, population standard deviation and percentiles with numpy's
// default (linear) interpolation.
type Distribution struct {
	Count int     `json:"count"`
	Avg   float64 `json:"avg"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Std   float64 `json:"std"`
	P1    float64 `json:"p1"`
	P5    float64 `json:"p5"`
	P10   float64 `json:"p10"`
	P25   float64 `json:"p25"`
	P50   float64 `json:"p50"`
	P75   float64 `json:"p75"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
}

// Describe summarises values, ignoring NaNs. It sorts a copy.
func Describe(values []float64) Distribution {
	v := make([]float64, 0, len(values))
	for _, x := range values {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return Distribution{}
	}
	sort.Float64s(v)
	var sum float64
	for _, x := range v {
		sum += x
	}
	avg := sum / float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - avg) * (x - avg)
	}
	return Distribution{
		Count: len(v), Avg: avg, Min: v[0], Max: v[len(v)-1], Std: math.Sqrt(ss / float64(len(v))),
		P1: Percentile(v, 1), P5: Percentile(v, 5), P10: Percentile(v, 10), P25: Percentile(v, 25), P50: Percentile(v, 50),
		P75: Percentile(v, 75), P90: Percentile(v, 90), P95: Percentile(v, 95), P99: Percentile(v, 99),
	}
}

// Percentile of sorted values by linear interpolation between closest ranks
// (numpy.percentile's default).
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	if hi >= len(sorted) {
		hi = len(sorted) - 1
	}
	return sorted[lo] + (sorted[hi]-sorted[lo])*(rank-float64(lo))
}
