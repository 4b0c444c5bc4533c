package results

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"plannerbench/schemas"
)

// NewRequestWriter writes request records as parts under dir.
func NewRequestWriter(dir string) (*PartWriter[schemas.RequestRecord], error) {
	return NewPartWriter(dir, RequestArrowSchema, buildRequestBatch)
}

func buildRequestBatch(mem memory.Allocator, rows []schemas.RequestRecord) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, RequestArrowSchema)
	defer b.Release()
	f := b.Fields()
	for i := range rows {
		r := &rows[i]
		f[0].(*array.Int64Builder).Append(r.Index)
		appendTime(f[1], r.ScheduledAt)
		appendTime(f[2], r.SentAt)
		appendTime(f[3], r.FirstTokenAt)
		appendTime(f[4], r.EndAt)
		appendFloat(f[5], r.LatenessMS)
		f[6].(*array.Int32Builder).Append(r.InputLength)
		f[7].(*array.Int32Builder).Append(r.OutputLength)
		appendCount(f[8], r.PromptTokens)
		appendCount(f[9], r.CompletionTokens)
		f[10].(*array.Int32Builder).Append(r.Chunks)
		appendFloat(f[11], r.TTFTMS)
		appendFloat(f[12], r.ITLMS)
		appendFloat(f[13], r.LatencyMS)
		f[14].(*array.StringBuilder).Append(r.Status)
		appendString(f[15], r.FinishReason)
		appendCount(f[16], map[bool]int32{true: r.HTTPStatus, false: -1}[r.HTTPStatus > 0])
		appendString(f[17], r.ErrorClass)
		appendString(f[18], r.Error)
		f[19].(*array.Int32Builder).Append(r.Attempt)
		appendTime(f[20], r.AckAt)
		appendCount(f[21], r.CachedTokens)
		appendFloat(f[22], r.PrefillWaitMS)
		appendFloat(f[23], r.PrefillMS)
		if bb := f[24].(*array.BooleanBuilder); r.PrefillLocal < 0 {
			bb.AppendNull()
		} else {
			bb.Append(r.PrefillLocal == 1)
		}
		appendFloat(f[25], r.ITLDecodeMS)
		if ib := f[26].(*array.Int64Builder); r.DecodeWorker < 0 {
			ib.AppendNull()
		} else {
			ib.Append(r.DecodeWorker)
		}
		appendTime(f[27], r.DecodeStepAt)
	}
	return b.NewRecordBatch()
}

func appendTime(b array.Builder, t time.Time) {
	tb := b.(*array.TimestampBuilder)
	if t.IsZero() {
		tb.AppendNull()
		return
	}
	tb.Append(arrow.Timestamp(t.UnixMicro()))
}

func appendFloat(b array.Builder, v float64) {
	fb := b.(*array.Float64Builder)
	if math.IsNaN(v) {
		fb.AppendNull()
		return
	}
	fb.Append(v)
}

func appendCount(b array.Builder, v int32) {
	ib := b.(*array.Int32Builder)
	if v < 0 {
		ib.AppendNull()
		return
	}
	ib.Append(v)
}

func appendString(b array.Builder, s string) {
	sb := b.(*array.StringBuilder)
	if s == "" {
		sb.AppendNull()
		return
	}
	sb.Append(s)
}

// requestTable is the request table: compacted in trace-index order.
var requestTable = table[schemas.RequestRecord]{
	schema: RequestArrowSchema, build: buildRequestBatch, conv: requestsFromTable,
	cmp: func(a, b schemas.RequestRecord) int { return cmp.Compare(a.Index, b.Index) },
}

// ReadRequests reads the request table under dir (its compacted file
// DIR.parquet and any parts), sorted by index. A file that does not match
// the schema is an error naming it.
func ReadRequests(ctx context.Context, dir string) ([]schemas.RequestRecord, error) {
	return readTable(ctx, dir, requestTable)
}

// WriteRequests writes a request table known whole as one file DIR.parquet.
func WriteRequests(dir string, recs []schemas.RequestRecord) error {
	return writeOnce(dir, requestTable, recs)
}

// CompactRequests compacts the request parts under dir into DIR.parquet.
func CompactRequests(ctx context.Context, dir string) error {
	return compactTable(ctx, dir, requestTable)
}

