package report

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"plannerbench/internal/casefolder"
	"plannerbench/schemas"
)

// LoadCase reads a case folder's case.json and summary.json.
func LoadCase(dir string) (Case, error) {
	c := Case{Dir: dir, Status: "completed"}
	var err error
	if c.Spec, err = casefolder.ReadSpec(dir); err != nil {
		return c, err
	}
	c.ID = c.Spec.ID
	if c.Summary, err = casefolder.ReadSummary(dir); err != nil {
		return c, err
	}
	return c, nil
}

// LoadMatrix reads every case folder of a matrix folder (those holding a
// case.json, and folders of AIPerf exports), in case-ID order.
func LoadMatrix(dir string) ([]Case, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read matrix folder: %w", err)
	}
	var cases []Case
	for _, e := range entries {
		if !e.IsDir() || strings.Contains(e.Name(), casefolder.SetAsideMark) {
			continue // not a case, or results of an earlier spec kept aside
		}
		sub := filepath.Join(dir, e.Name())
		if isAIPerfFolder(sub) {
			c, err := LoadAIPerfCase(sub)
			if err != nil {
				return nil, err
			}
			cases = append(cases, c)
			continue
		}
		if _, err := os.Stat(filepath.Join(sub, casefolder.SpecFile)); err != nil {
			continue
		}
		c, err := LoadCase(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s holds no case results (case.json and summary.json)", dir)
	}
	sort.Slice(cases, func(i, j int) bool { return order(cases[i].Spec) < order(cases[j].Spec) })
	return cases, nil
}

// order sorts cases as the matrix expanded them.
func order(c schemas.Case) string { return fmt.Sprintf("%04d %s", c.Repeat, c.ID) }

// ComparisonFile is a matrix's comparison.
const ComparisonFile = "comparison.json"
