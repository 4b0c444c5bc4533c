package aiperf

import (
	"io"

	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// Test helpers over the package's internals.

// WriteRecords writes profile_export.jsonl lines for recs to w.
func WriteRecords(w io.Writer, caseID, worker string, recs []schemas.RequestRecord) error {
	return writeRecords(w, Info{CaseID: caseID, Worker: worker}, recs, newTally())
}

// SummaryOf builds the summary from the case's summary (the one
// computation of its statistics, results.Summarize) and its records (for
// totals, the time span and the error summary).
func SummaryOf(info Info, s results.Summary, recs []schemas.RequestRecord) Summary {
	return summaryFrom(info, s, tallyOf(info, recs))
}

// Sums are the per-metric sums over the completed requests' values, for
// the CSV's sum column.
func Sums(caseID string, recs []schemas.RequestRecord) map[string]float64 {
	return tallyOf(Info{CaseID: caseID}, recs).sums
}
