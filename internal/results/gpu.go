package results

import (
	"cmp"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"plannerbench/schemas"
)

// GPUArrowSchema is the Arrow (and Parquet) schema of GPU samples; missing
// readings are nulls.
var GPUArrowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "at", Type: arrow.FixedWidthTypes.Timestamp_us},
	{Name: "node", Type: arrow.BinaryTypes.String},
	{Name: "index", Type: arrow.PrimitiveTypes.Int32},
	{Name: "uuid", Type: arrow.BinaryTypes.String},
	{Name: "name", Type: arrow.BinaryTypes.String},
	{Name: "source", Type: arrow.BinaryTypes.String},
	{Name: "utilization_pct", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "memory_used_bytes", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "memory_total_bytes", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "power_w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "energy_j", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "sm_clock_mhz", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "temperature_c", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "xid_errors", Type: arrow.PrimitiveTypes.Int64},
	{Name: "last_xid", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// NewGPUWriter writes GPU samples as parts under dir, each part final by
// an atomic rename (a crash loses at most the samples not yet flushed).
func NewGPUWriter(dir string) (*PartWriter[schemas.GPUSample], error) {
	return NewPartWriter(dir, GPUArrowSchema, buildGPUBatch)
}

func buildGPUBatch(mem memory.Allocator, rows []schemas.GPUSample) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, GPUArrowSchema)
	defer b.Release()
	f := b.Fields()
	i64 := func(k int, v int64) {
		if v < 0 {
			f[k].AppendNull()
			return
		}
		f[k].(*array.Int64Builder).Append(v)
	}
	for i := range rows {
		r := &rows[i]
		appendTime(f[0], r.At)
		f[1].(*array.StringBuilder).Append(r.Node)
		f[2].(*array.Int32Builder).Append(int32(r.Index))
		f[3].(*array.StringBuilder).Append(r.UUID)
		f[4].(*array.StringBuilder).Append(r.Name)
		f[5].(*array.StringBuilder).Append(r.Source)
		appendFloat(f[6], r.UtilizationPct)
		i64(7, r.MemoryUsedBytes)
		i64(8, r.MemoryTotalBytes)
		appendFloat(f[9], r.PowerW)
		appendFloat(f[10], r.EnergyJ)
		i64(11, r.SMClockMHz)
		i64(12, r.TemperatureC)
		f[13].(*array.Int64Builder).Append(r.XIDErrors)
		f[14].(*array.Int64Builder).Append(r.LastXID)
	}
	return b.NewRecordBatch()
}

// gpuTable is the GPU sample table: compacted in time, then node and
// device order.
var gpuTable = table[schemas.GPUSample]{
	schema: GPUArrowSchema, build: buildGPUBatch, conv: gpuFromTable,
	cmp: func(a, b schemas.GPUSample) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Node, b.Node), cmp.Compare(a.Index, b.Index))
	},
}

// ReadGPU reads the GPU table under dir (compacted file and parts) in time
// order.
func ReadGPU(ctx context.Context, dir string) ([]schemas.GPUSample, error) {
	return readTable(ctx, dir, gpuTable)
}

// CompactGPU compacts the GPU parts under dir into DIR.parquet.
func CompactGPU(ctx context.Context, dir string) error {
	return compactTable(ctx, dir, gpuTable)
}

// WriteGPU writes a GPU table known whole as one file DIR.parquet.
func WriteGPU(dir string, samples []schemas.GPUSample) error {
	return writeOnce(dir, gpuTable, samples)
}

func gpuFromTable(tbl arrow.Table) ([]schemas.GPUSample, error) {
	if int(tbl.NumCols()) != GPUArrowSchema.NumFields() {
		return nil, fmt.Errorf("has %d columns, want %d", tbl.NumCols(), GPUArrowSchema.NumFields())
	}
	rdr := array.NewTableReader(tbl, 64<<10)
	defer rdr.Release()
	var out []schemas.GPUSample
	for rdr.Next() {
		c := rdr.RecordBatch().Columns()
		i64 := func(k, i int) int64 {
			if c[k].IsNull(i) {
				return -1
			}
			return c[k].(*array.Int64).Value(i)
		}
		for i := 0; i < int(rdr.RecordBatch().NumRows()); i++ {
			s := schemas.GPUSample{
				At: timeAt(c[0], i), Node: stringAt(c[1], i), Index: int(c[2].(*array.Int32).Value(i)), UUID: stringAt(c[3], i),
				Name: stringAt(c[4], i), Source: stringAt(c[5], i), UtilizationPct: floatAt(c[6], i),
				MemoryUsedBytes: i64(7, i), MemoryTotalBytes: i64(8, i), PowerW: floatAt(c[9], i), EnergyJ: floatAt(c[10], i),
				SMClockMHz: i64(11, i), TemperatureC: i64(12, i), XIDErrors: c[13].(*array.Int64).Value(i), LastXID: c[14].(*array.Int64).Value(i),
			}
			out = append(out, s)
		}
	}
	return out, rdr.Err()
}
