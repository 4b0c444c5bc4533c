package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// The guide's figures sit beside a matrix of the seed's trace, marked as
// not measured here, and beside no other.
func TestPublishedReferenceOnlyForTheSeedsTrace(t *testing.T) {
	seed := schemas.DefaultSynthParams()
	seed.TimeDuration, seed.RequestRateMin, seed.RequestRateMax, seed.RequestRatePeriod = 600, 5, 20, 150
	seed.ISL1, seed.OSL1, seed.ISL2, seed.OSL2 = 3000, 150, 3000, 150
	other := seed
	other.RequestRateMax = 10
	mk := func(p *schemas.SynthParams, path string) []Case {
		return []Case{{ID: "2p2d", Spec: schemas.Case{Name: "2p2d", Trace: schemas.TraceSpec{Synth: p, Path: path}}}}
	}
	require.Len(t, PublishedFor(mk(&seed, "")), 2)
	require.Len(t, PublishedFor(mk(nil, "/x/sin_b512_t600_rr5.0-20.0-150.0_io3000150-3000150-0.2-0.8-10.jsonl")), 2)
	require.Empty(t, PublishedFor(mk(&other, "")))
	require.Empty(t, PublishedFor(mk(nil, "/x/mine.jsonl")))

	cmp, err := Compare("seed", mk(&seed, ""), "")
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, WriteTable(&b, cmp))
	require.Contains(t, b.String(), "Reference (not measured here):")
	require.Contains(t, b.String(), "published, Dynamo guide")
	require.Contains(t, b.String(), "12.4")
	require.Contains(t, b.String(), "2546")
}
