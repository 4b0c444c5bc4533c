package results

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// A torn tail (an append cut short) is dropped without a word; any other
// line that does not parse is reported with its position, and the records
// of the other lines still come back.
func TestReadJSONLReportsBadLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.jsonl")
	write := func(s string) { require.NoError(t, os.WriteFile(path, []byte(s), 0o644)) }

	write("{\"at\":1000000000}\n{\"at\":2000000000}\n{\"at\":30")
	got, err := ReadSamples(path)
	require.NoError(t, err)
	require.Len(t, got, 2)

	write("{\"at\":1000000000}\n{\"at\":20{\"at\":3000000000}\n\n{\"at\":4000000000}\nnot json\n")
	got, err = ReadSamples(path)
	require.Len(t, got, 2)
	require.Equal(t, []schemas.Sample{{At: 1e9}, {At: 4e9}}, got)
	lines, ok := SkippedLines(err)
	require.True(t, ok)
	require.Len(t, lines, 2)
	require.Contains(t, lines[0], path+":2: ")
	require.Contains(t, lines[1], path+":5: ")
	require.ErrorContains(t, err, "2 line(s) skipped")

	_, ok = SkippedLines(os.ErrPermission)
	require.False(t, ok, "another error is not only skipped lines")
}
