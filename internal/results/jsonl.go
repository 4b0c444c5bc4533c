package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"plannerbench/schemas"
)

// The case folder's files that a live run appends to as it goes (the
// worker's activities write them under the same names, in
// activities/payload, which a test keeps equal).
const (
	SamplesFile   = "samples.jsonl"   // one schemas.Sample a line
	DecisionsFile = "decisions.jsonl" // one schemas.Decision a line
)

// ReadSamples reads a case's samples.jsonl, the metric pulls its collector
// appended (a torn last line skipped).
func ReadSamples(path string) ([]schemas.Sample, error) { return readJSONL[schemas.Sample](path) }

// ReadDecisions reads a case's decisions.jsonl, its planner's decisions.
func ReadDecisions(path string) ([]schemas.Decision, error) {
	return readJSONL[schemas.Decision](path)
}

// readJSONL reads one T a line from path (none when it does not exist). A
// line that does not parse, such as one torn by a crash mid-write, is
// skipped: these files are appended to while a case runs.
func readJSONL[T any](path string) ([]T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var v T
		if json.Unmarshal(sc.Bytes(), &v) == nil {
			out = append(out, v)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
