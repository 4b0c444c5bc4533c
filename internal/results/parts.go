// Package results writes and reads a case's result files (README, Result files):
// request records as Parquet parts, and the statistics and summary computed
// from them.
package results

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"plannerbench/internal/atomicfile"
)

var partName = regexp.MustCompile(`^part-(\d{5,})\.parquet$`)

// PartWriter appends rows of type T to numbered Parquet parts in a folder:
// each Flush writes the buffered rows as part-NNNNN.parquet (one row group),
// synced and renamed into place, so a finished part is never half written
// and a crash loses only rows not yet flushed. A new writer on an existing
// folder continues the numbering.
type PartWriter[T any] struct {
	dir    string
	schema *arrow.Schema
	build  func(mem memory.Allocator, rows []T) arrow.RecordBatch
	next   int
	rows   []T
	mem    memory.Allocator
}

// NewPartWriter prepares dir; build turns rows into one record batch of schema.
func NewPartWriter[T any](dir string, schema *arrow.Schema, build func(memory.Allocator, []T) arrow.RecordBatch) (*PartWriter[T], error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	// A writer killed mid-flush leaves a temporary file; it never became a part.
	if stale, _ := filepath.Glob(filepath.Join(dir, ".part-*.parquet.tmp-*")); len(stale) > 0 {
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
	// Numbering continues after every part the folder has held, those a
	// compacted DIR.parquet absorbed included, so no name is reused.
	d, err := scanTable(dir)
	if err != nil {
		return nil, err
	}
	next := 0
	for _, p := range append(d.parts, slices.Collect(maps.Keys(d.absorbed))...) {
		if m := partName.FindStringSubmatch(filepath.Base(p)); m != nil {
			n, _ := strconv.Atoi(m[1])
			next = max(next, n+1)
		}
	}
	return &PartWriter[T]{dir: dir, schema: schema, build: build, next: next, mem: memory.NewGoAllocator()}, nil
}

// Add buffers one row.
func (w *PartWriter[T]) Add(row T) { w.rows = append(w.rows, row) }

// Pending is the number of rows not yet flushed.
func (w *PartWriter[T]) Pending() int { return len(w.rows) }

// Flush writes the buffered rows as the next part; it does nothing when no
// row is buffered.
func (w *PartWriter[T]) Flush() error {
	if len(w.rows) == 0 {
		return nil
	}
	rec := w.build(w.mem, w.rows)
	defer rec.Release()
	path := filepath.Join(w.dir, fmt.Sprintf("part-%05d.parquet", w.next))
	if err := writeParquetFile(path, w.schema, rec); err != nil {
		return err
	}
	w.next++
	w.rows = w.rows[:0]
	return nil
}

// writeParquetFile writes rec to path atomically.
func writeParquetFile(path string, schema *arrow.Schema, rec arrow.RecordBatch) error {
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithMaxRowGroupLength(1<<30))
	return atomicfile.Write(path, func(w io.Writer) error {
		fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.DefaultWriterProps())
		if err != nil {
			return err
		}
		err = fw.Write(rec)
		if cerr := fw.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// ListParts returns the finished parts in dir in order.
func ListParts(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list parts in %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		if partName.MatchString(e.Name()) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadParquet reads a whole Parquet file as an Arrow table.
func ReadParquet(ctx context.Context, path string) (arrow.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(ctx, f, parquet.NewReaderProperties(memory.DefaultAllocator), pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return tbl, nil
}
