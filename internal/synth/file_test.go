package synth

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

func TestWriteFileIsCompleteAndHashed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", DefaultFileName(seedParams(5)))
	ref, err := WriteFile(context.Background(), seedParams(5), path, Options{})
	require.NoError(t, err)
	sum, err := FileSHA256(path)
	require.NoError(t, err)
	require.Equal(t, sum, ref.SHA256)
	rows := 0
	require.NoError(t, schemas.ForEachTraceRecord(path, func(int64, *schemas.TraceRecord) error { rows++; return nil }))
	require.Equal(t, ref.Rows, rows)
	require.Equal(t, len(collect(t, seedParams(5))), rows)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), info.Mode().Perm())
}

func TestWriteFileLeavesNothingOnCancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := WriteFile(ctx, seedParams(0), filepath.Join(dir, "t.jsonl"), Options{})
	require.ErrorIs(t, err, context.Canceled)
	entries, _ := os.ReadDir(dir)
	require.Empty(t, entries)
}
