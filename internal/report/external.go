package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"plannerbench/internal/aiperf"
	"plannerbench/internal/casefolder"
	"plannerbench/schemas"
)

// SourceAIPerf marks a case read from an AIPerf run's exports.
const SourceAIPerf = "aiperf"

// LoadAIPerfCase reads a folder of AIPerf exports (profile_export_aiperf.json)
// as a case: its metrics, no timeline and no GPU count. It is named after
// the folder.
func LoadAIPerfCase(dir string) (Case, error) {
	run, err := aiperf.ReadRun(dir)
	if err != nil {
		return Case{}, err
	}
	name := filepath.Base(filepath.Clean(dir))
	c := Case{ID: name, Dir: dir, Status: "completed", Source: SourceAIPerf, Summary: run.Summary}
	c.Spec = schemas.Case{ID: name, Name: name, Model: run.Model, TimeScale: 1, Repeat: 1,
		Backend: schemas.Backend{Kind: SourceAIPerf}}
	return c, nil
}

// isAIPerfFolder reports a folder holding AIPerf exports and no case.json
// (an AIPerf run copied into the matrix folder).
func isAIPerfFolder(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, aiperf.SummaryJSONFile)); err != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, casefolder.SpecFile))
	return errors.Is(err, os.ErrNotExist)
}

// LoadExternal reads the folders given with `report --with`: each an AIPerf
// run's exports.
func LoadExternal(dirs []string) ([]Case, error) {
	var out []Case
	for _, d := range dirs {
		c, err := LoadAIPerfCase(d)
		if err != nil {
			return nil, fmt.Errorf("--with %s: %w", d, err)
		}
		out = append(out, c)
	}
	return out, nil
}
