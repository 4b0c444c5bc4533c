package results

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

func TestEnergyPerOutputToken(t *testing.T) {
	t0 := time.Unix(100, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	samples := []schemas.GPUSample{
		// GPU A: 1000 J -> 4000 J; samples out of order.
		{At: at(2), UUID: "A", EnergyJ: 4000, Source: "nvml"},
		{At: at(0), UUID: "A", EnergyJ: 1000, Source: "nvml"},
		{At: at(1), UUID: "A", EnergyJ: 2500, Source: "nvml"},
		// GPU B: 500 J -> 1500 J.
		{At: at(0), UUID: "B", EnergyJ: 500, Source: "nvml"},
		{At: at(2), UUID: "B", EnergyJ: 1500, Source: "nvml"},
	}
	recs := []schemas.RequestRecord{
		{Status: schemas.StatusOK, CompletionTokens: 150},
		{Status: schemas.StatusOK, CompletionTokens: 50},
		{Status: schemas.StatusError, CompletionTokens: 10}, // not counted
	}
	e := EnergyOf(samples, recs)
	require.Equal(t, 4000.0, e.EnergyJ, "3000 J + 1000 J")
	require.Equal(t, 20.0, e.PerOutputTokenJ, "4000 J / 200 tokens")
	require.Equal(t, 2, e.GPUs)
	require.Equal(t, "nvml", e.Source)
	require.Nil(t, EnergyOf(nil, recs))
}
