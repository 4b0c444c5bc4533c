package aiperf

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"plannerbench/schemas"
)

// ReadRecords reads dir/profile_export.jsonl (AIPerf's per-request records,
// or plannerbench's) into request records: send, acknowledgement and end
// instants, TTFT, ITL and latency (in trace ms: divided by nothing, as
// AIPerf measured them; plannerbench's files already hold trace ms), and
// the input and output lengths. timeScale places the first token:
// SentAt + TTFT/timeScale. What AIPerf does not record (cached tokens,
// prefill wait, the decode step alone) stays missing. A line that is not
// a record is an error naming the file and line.
func ReadRecords(dir string, timeScale float64) ([]schemas.RequestRecord, error) {
	path := filepath.Join(dir, RecordsFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no %s", dir, RecordsFile)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if timeScale <= 0 {
		timeScale = 1
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var out []schemas.RequestRecord
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		r, err := requestOf(rec, timeScale)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// requestOf converts one AIPerf record (the inverse of RecordOf, as far as
// the record holds).
func requestOf(rec Record, timeScale float64) (schemas.RequestRecord, error) {
	m := rec.Metadata
	r := schemas.NewRequestRecord(m.SessionNum, &schemas.TraceRecord{})
	r.SentAt, r.ScheduledAt = time.Unix(0, m.RequestStartNS).UTC(), time.Unix(0, m.RequestStartNS).UTC()
	r.EndAt = time.Unix(0, m.RequestEndNS).UTC()
	if m.RequestAckNS != nil {
		r.AckAt = time.Unix(0, *m.RequestAckNS).UTC()
	}
	ms := func(t metric) (float64, bool, error) {
		v, ok := rec.Metrics[t.tag]
		if !ok {
			return 0, false, nil
		}
		per, known := msPer[v.Unit]
		if !known {
			return 0, false, fmt.Errorf("metrics.%s: unit %q is not a time unit (ns, us, ms, sec)", t.tag, v.Unit)
		}
		return v.Value * per, true, nil
	}
	count := func(t metric) int32 {
		if v, ok := rec.Metrics[t.tag]; ok {
			return int32(v.Value)
		}
		return -1
	}
	if rec.Error != nil || m.WasCancelled {
		r.Status, r.InputLength = schemas.StatusError, max(count(mErrorISL), 0)
		if m.WasCancelled {
			r.Status = schemas.StatusInterrupted
		}
		return r, nil
	}
	r.Status = schemas.StatusOK
	r.PromptTokens, r.CompletionTokens = count(mISL), count(mOSL)
	r.InputLength, r.OutputLength = max(r.PromptTokens, 0), max(r.CompletionTokens, 0)
	r.Chunks = max(r.CompletionTokens, 0)
	for _, f := range []struct {
		t  metric
		to *float64
	}{{mTTFT, &r.TTFTMS}, {mITL, &r.ITLMS}, {mRequestLatency, &r.LatencyMS}} {
		v, ok, err := ms(f.t)
		if err != nil {
			return r, err
		}
		if ok {
			*f.to = v
		}
	}
	if !math.IsNaN(r.TTFTMS) {
		r.FirstTokenAt = r.SentAt.Add(time.Duration(r.TTFTMS / timeScale * float64(time.Millisecond)))
	}
	return r, nil
}
