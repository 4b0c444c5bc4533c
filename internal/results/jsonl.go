package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"plannerbench/schemas"
)

// ReadSamples reads a case's samples.jsonl, the metric pulls its collector
// appended (a torn last line skipped).
func ReadSamples(path string) ([]schemas.Sample, error) { return readJSONL[schemas.Sample](path) }

// ReadDecisions reads a case's decisions.jsonl, its planner's decisions.
func ReadDecisions(path string) ([]schemas.Decision, error) {
	return readJSONL[schemas.Decision](path)
}

// BadLinesError lists the lines of an appended JSONL file that did not
// parse, each as "path:line: cause". It comes with the records of every
// other line, which a caller may go on with: a crash in the middle of an
// append can leave a torn line, which the next append continues.
type BadLinesError struct {
	Lines []string
}

func (e *BadLinesError) Error() string {
	const shown = 3
	msg := strings.Join(e.Lines[:min(len(e.Lines), shown)], "; ")
	if len(e.Lines) > shown {
		msg += fmt.Sprintf("; and %d more", len(e.Lines)-shown)
	}
	return fmt.Sprintf("%d line(s) skipped: %s", len(e.Lines), msg)
}

// SkippedLines returns the bad lines when err is only a *BadLinesError
// (the records read are usable), and ok false for any other error.
func SkippedLines(err error) (lines []string, ok bool) {
	var bad *BadLinesError
	if err == nil {
		return nil, true
	}
	if errors.As(err, &bad) {
		return bad.Lines, true
	}
	return nil, false
}

// readJSONL reads one T a line from path (none when it does not exist).
// Text after the last newline that does not parse is an append cut short
// and is dropped; any other line that does not parse is reported, with its position, in a
// *BadLinesError returned with the records of the lines that did.
func readJSONL[T any](path string) ([]T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []T
	var bad []string
	lines := bytes.Split(data, []byte("\n"))
	for i, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(l, &v); err != nil {
			if i < len(lines)-1 { // not the text after the last newline, which may be torn
				bad = append(bad, fmt.Sprintf("%s:%d: %v", path, i+1, err))
			}
			continue
		}
		out = append(out, v)
	}
	if len(bad) > 0 {
		return out, &BadLinesError{Lines: bad}
	}
	return out, nil
}
