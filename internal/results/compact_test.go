package results

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// writeShuffledParts writes n request records in parts of size per part,
// in the order a driver finishes them (not index order): index i*7 mod n.
func writeShuffledParts(t *testing.T, dir string, n, per int) {
	t.Helper()
	w, err := NewRequestWriter(dir)
	require.NoError(t, err)
	for k := 0; k < n; k++ {
		i := int64(k * 7 % n) // n not a multiple of 7: a permutation
		r := schemas.NewRequestRecord(i, &schemas.TraceRecord{InputLength: 3000, OutputLength: 150})
		r.Status, r.Attempt = schemas.StatusOK, 1
		r.SentAt = time.Unix(1000+i, 0).UTC()
		r.AckAt = r.SentAt.Add(time.Millisecond)
		r.LatencyMS = float64(i)
		w.Add(r)
		if w.Pending() == per {
			require.NoError(t, w.Flush())
		}
	}
	require.NoError(t, w.Flush())
}

// checkFile reads a compacted file with the low-level Parquet reader (not
// the package's own) and returns its row count, checking every column is
// zstd and the absorbed parts are named.
func checkFile(t *testing.T, path string, wantAbsorbed int) int64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rdr, err := file.NewParquetReader(f)
	require.NoError(t, err)
	defer rdr.Close()
	md := rdr.MetaData()
	for g := 0; g < md.NumRowGroups(); g++ {
		for c := 0; c < md.Schema.NumColumns(); c++ {
			cc, err := md.RowGroup(g).ColumnChunk(c)
			require.NoError(t, err)
			require.Equal(t, compress.Codecs.Zstd, cc.Compression(), "row group %d column %d", g, c)
		}
	}
	absorbed, ok, err := readAbsorbed(path)
	require.NoError(t, err)
	require.True(t, ok)
	require.Len(t, absorbed, wantAbsorbed)
	return md.NumRows
}

func requireIndexes(t *testing.T, recs []schemas.RequestRecord, n int) {
	t.Helper()
	require.Len(t, recs, n)
	for i, r := range recs {
		require.Equal(t, int64(i), r.Index)
		require.Equal(t, float64(i), r.LatencyMS)
		require.Equal(t, r.SentAt.Add(time.Millisecond), r.AckAt)
	}
}

func TestCompactRequestsMergesPartsIntoOneSortedFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "requests")
	writeShuffledParts(t, dir, 1000, 100) // 10 parts
	parts, _ := ListParts(dir)
	require.Len(t, parts, 10)

	require.NoError(t, CompactRequests(context.Background(), dir))
	_, err := os.Stat(dir)
	require.True(t, os.IsNotExist(err), "the parts folder is removed")
	require.EqualValues(t, 1000, checkFile(t, TablePath(dir), 10))
	recs, err := ReadRequests(context.Background(), dir)
	require.NoError(t, err)
	requireIndexes(t, recs, 1000)
	files, _ := TableFiles(dir)
	require.Equal(t, []string{TablePath(dir)}, files)

	// Again: nothing to do, nothing lost.
	require.NoError(t, CompactRequests(context.Background(), dir))
	recs, _ = ReadRequests(context.Background(), dir)
	requireIndexes(t, recs, 1000)
}

// A crash at each point of a compaction leaves the parts, or the file, or
// both, and every reader sees each row exactly once; compacting again
// finishes the job.
func TestCompactionCrashLeavesPartsOrFile(t *testing.T) {
	ctx := context.Background()
	t.Run("killed before the rename", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "requests")
		writeShuffledParts(t, dir, 300, 50)
		tmp := filepath.Join(filepath.Dir(dir), ".requests.parquet.tmp-123")
		require.NoError(t, os.WriteFile(tmp, []byte("PAR1 half written"), 0o644))
		recs, err := ReadRequests(ctx, dir)
		require.NoError(t, err)
		requireIndexes(t, recs, 300)
		require.NoError(t, CompactRequests(ctx, dir))
		_, err = os.Stat(tmp)
		require.True(t, os.IsNotExist(err), "the dead compaction's temporary file is removed")
		recs, _ = ReadRequests(ctx, dir)
		requireIndexes(t, recs, 300)
	})
	t.Run("killed after the rename, before the parts went", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "requests")
		writeShuffledParts(t, dir, 300, 50)
		parts, _ := ListParts(dir)
		rows, err := ReadRequests(ctx, dir)
		require.NoError(t, err)
		names := make([]string, len(parts))
		for i, p := range parts {
			names[i] = filepath.Base(p)
		}
		require.NoError(t, writeCompacted(TablePath(dir), requestTable, rows, names))
		// Both exist now.
		recs, err := ReadRequests(ctx, dir)
		require.NoError(t, err)
		requireIndexes(t, recs, 300)
		files, _ := TableFiles(dir)
		require.Equal(t, []string{TablePath(dir)}, files, "absorbed parts are not listed")
		require.NoError(t, CompactRequests(ctx, dir))
		left, _ := ListParts(dir)
		require.Empty(t, left)
		recs, _ = ReadRequests(ctx, dir)
		requireIndexes(t, recs, 300)
	})
	t.Run("killed halfway through removing the parts", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "requests")
		writeShuffledParts(t, dir, 300, 50)
		parts, _ := ListParts(dir)
		rows, _ := ReadRequests(ctx, dir)
		var names []string
		for _, p := range parts {
			names = append(names, filepath.Base(p))
		}
		require.NoError(t, writeCompacted(TablePath(dir), requestTable, rows, names))
		require.NoError(t, os.Remove(parts[0]))
		require.NoError(t, os.Remove(parts[3]))
		recs, _ := ReadRequests(ctx, dir)
		requireIndexes(t, recs, 300)
	})
}

