// Command testtime filters `go test -json` on stdin into plain `go test`
// output and ends with the five slowest tests; it exits 1 when a test or
// a package failed (or the stream could not be read).
//
//	go test -json ./... | go run ./internal/testtime/cmd/testtime
package main

import (
	"fmt"
	"io"
	"os"

	"plannerbench/internal/testtime"
)

func main() { os.Exit(run(os.Stdin, os.Stdout, os.Stderr)) }

func run(in io.Reader, out, errOut io.Writer) int {
	ts, failed, err := testtime.Filter(in, out)
	testtime.Print(out, "slowest tests:", testtime.Slowest(ts, 5))
	if err != nil {
		fmt.Fprintf(errOut, "testtime: reading go test -json: %v\n", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}
