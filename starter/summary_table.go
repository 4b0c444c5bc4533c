package main

import (
	"io"

	"plannerbench/internal/results"
)

// writeSummaryTable prints a case summary the way AIPerf does.
func writeSummaryTable(w io.Writer, s results.Summary) error { return results.WriteTable(w, s) }
