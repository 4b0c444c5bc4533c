package results

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"plannerbench/internal/tfevents"
	"plannerbench/schemas"
)

// WriteTimeline writes rows to path as one Parquet file, atomically.
func WriteTimeline(path string, rows []schemas.TimelineRow) error {
	rec := buildTimelineBatch(memory.NewGoAllocator(), rows)
	defer rec.Release()
	return writeParquetFile(path, TimelineArrowSchema, rec)
}

func buildTimelineBatch(mem memory.Allocator, rows []schemas.TimelineRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, TimelineArrowSchema)
	defer b.Release()
	f := b.Fields()
	for _, r := range rows {
		f[0].(*array.Float64Builder).Append(r.TS)
		f[1].(*array.Float64Builder).Append(r.AverageKVLoad)
		f[2].(*array.Float64Builder).Append(r.PrefillQueueSize)
		f[3].(*array.Float64Builder).Append(r.TotalQueuedRequests)
		for i, v := range []int32{r.NumPrefillWorkers, r.NumDecodeWorkers, r.NumGPU, r.GPUsHeld, r.PrefillStarting, r.DecodeStarting, r.PrefillDraining, r.DecodeDraining} {
			f[4+i].(*array.Int32Builder).Append(v)
		}
		if r.Decided {
			f[12].(*array.Int32Builder).Append(r.DeltaPrefill)
			f[13].(*array.Int32Builder).Append(r.DeltaDecode)
		} else {
			f[12].AppendNull()
			f[13].AppendNull()
		}
		appendString(f[14], r.Reason)
		appendString(f[15], r.Inputs)
		f[16].(*array.Float64Builder).Append(r.KVUsage)
		f[17].(*array.BooleanBuilder).Append(r.PlannerWaiting)
		if len(r.KVUsageByWorker) == 0 {
			f[18].AppendNull()
		} else {
			js, _ := json.Marshal(r.KVUsageByWorker) // a map of floats always marshals
			f[18].(*array.StringBuilder).Append(string(js))
		}
	}
	return b.NewRecordBatch()
}

// ReadTimeline reads a timeline.parquet.
func ReadTimeline(ctx context.Context, path string) ([]schemas.TimelineRow, error) {
	tbl, err := ReadParquet(ctx, path)
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	// Files written before kv_usage, planner_waiting and
	// kv_usage_by_worker were added have fewer columns.
	if n := int(tbl.NumCols()); n < TimelineArrowSchema.NumFields()-3 || n > TimelineArrowSchema.NumFields() {
		return nil, fmt.Errorf("%s: has %d columns, want %d", path, tbl.NumCols(), TimelineArrowSchema.NumFields())
	}
	rdr := array.NewTableReader(tbl, 64<<10)
	defer rdr.Release()
	var out []schemas.TimelineRow
	for rdr.Next() {
		rec := rdr.RecordBatch()
		c := rec.Columns()
		i32 := func(k, i int) int32 { return c[k].(*array.Int32).Value(i) }
		for i := 0; i < int(rec.NumRows()); i++ {
			r := schemas.TimelineRow{
				TS: c[0].(*array.Float64).Value(i), AverageKVLoad: c[1].(*array.Float64).Value(i),
				PrefillQueueSize: c[2].(*array.Float64).Value(i), TotalQueuedRequests: c[3].(*array.Float64).Value(i),
				NumPrefillWorkers: i32(4, i), NumDecodeWorkers: i32(5, i), NumGPU: i32(6, i), GPUsHeld: i32(7, i),
				PrefillStarting: i32(8, i), DecodeStarting: i32(9, i), PrefillDraining: i32(10, i), DecodeDraining: i32(11, i),
				Reason: stringAt(c[14], i), Inputs: stringAt(c[15], i),
			}
			if len(c) > 16 {
				r.KVUsage = c[16].(*array.Float64).Value(i)
			}
			if len(c) > 17 {
				r.PlannerWaiting = c[17].(*array.Boolean).Value(i)
			}
			if len(c) > 18 && !c[18].IsNull(i) {
				if err := json.Unmarshal([]byte(c[18].(*array.String).Value(i)), &r.KVUsageByWorker); err != nil {
					return nil, fmt.Errorf("%s: row %d: kv_usage_by_worker: %w", path, len(out), err)
				}
			}
			if !c[12].IsNull(i) {
				r.Decided, r.DeltaPrefill, r.DeltaDecode = true, i32(12, i), i32(13, i)
			}
			out = append(out, r)
		}
	}
	return out, rdr.Err()
}

