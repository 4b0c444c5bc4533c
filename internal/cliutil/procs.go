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
// deployment it measures. Measured with make bench-load (500 req/s of
// 150-token streams against `sim serve` on the same 2 cores): with every
// core the driver spent 11.8 CPU-ms per 1,000 tokens, most of it in read
// syscalls that found nothing (EAGAIN) and in waking goroutines across
// threads; with one P the same run took 4.7 ms per 1,000 tokens and its
// dispatch lateness p99 fell from 7.0 to 3.7 ms. At 1,000 req/s one P still
// used less CPU (5.7 vs 7.1 ms) with p99 lateness 9.3 vs 8.4 ms.
func DriverProcs(n int) int {
	switch {
	case n > 0:
		runtime.GOMAXPROCS(n)
	case os.Getenv("GOMAXPROCS") == "":
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2))
	}
	return runtime.GOMAXPROCS(0)
}
