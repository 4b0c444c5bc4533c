package results

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"plannerbench/internal/atomicfile"
)

// A table is written in parts under a folder DIR while a case runs (each
// part final by an atomic rename) and compacted into one file DIR.parquet
// when the case ends. Readers take both: the file's rows, plus any part the
// file has not absorbed. The file names the parts it absorbed in its
// key-value metadata, so a crash after the rename and before the parts are
// removed leaves rows that are read once, and a new writer on the folder
// numbers its parts after them.

// absorbedKey is the Parquet key-value metadata entry listing the part
// files a compacted table absorbed.
const absorbedKey = "plannerbench.absorbed_parts"

// compactRowGroup is the number of rows a row group of a compacted file.
const compactRowGroup = 128 << 10

// TablePath is the compacted file of the table written in parts under dir.
func TablePath(dir string) string { return filepath.Clean(dir) + ".parquet" }

// table ties a row type to its schema, its batch builder and reader, and
// the order of its compacted rows.
type table[T any] struct {
	schema *arrow.Schema
	build  func(memory.Allocator, []T) arrow.RecordBatch
	conv   func(arrow.Table) ([]T, error)
	cmp    func(a, b T) int
}

// onDisk is a table's files as they stand: its compacted file (when
// there is one), the parts that file absorbed, and the parts in the folder.
type onDisk struct {
	hasFile  bool
	file     string
	absorbed map[string]bool
	parts    []string
}

// scanTable reads the compacted file's footer and lists the parts once.
func scanTable(dir string) (onDisk, error) {
	d := onDisk{file: TablePath(dir)}
	var err error
	if d.absorbed, d.hasFile, err = readAbsorbed(d.file); err != nil {
		return d, err
	}
	d.parts, err = ListParts(dir)
	return d, err
}

// fresh are the parts the file has not absorbed.
func (d onDisk) fresh() []string {
	var out []string
	for _, p := range d.parts {
		if !d.absorbed[filepath.Base(p)] {
			out = append(out, p)
		}
	}
	return out
}

// files are what hold the table's rows: the file, then the fresh parts.
func (d onDisk) files() []string {
	if d.hasFile {
		return append([]string{d.file}, d.fresh()...)
	}
	return d.fresh()
}

// TableFiles lists the files that hold the table written under dir: its
// compacted file when there is one, then the parts it has not absorbed.
func TableFiles(dir string) ([]string, error) {
	d, err := scanTable(dir)
	if err != nil {
		return nil, err
	}
	return d.files(), nil
}

// readTable reads every row of the table under dir (compacted file and
// parts), sorted by t.cmp.
func readTable[T any](ctx context.Context, dir string, t table[T]) ([]T, error) {
	d, err := scanTable(dir)
	if err != nil {
		return nil, err
	}
	return readFiles(ctx, d.files(), t)
}

// readFiles reads the rows of files, sorted by t.cmp.
func readFiles[T any](ctx context.Context, files []string, t table[T]) ([]T, error) {
	var out []T
	for _, p := range files {
		tbl, err := ReadParquet(ctx, p)
		if err != nil {
			return nil, err
		}
		rows, err := t.conv(tbl)
		tbl.Release()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, rows...)
	}
	slices.SortStableFunc(out, t.cmp)
	return out, nil
}

// compactTable merges the table under dir into DIR.parquet: sorted, zstd,
// written to a temporary file, synced and renamed, the folder synced; only
// then are the parts (and their empty folder) removed. It does nothing when
// neither parts nor a file exist, and is safe to run again after a crash at
// any point.
func compactTable[T any](ctx context.Context, dir string, t table[T]) error {
	path := TablePath(dir)
	// A compaction killed before its rename leaves its temporary file; it
	// never became the table.
	if stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")); len(stale) > 0 {
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
	d, err := scanTable(dir)
	if err != nil {
		return err
	}
	if fresh := d.fresh(); len(fresh) > 0 {
		rows, err := readFiles(ctx, d.files(), t)
		if err != nil {
			return fmt.Errorf("compact %s: %w", dir, err)
		}
		names := slices.Collect(maps.Keys(d.absorbed))
		for _, p := range fresh {
			names = append(names, filepath.Base(p))
		}
		slices.Sort(names)
		if err := writeCompacted(path, t, rows, names); err != nil {
			return fmt.Errorf("compact %s: %w", dir, err)
		}
		if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
			return err
		}
	}
	for _, p := range d.parts {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("compact %s: remove %s: %w", dir, p, err)
		}
	}
	_ = os.Remove(dir) // only when empty: a stray file keeps its folder
	return nil
}

// writeOnce writes a table whose rows are all known at once (a case
// replayed in memory) as its one file DIR.parquet, sorted by t.cmp as a
// compaction sorts them: no parts, so the file absorbs none. No rows
// write nothing.
func writeOnce[T any](dir string, t table[T], rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, t.cmp)
	return writeCompacted(TablePath(dir), t, sorted, nil)
}

// writeCompacted writes rows as one Parquet file in row groups of
// compactRowGroup, naming the absorbed parts (if any) in its metadata.
func writeCompacted[T any](path string, t table[T], rows []T, absorbed []string) error {
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithMaxRowGroupLength(compactRowGroup))
	mem := memory.NewGoAllocator()
	return atomicfile.Write(path, func(w io.Writer) error {
		fw, err := pqarrow.NewFileWriter(t.schema, w, props, pqarrow.DefaultWriterProps())
		if err != nil {
			return err
		}
		for lo := 0; lo < len(rows) && err == nil; lo += compactRowGroup {
			rec := t.build(mem, rows[lo:min(lo+compactRowGroup, len(rows))])
			err = fw.Write(rec)
			rec.Release()
		}
		if err == nil && len(absorbed) > 0 {
			err = fw.AppendKeyValueMetadata(absorbedKey, strings.Join(absorbed, ","))
		}
		if cerr := fw.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// readAbsorbed reads the absorbed part names from a compacted file's
// footer; hasFile is false when there is no such file.
func readAbsorbed(path string) (absorbed map[string]bool, hasFile bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	rdr, err := file.NewParquetReader(f)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	defer rdr.Close()
	absorbed = map[string]bool{}
	if v := rdr.MetaData().KeyValueMetadata().FindValue(absorbedKey); v != nil && *v != "" {
		for _, n := range strings.Split(*v, ",") {
			absorbed[n] = true
		}
	}
	return absorbed, true, nil
}
