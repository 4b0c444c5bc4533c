package cliutil

import (
	"os"
	"runtime"
)

// DriverProcs sets GOMAXPROCS for a process that drives load (the load
// command; the worker only with --procs) and returns it: n when n > 0; else, unless the
// GOMAXPROCS environment variable decides, half the cores (at least one).
//
// Why half: the driver is I/O-bound and usually shares the machine with the
// deployment it measures; on more threads it spends its CPU on reads that
// find nothing and on waking goroutines across threads, and dispatches
// later, not sooner (docs/performance.md has the figures).
func DriverProcs(n int) int {
	switch {
	case n > 0:
		runtime.GOMAXPROCS(n)
	case os.Getenv("GOMAXPROCS") == "":
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2))
	}
	return runtime.GOMAXPROCS(0)
}
