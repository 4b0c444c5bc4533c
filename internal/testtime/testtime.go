// Package testtime reads `go test -json` (cmd/test2json's events) and
// writes what a plain `go test` would print (package results, and the
// output of failing tests only), then the slowest tests, so that the cost
// of a suite stays in view (`make test` prints the five slowest).
package testtime

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// Timing is one finished test: its package, name, seconds and result.
type Timing struct {
	Package, Test, Action string
	Seconds               float64
}

// Filter copies r's events to w as plain `go test` output and returns
// every top-level test's timing and whether any test or package failed.
// A line that is not JSON (a build error printed around the stream) is
// written as it is.
func Filter(r io.Reader, w io.Writer) ([]Timing, bool, error) {
	type key struct{ pkg, test string }
	buffered := map[key][]string{}
	var timings []Timing
	failed := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		var e event
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil {
			fmt.Fprintln(w, line)
			continue
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "output" && e.Test == "":
			// Package-level lines ("ok", "FAIL", a panic) as go test prints them;
			// its verbose "=== RUN"/"--- PASS" framing is left out.
			if !strings.HasPrefix(e.Output, "=== ") && !strings.HasPrefix(strings.TrimSpace(e.Output), "--- PASS") && e.Output != "PASS\n" {
				fmt.Fprint(w, e.Output)
			}
		case e.Action == "output":
			buffered[k] = append(buffered[k], e.Output)
		case e.Test != "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			if e.Action == "fail" {
				failed = true
				for _, o := range buffered[k] {
					fmt.Fprint(w, o)
				}
			}
			delete(buffered, k)
			if !strings.Contains(e.Test, "/") && e.Action != "skip" {
				timings = append(timings, Timing{Package: e.Package, Test: e.Test, Action: e.Action, Seconds: e.Elapsed})
			}
		case e.Test == "" && e.Action == "fail":
			failed = true
		}
	}
	return timings, failed, sc.Err()
}

// Slowest returns the n longest timings, longest first.
func Slowest(ts []Timing, n int) []Timing {
	out := append([]Timing(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seconds > out[j].Seconds })
	return out[:min(n, len(out))]
}

// Print writes timings as a small table.
func Print(w io.Writer, title string, ts []Timing) {
	fmt.Fprintln(w, title)
	for _, t := range ts {
		fmt.Fprintf(w, "  %8.1fs  %-4s  %s %s\n", t.Seconds, t.Action, t.Package, t.Test)
	}
}
