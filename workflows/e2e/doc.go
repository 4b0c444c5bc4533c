// Package e2e runs plannerbench against a real Temporal dev server and real
// worker processes: a matrix end to end, a worker killed mid-load, and a
// server restart. The tests need the Temporal CLI (bin/temporal, or
// `temporal` on PATH, or $PLANNERBENCH_TEMPORAL); without it they skip,
// unless $PLANNERBENCH_E2E=1 (as in CI) makes its absence a failure.
package e2e
