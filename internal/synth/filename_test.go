package synth

import (
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

func TestPythonFloatRepr(t *testing.T) {
	for v, want := range map[float64]string{
		5: "5.0", 20: "20.0", 150: "150.0", 0.2: "0.2", 0.75: "0.75", 1e-05: "1e-05",
		0.0001: "0.0001", 1e16: "1e+16", 1.5e16: "1.5e+16", 123456789012345.0: "123456789012345.0",
		0.30000000000000004: "0.30000000000000004", -2.5: "-2.5", 0: "0.0",
	} {
		require.Equal(t, want, PythonFloatRepr(v), "repr(%v)", v)
	}
}

// The expected names are what sin_synth.py prints for the same command lines
// (its f-string applies str() to argparse values: floats from the command line,
// int literals for untouched defaults).
func TestDefaultFileNameMatchesReference(t *testing.T) {
	given := func(p schemas.SynthParams, flags ...string) schemas.SynthParams {
		for _, f := range flags {
			p.MarkGiven(f)
		}
		return p
	}
	seed := schemas.DefaultSynthParams()
	seed.TimeDuration, seed.RequestRateMin, seed.RequestRateMax, seed.RequestRatePeriod = 600, 5, 20, 150
	seed.ISL1, seed.OSL1, seed.ISL2, seed.OSL2 = 3000, 150, 3000, 150

	lowRate := schemas.DefaultSynthParams()
	lowRate.RequestRateMin, lowRate.RequestRateMax = 0.75, 3

	ratio := schemas.DefaultSynthParams()
	ratio.ISLOSLRatioPeriod, ratio.BlockSize, ratio.ISLOSLRatioMin = 10, 64, 0.5

	for _, tc := range []struct {
		name string
		p    schemas.SynthParams
		want string
	}{
		{"seed flags", given(seed, "time-duration", "request-rate-min", "request-rate-max", "request-rate-period", "isl1", "osl1", "isl2", "osl2"),
			"sin_b512_t600_rr5.0-20.0-150.0_io3000150-3000150-0.2-0.8-10.jsonl"},
		{"all defaults", schemas.DefaultSynthParams(), "sin_b512_t100_rr5-10-10_io1002000-5000100-0.2-0.8-10.jsonl"},
		{"fractional rates", given(lowRate, "request-rate-min", "request-rate-max"), "sin_b512_t100_rr0.75-3.0-10_io1002000-5000100-0.2-0.8-10.jsonl"},
		{"ratio period given", given(ratio, "isl-osl-ratio-period", "block-size", "isl-osl-ratio-min"), "sin_b64_t100_rr5-10-10_io1002000-5000100-0.5-0.8-10.0.jsonl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, DefaultFileName(tc.p))
		})
	}
}
