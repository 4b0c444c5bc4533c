package casefolder

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// ReadSpec reads the case's spec (case.json); an error names the file (a
// missing one satisfies os.IsNotExist through errors.Is).
func ReadSpec(dir string) (schemas.Case, error) {
	var c schemas.Case
	path := filepath.Join(dir, SpecFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read case %s: %w", dir, err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadSummary reads the case's summary.json; an error names the file.
func ReadSummary(dir string) (results.Summary, error) {
	var s results.Summary
	path := filepath.Join(dir, SummaryFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("read summary of %s: %w", dir, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Complete says whether the case folder holds a summary.json, the mark of
// a finished case.
func Complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, SummaryFile))
	return err == nil
}

// ReadSamples reads the case's samples.jsonl (none when there is none).
func ReadSamples(dir string) ([]schemas.Sample, error) {
	return results.ReadSamples(filepath.Join(dir, SamplesFile))
}

// ReadDecisions reads the case's decisions.jsonl (none when there is none).
func ReadDecisions(dir string) ([]schemas.Decision, error) {
	return results.ReadDecisions(filepath.Join(dir, DecisionsFile))
}

// Appended is what a live case appended to as it ran: its metric samples
// and its planner's decisions. A line of either file that did not parse (an
// append cut short by a crash, then continued) is left out and named in
// Skipped ("path:line: cause").
type Appended struct {
	Samples   []schemas.Sample
	Decisions []schemas.Decision
	Skipped   []string
}

// ReadAppended reads the case's samples.jsonl and decisions.jsonl (none
// when absent); an error is a file that could not be read at all.
func ReadAppended(dir string) (Appended, error) {
	samples, err := ReadSamples(dir)
	badSamples, ok := results.SkippedLines(err)
	if !ok {
		return Appended{}, err
	}
	decisions, err := ReadDecisions(dir)
	badDecisions, ok := results.SkippedLines(err)
	if !ok {
		return Appended{}, err
	}
	return Appended{Samples: samples, Decisions: decisions, Skipped: append(badSamples, badDecisions...)}, nil
}

// ReadRequests reads the case's request table in index order.
func ReadRequests(ctx context.Context, dir string) ([]schemas.RequestRecord, error) {
	return results.ReadRequests(ctx, RequestsPath(dir))
}