// The column counts of request files written before ack_at, and before
// the prefill columns, were added.
const (
	requestColumnsBeforeAck     = 20
	requestColumnsBeforePrefill = 21
	requestColumnsBeforeWorker  = 26
)

func requestsFromTable(tbl arrow.Table) ([]schemas.RequestRecord, error) {
	want := RequestArrowSchema
	n := int(tbl.NumCols())
	if n != want.NumFields() && n != requestColumnsBeforeAck && n != requestColumnsBeforePrefill && n != requestColumnsBeforeWorker {
		return nil, fmt.Errorf("has %d columns, want %d", tbl.NumCols(), want.NumFields())
	}
	for i, f := range want.Fields()[:n] {
		if got := tbl.Schema().Field(i); got.Name != f.Name {
			return nil, fmt.Errorf("column %d is %q, want %q", i, got.Name, f.Name)
		}
	}
	rdr := array.NewTableReader(tbl, 64<<10)
	defer rdr.Release()
	var out []schemas.RequestRecord
	for rdr.Next() {
		rec := rdr.RecordBatch()
		cols := rec.Columns()
		for i := 0; i < int(rec.NumRows()); i++ {
			out = append(out, schemas.RequestRecord{
				Index:            cols[0].(*array.Int64).Value(i),
				ScheduledAt:      timeAt(cols[1], i),
				SentAt:           timeAt(cols[2], i),
				FirstTokenAt:     timeAt(cols[3], i),
				EndAt:            timeAt(cols[4], i),
				LatenessMS:       floatAt(cols[5], i),
				InputLength:      cols[6].(*array.Int32).Value(i),
				OutputLength:     cols[7].(*array.Int32).Value(i),
				PromptTokens:     countAt(cols[8], i),
				CompletionTokens: countAt(cols[9], i),
				Chunks:           cols[10].(*array.Int32).Value(i),
				TTFTMS:           floatAt(cols[11], i),
				ITLMS:            floatAt(cols[12], i),
				LatencyMS:        floatAt(cols[13], i),
				Status:           cols[14].(*array.String).Value(i),
				FinishReason:     stringAt(cols[15], i),
				HTTPStatus:       max(countAt(cols[16], i), 0),
				ErrorClass:       stringAt(cols[17], i),
				Error:            stringAt(cols[18], i),
				Attempt:          cols[19].(*array.Int32).Value(i),
				CachedTokens:     -1, PrefillWaitMS: math.NaN(), PrefillMS: math.NaN(), PrefillLocal: -1, ITLDecodeMS: math.NaN(), DecodeWorker: -1,
			})
			r := &out[len(out)-1]
			if n > requestColumnsBeforeAck {
				r.AckAt = timeAt(cols[20], i)
			}
			if n > requestColumnsBeforePrefill {
				r.CachedTokens = countAt(cols[21], i)
				r.PrefillWaitMS, r.PrefillMS = floatAt(cols[22], i), floatAt(cols[23], i)
				if !cols[24].IsNull(i) {
					r.PrefillLocal = 0
					if cols[24].(*array.Boolean).Value(i) {
						r.PrefillLocal = 1
					}
				}
				r.ITLDecodeMS = floatAt(cols[25], i)
			}
			if n > requestColumnsBeforeWorker && !cols[26].IsNull(i) {
				r.DecodeWorker = cols[26].(*array.Int64).Value(i)
			}
			if n > requestColumnsBeforeWorker {
				r.DecodeStepAt = timeAt(cols[27], i)
			}
		}
	}
	return out, rdr.Err()
}

func timeAt(a arrow.Array, i int) time.Time {
	if a.IsNull(i) {
		return time.Time{}
	}
	return time.UnixMicro(int64(a.(*array.Timestamp).Value(i))).UTC()
}

func floatAt(a arrow.Array, i int) float64 {
	if a.IsNull(i) {
		return math.NaN()
	}
	return a.(*array.Float64).Value(i)
}

func countAt(a arrow.Array, i int) int32 {
	if a.IsNull(i) {
		return -1
	}
	return a.(*array.Int32).Value(i)
}

func stringAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	return a.(*array.String).Value(i)
}
