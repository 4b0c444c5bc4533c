package aiperf

import (
	"fmt"
	"io"
	"path/filepath"

	"plannerbench/internal/atomicfile"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// WriteCase writes the three AIPerf files into a case folder, each
// atomically (a reader sees the old file or the whole new one).
func WriteCase(dir string, info Info, s results.Summary, recs []schemas.RequestRecord) error {
	sum := SummaryOf(info, s, recs)
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{RecordsFile, func(w io.Writer) error { return WriteRecords(w, info.CaseID, info.Worker, recs) }},
		{SummaryJSONFile, func(w io.Writer) error { return WriteSummaryJSON(w, sum) }},
		{SummaryCSVFile, func(w io.Writer) error { return WriteSummaryCSV(w, sum, Sums(info.CaseID, recs)) }},
	} {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("AIPerf export: %w", err)
		}
	}
	return nil
}
