package synth

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"plannerbench/schemas"
)

// BenchmarkSynthesizeSeedTraceToFile measures the seed's trace (7.5k
// requests) written as JSONL to a file, hashing included.
func BenchmarkSynthesizeSeedTraceToFile(b *testing.B) {
	p := seedParams(0)
	path := filepath.Join(b.TempDir(), "seed.jsonl")
	var rows int
	for b.Loop() {
		ref, err := WriteFile(context.Background(), p, path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows += ref.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkSynthesizeJSON measures a steady 1,000 req/s trace encoded as
// JSONL, the throughput figure of the one-hour 3.6M-request goal.
func BenchmarkSynthesizeJSON(b *testing.B) {
	p := seedParams(0)
	p.TimeDuration, p.RequestRateMin, p.RequestRateMax = 60, 1000, 1000
	var rows int
	for b.Loop() {
		w := schemas.NewTraceWriter(io.Discard)
		res, err := Generate(context.Background(), p, w, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Requests
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "requests/s")
}