// Rows written after a compaction (a driver resumed on the folder) go to
// new parts numbered after the absorbed ones; readers see both, and the
// next compaction absorbs them.
func TestWritesAfterCompactionAreKept(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "requests")
	writeShuffledParts(t, dir, 100, 30) // parts 0..3
	require.NoError(t, CompactRequests(ctx, dir))
	w, err := NewRequestWriter(dir)
	require.NoError(t, err)
	r := schemas.NewRequestRecord(100, &schemas.TraceRecord{InputLength: 1, OutputLength: 1})
	r.Status, r.LatencyMS = schemas.StatusOK, 100
	r.SentAt = time.Unix(1100, 0).UTC()
	r.AckAt = r.SentAt.Add(time.Millisecond)
	w.Add(r)
	require.NoError(t, w.Flush())
	parts, _ := ListParts(dir)
	require.Equal(t, []string{filepath.Join(dir, "part-00004.parquet")}, parts)
	recs, err := ReadRequests(ctx, dir)
	require.NoError(t, err)
	requireIndexes(t, recs, 101)
	require.NoError(t, CompactRequests(ctx, dir))
	require.EqualValues(t, 101, checkFile(t, TablePath(dir), 5))
}

// Files written before ack_at existed (20 columns) still read.
func TestRequestFilesWithoutAckStillRead(t *testing.T) {
	r := schemas.NewRequestRecord(0, &schemas.TraceRecord{InputLength: 1, OutputLength: 2})
	r.Status, r.SentAt = schemas.StatusOK, time.Unix(5, 0).UTC()
	dir := writeOldRequests(t, requestColumnsBeforeAck, r)
	recs, err := ReadRequests(context.Background(), dir)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.True(t, recs[0].AckAt.IsZero())
	require.Equal(t, r.SentAt, recs[0].SentAt)
}

// The prefill columns round-trip, missing values included; files written
// before them (21 columns) read with every one missing, and those before
// the worker columns (26) without those.
func TestRequestPrefillColumns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "requests")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	known := schemas.NewRequestRecord(0, &schemas.TraceRecord{InputLength: 3000, OutputLength: 2})
	known.Status, known.SentAt = schemas.StatusOK, time.Unix(5, 0).UTC()
	known.CachedTokens, known.PrefillWaitMS, known.PrefillMS, known.PrefillLocal, known.ITLDecodeMS = 1024, 12.5, 190.25, 1, 8.5
	known.DecodeWorker, known.DecodeStepAt = 4, time.Unix(7, 500000).UTC()
	unknown := schemas.NewRequestRecord(1, &schemas.TraceRecord{InputLength: 3000, OutputLength: 2})
	unknown.Status, unknown.SentAt = schemas.StatusOK, time.Unix(6, 0).UTC()
	remote := unknown
	remote.Index, remote.PrefillLocal = 2, 0
	w, err := NewRequestWriter(dir)
	require.NoError(t, err)
	for _, r := range []schemas.RequestRecord{known, unknown, remote} {
		w.Add(r)
	}
	require.NoError(t, w.Flush())
	recs, err := ReadRequests(context.Background(), dir)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.EqualValues(t, 1024, recs[0].CachedTokens)
	require.Equal(t, []float64{12.5, 190.25, 8.5}, []float64{recs[0].PrefillWaitMS, recs[0].PrefillMS, recs[0].ITLDecodeMS})
	require.EqualValues(t, 1, recs[0].PrefillLocal)
	require.EqualValues(t, 4, recs[0].DecodeWorker)
	require.Equal(t, known.DecodeStepAt, recs[0].DecodeStepAt)
	require.EqualValues(t, -1, recs[1].DecodeWorker)
	require.True(t, recs[1].DecodeStepAt.IsZero())
	require.EqualValues(t, -1, recs[1].CachedTokens)
	require.True(t, math.IsNaN(recs[1].PrefillWaitMS) && math.IsNaN(recs[1].PrefillMS) && math.IsNaN(recs[1].ITLDecodeMS))
	require.EqualValues(t, -1, recs[1].PrefillLocal)
	require.EqualValues(t, 0, recs[2].PrefillLocal)

	recs, err = ReadRequests(context.Background(), writeOldRequests(t, requestColumnsBeforePrefill, known))
	require.NoError(t, err)
	require.EqualValues(t, -1, recs[0].CachedTokens)
	require.True(t, math.IsNaN(recs[0].PrefillMS))
	recs, err = ReadRequests(context.Background(), writeOldRequests(t, requestColumnsBeforeWorker, known))
	require.NoError(t, err)
	require.EqualValues(t, 1024, recs[0].CachedTokens)
	require.EqualValues(t, -1, recs[0].DecodeWorker, "26 columns: no worker")
}

// writeOldRequests writes r as a request part with only the first columns
// of today's schema, as a file written before the others existed, and
// returns its folder.
func writeOldRequests(t *testing.T, columns int, r schemas.RequestRecord) string {
	dir := filepath.Join(t.TempDir(), "requests")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	full := buildRequestBatch(memory.NewGoAllocator(), []schemas.RequestRecord{r})
	defer full.Release()
	schema := arrow.NewSchema(RequestArrowSchema.Fields()[:columns], nil)
	batch := array.NewRecordBatch(schema, full.Columns()[:columns], full.NumRows())
	defer batch.Release()
	require.NoError(t, writeParquetFile(filepath.Join(dir, "part-00000.parquet"), schema, batch))
	return dir
}
