package calibrate

import (
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
)

// testdata/gen.py wrote the files from known polynomials with numpy.
func TestFromNPZRecoversTheProfilersCurves(t *testing.T) {
	base, err := sim.LoadProfile("h100-llama8b-profiled")
	require.NoError(t, err)
	check := func(res *Result) {
		t.Helper()
		require.InDeltaSlice(t, []float64{12, 0.05, 2e-6}, res.Profile.PrefillMS, 1e-9)
		require.InDelta(t, 1, res.Prefill.R2, 1e-12)
		require.InDeltaSlice(t, []float64{7, 20, 5}, res.Profile.DecodeStepMS, 1e-9)
		require.Less(t, res.Decode.R2, 1.0, "the context length is left out")
		require.Greater(t, res.Decode.R2, 0.99)
		require.Equal(t, 400000, res.Profile.KVCapacityTokens())
		require.Equal(t, base.StartupDelay, res.Profile.StartupDelay, "the rest comes from the base")
	}
	res, err := FromNPZ([]string{"testdata/prefill_raw_data.npz", "testdata/decode_raw_data.npz"}, base)
	require.NoError(t, err)
	check(res)
	require.Equal(t, 30, res.Decode.Points)

	mockerBase := *base
	mockerBase.KVTokens = 400000 // the mocker layout has no capacity: the base's
	res, err = FromNPZ([]string{"testdata/mocker_perf.npz"}, &mockerBase)
	require.NoError(t, err)
	check(res)

	_, err = FromNPZ([]string{"testdata/prefill_raw_data.npz"}, base)
	require.ErrorContains(t, err, "need one of decode_active_kv_tokens, x_kv_usage")
	_, err = FromNPZ([]string{"testdata/missing.npz"}, base)
	require.ErrorContains(t, err, "testdata/missing.npz")
}
