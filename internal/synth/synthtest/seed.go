// Package synthtest gives tests the seed experiment's trace.
package synthtest

import (
	"context"
	"path/filepath"
	"testing"

	"plannerbench/internal/synth"
	"plannerbench/schemas"
)

// SeedParams are the seed's trace recipe (600 s, 5-20 req/s over a 150 s
// period, ISL/OSL 3000/150 for both classes).
func SeedParams() schemas.SynthParams {
	p := schemas.DefaultSynthParams()
	p.TimeDuration, p.RequestRateMin, p.RequestRateMax, p.RequestRatePeriod = 600, 5, 20, 150
	p.ISL1, p.OSL1, p.ISL2, p.OSL2 = 3000, 150, 3000, 150
	return p
}

// SeedTrace writes the seed's trace into the test's temporary folder.
func SeedTrace(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seed.jsonl")
	if _, err := synth.WriteFile(context.Background(), SeedParams(), path, synth.Options{}); err != nil {
		t.Fatalf("synthesize the seed trace: %v", err)
	}
	return path
}
