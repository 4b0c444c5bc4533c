package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim/simserver"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/cliutil"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// binary builds the CLI once for the tests that run it as a process.
var binary = sync1(func() (string, error) {
	dir, err := os.MkdirTemp("", "plannerbench-bin-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "plannerbench")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return path, nil
})

func sync1(f func() (string, error)) func(t *testing.T) string {
	var path string
	var err error
	done := false
	return func(t *testing.T) string {
		t.Helper()
		if !done {
			path, err = f()
			done = true
		}
		require.NoError(t, err)
		return path
	}
}

// startSim runs `plannerbench sim serve` as its own process and returns its URL.
func startSim(t *testing.T, args ...string) string {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready.json")
	cmd := exec.Command(binary(t), append([]string{"sim", "serve", "--port", "0", "--ready-file", ready}, args...)...)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	var r simserver.Ready
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(ready)
		return err == nil && json.Unmarshal(data, &r) == nil
	}, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, cmd.Process.Pid, r.PID)
	return r.URL
}

func writeEvenTrace(t *testing.T, n int, every time.Duration, isl, osl int) string {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := schemas.NewTraceWriter(f)
	for i := 0; i < n; i++ {
		require.NoError(t, w.Write(&schemas.TraceRecord{Timestamp: int64(i) * every.Milliseconds(), InputLength: isl, OutputLength: osl, HashIDs: []int64{int64(i)}}))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return path
}

func TestLoadAgainstSimProcess(t *testing.T) {
	url := startSim(t, "--config", "disagg_router_2p2d", "--time-scale", "20")
	trace := writeEvenTrace(t, 100, 100*time.Millisecond, 1000, 30)
	out := filepath.Join(t.TempDir(), "case")
	code, stdout, stderr := runCLI(t, "load", "--url", url, "--trace", trace, "--out", out, "--time-scale", "20")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "Time To First Token (ms)")
	recs, err := casefolder.ReadRequests(context.Background(), out)
	require.NoError(t, err)
	require.Len(t, recs, 100)
	for i, r := range recs {
		require.Equal(t, int64(i), r.Index)
		require.Equal(t, schemas.StatusOK, r.Status, r.Error)
		require.Equal(t, int32(1000), r.PromptTokens)
	}
	var sum results.Summary
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &sum))
	require.Equal(t, 100, sum.Completed)
	require.Greater(t, sum.TTFTMS.Avg, 50.0, "trace-time TTFT: prefill of 1000 tokens alone is 101 ms")

	code, _, stderr = runCLI(t, "load", "--url", url, "--trace", trace, "--out", out)
	require.Equal(t, cliutil.ExitBadInput, code, "refuses to mix runs in one folder")
	require.Contains(t, stderr, "use --resume")
}

// TestLoadCrashAndResume kills the driver process with SIGKILL mid-run and
// resumes it: every trace index ends up in the parts exactly once, and every
// part reads back.
func TestLoadCrashAndResume(t *testing.T) {
	url := startSim(t, "--config", "disagg_router_2p2d", "--time-scale", "10")
	trace := writeEvenTrace(t, 600, 100*time.Millisecond, 500, 40) // 60 s of trace, 6 s of wall time
	out := filepath.Join(t.TempDir(), "case")
	first := exec.Command(binary(t), "load", "--url", url, "--trace", trace, "--out", out, "--time-scale", "10")
	require.NoError(t, first.Start())
	require.Eventually(t, func() bool {
		parts, _ := results.ListParts(casefolder.RequestsPath(out))
		_, err := os.Stat(filepath.Join(out, "driver.json"))
		return len(parts) >= 1 && err == nil
	}, 20*time.Second, 10*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_ = first.Wait()
	before, err := casefolder.ReadRequests(context.Background(), out)
	require.NoError(t, err)
	require.NotEmpty(t, before)
	require.Less(t, len(before), 600, "killed mid-run")
	time.Sleep(1500 * time.Millisecond) // some rows come due while nothing runs

	code, _, stderr := runCLI(t, "load", "--url", url, "--trace", trace, "--out", out, "--time-scale", "10", "--resume")
	require.Equal(t, 0, code, stderr)
	recs, err := casefolder.ReadRequests(context.Background(), out)
	require.NoError(t, err, "every part is valid")
	require.Len(t, recs, 600)
	counts := map[string]int{}
	attempts := map[int32]int{}
	for i, r := range recs {
		require.Equal(t, int64(i), r.Index, "each index exactly once")
		counts[r.Status]++
		attempts[r.Attempt]++
	}
	t.Logf("before the kill %d records; after resume %v by attempt %v", len(before), counts, attempts)
	require.Greater(t, counts[schemas.StatusSkipped], 0, "rows due during the outage are skipped")
	require.Greater(t, attempts[2], 0, "the resumed driver recorded rows")
	require.Equal(t, 600, counts[schemas.StatusOK]+counts[schemas.StatusSkipped]+counts[schemas.StatusInterrupted])
}
