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
// atomically (a reader sees the old file or the whole new one). The records
// are converted once: the summary is tallied while they are written.
func WriteCase(dir string, info Info, s results.Summary, recs []schemas.RequestRecord) error {
	t := newTally()
	var sum Summary
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{RecordsFile, func(w io.Writer) error {
			if err := writeRecords(w, info, recs, t); err != nil {
				return err
			}
			sum = summaryFrom(info, s, t)
			return nil
		}},
		{SummaryJSONFile, func(w io.Writer) error { return WriteSummaryJSON(w, sum) }},
		{SummaryCSVFile, func(w io.Writer) error { return WriteSummaryCSV(w, sum, t.sums) }},
	} {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("AIPerf export: %w", err)
		}
	}
	return nil
}