// tensorBoardScalars are the scalars written for each timeline row, in
// the seed's order: its six metrics, with num_queued_request (the name in
// the seed's text) written beside total_queued_requests (the planner
// code's name).
var tensorBoardScalars = []struct {
	tag   string
	value func(r *schemas.TimelineRow) float64
}{
	{"average_kv_load", func(r *schemas.TimelineRow) float64 { return r.AverageKVLoad }},
	{"prefill_queue_size", func(r *schemas.TimelineRow) float64 { return r.PrefillQueueSize }},
	{"total_queued_requests", func(r *schemas.TimelineRow) float64 { return r.TotalQueuedRequests }},
	{"num_queued_request", func(r *schemas.TimelineRow) float64 { return r.TotalQueuedRequests }},
	{"num_prefill_workers", func(r *schemas.TimelineRow) float64 { return float64(r.NumPrefillWorkers) }},
	{"num_decode_workers", func(r *schemas.TimelineRow) float64 { return float64(r.NumDecodeWorkers) }},
	{"num_gpu", func(r *schemas.TimelineRow) float64 { return float64(r.NumGPU) }},
}

// TensorBoardTags lists the scalar tags written for each timeline row.
func TensorBoardTags() []string {
	tags := make([]string, len(tensorBoardScalars))
	for i, s := range tensorBoardScalars {
		tags[i] = s.tag
	}
	return tags
}

// WriteTensorBoard writes the timeline as TensorBoard scalars under dir,
// one event a sample, the step being whole trace seconds since the start and
// the wall time start plus the trace time. Rows taken while a blocking
// planner waited for a change are left out, as the seed's planner wrote
// no scalars then (its TensorBoard draws those gaps as straight lines);
// the timeline keeps them.
func WriteTensorBoard(dir string, start time.Time, rows []schemas.TimelineRow) (string, error) {
	w, err := tfevents.Create(dir, start)
	if err != nil {
		return "", err
	}
	scalars := make([]tfevents.Scalar, len(tensorBoardScalars))
	for i := range rows {
		r := &rows[i]
		if r.PlannerWaiting {
			continue // the seed's planner logged nothing while it waited
		}
		for k, s := range tensorBoardScalars {
			scalars[k] = tfevents.Scalar{Tag: s.tag, Value: s.value(r)}
		}
		at := start.Add(time.Duration(r.TS * float64(time.Second)))
		if err := w.Scalars(at, int64(math.Round(r.TS)), scalars); err != nil {
			w.Close()
			return "", err
		}
	}
	return w.Path(), w.Close()
}

// AddGPUs fills the summary's time-averaged GPU figures from the samples.
func AddGPUs(sum *Summary, samples []schemas.Sample, pullSeconds float64) {
	if len(samples) == 0 {
		return
	}
	var gpu, held float64
	for _, s := range samples {
		gpu += float64(s.NumGPU)
		held += float64(s.GPUsHeld)
	}
	sum.AvgNumGPU = gpu / float64(len(samples))
	sum.AvgGPUsHeld = held / float64(len(samples))
	sum.GPUSeconds = held * pullSeconds
	sum.ReadyGPUSeconds = gpu * pullSeconds
}

// TimelineFromSamples builds the timeline: one row a sample, each decision on the
// row of the last sample of its interval.
func TimelineFromSamples(samples []schemas.Sample, decisions []schemas.Decision) []schemas.TimelineRow {
	sort.SliceStable(samples, func(i, j int) bool { return samples[i].At < samples[j].At })
	rows := make([]schemas.TimelineRow, len(samples))
	for i, s := range samples {
		rows[i] = schemas.TimelineRow{
			TS: s.At.Seconds(), AverageKVLoad: s.AverageKVLoad, KVUsage: s.KVUsage, PrefillQueueSize: s.PrefillQueueSize, TotalQueuedRequests: s.TotalQueuedRequests,
			NumPrefillWorkers: int32(s.PrefillWorkers), NumDecodeWorkers: int32(s.DecodeWorkers), NumGPU: int32(s.NumGPU), GPUsHeld: int32(s.GPUsHeld),
			PrefillStarting: int32(s.PrefillStarting), DecodeStarting: int32(s.DecodeStarting), PrefillDraining: int32(s.PrefillDraining), DecodeDraining: int32(s.DecodeDraining),
			KVUsageByWorker: s.KVUsageByWorker,
		}
	}
	for _, d := range decisions {
		if d.BlockedUntil > d.At {
			for k := range rows {
				if at := samples[k].At; at > d.At && at < d.BlockedUntil {
					rows[k].PlannerWaiting = true
				}
			}
		}
		i := sort.Search(len(rows), func(i int) bool { return samples[i].At > d.At }) - 1
		if i < 0 {
			continue
		}
		rows[i].Decided, rows[i].DeltaPrefill, rows[i].DeltaDecode, rows[i].Reason = true, int32(d.DeltaPrefill), int32(d.DeltaDecode), d.Reason
		if in, err := json.Marshal(d.Inputs); err == nil {
			rows[i].Inputs = string(in)
		}
	}
	return rows
}
