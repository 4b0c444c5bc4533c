package schemas

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// maxTraceLine bounds one JSONL line. A 128k-token prompt at block size 16
// needs 8k ids, well under a megabyte; 64 MiB leaves room for odd traces while
// still catching a file that is not line-delimited at all.
const maxTraceLine = 64 << 20

// LineError is a problem with one line of an input file, printed as
// "file:line: msg" so editors and humans can jump to it.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// TraceReader streams records from a mooncake JSONL trace in constant memory.
// Unknown fields are ignored; a malformed line stops the reader with a
// *LineError naming the file and line.
type TraceReader struct {
	sc     *bufio.Scanner
	name   string
	line   int
	rec    TraceRecord
	raw    rawTraceRecord
	prevTS int64
	err    error
}

// rawTraceRecord uses pointers so a missing field can be told from a zero one.
type rawTraceRecord struct {
	Timestamp    *json.Number `json:"timestamp"`
	InputLength  *int         `json:"input_length"`
	OutputLength *int         `json:"output_length"`
	HashIDs      []int64      `json:"hash_ids"`
}

// NewTraceReader reads a trace from r; name is used in error messages.
func NewTraceReader(r io.Reader, name string) *TraceReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256<<10), maxTraceLine)
	return &TraceReader{sc: sc, name: name, prevTS: math.MinInt64}
}

// Next advances to the next record, skipping blank lines. It returns false at
// the end of the input or on the first error; Err tells which.
func (r *TraceReader) Next() bool {
	if r.err != nil {
		return false
	}
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if err := r.decode(b); err != nil {
			r.err = &LineError{File: r.name, Line: r.line, Msg: err.Error()}
			return false
		}
		return true
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			r.err = &LineError{File: r.name, Line: r.line + 1, Msg: fmt.Sprintf("line longer than %d bytes", maxTraceLine)}
		} else {
			r.err = fmt.Errorf("read %s after line %d: %w", r.name, r.line, err)
		}
	}
	return false
}

func (r *TraceReader) decode(b []byte) error {
	r.raw = rawTraceRecord{HashIDs: r.raw.HashIDs[:0]}
	if err := json.Unmarshal(b, &r.raw); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if r.raw.Timestamp == nil {
		return errors.New("timestamp: missing")
	}
	ts, err := parseTimestamp(*r.raw.Timestamp)
	if err != nil {
		return err
	}
	if ts < r.prevTS {
		return fmt.Errorf("timestamp: %d ms is earlier than the previous record's %d ms (a trace must be sorted by time)", ts, r.prevTS)
	}
	if r.raw.InputLength == nil {
		return errors.New("input_length: missing")
	}
	if *r.raw.InputLength <= 0 {
		return fmt.Errorf("input_length: must be > 0, got %d", *r.raw.InputLength)
	}
	if r.raw.OutputLength == nil {
		return errors.New("output_length: missing")
	}
	if *r.raw.OutputLength <= 0 {
		return fmt.Errorf("output_length: must be > 0, got %d", *r.raw.OutputLength)
	}
	for i, id := range r.raw.HashIDs {
		if id < 0 {
			return fmt.Errorf("hash_ids[%d]: must be >= 0, got %d", i, id)
		}
	}
	r.prevTS = ts
	r.rec = TraceRecord{Timestamp: ts, InputLength: *r.raw.InputLength, OutputLength: *r.raw.OutputLength, HashIDs: r.raw.HashIDs}
	return nil
}

// parseTimestamp accepts integer milliseconds, and also fractional ones as
// older versions of the reference generator wrote them (truncated, as the
// current reference does with int()).
func parseTimestamp(n json.Number) (int64, error) {
	if v, err := n.Int64(); err == nil {
		if v < 0 {
			return 0, fmt.Errorf("timestamp: must be >= 0, got %d", v)
		}
		return v, nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f >= math.MaxInt64 {
		return 0, fmt.Errorf("timestamp: not a number of milliseconds: %s", n.String())
	}
	if f < 0 {
		return 0, fmt.Errorf("timestamp: must be >= 0, got %s", n.String())
	}
	return int64(f), nil
}

// Record returns the current record. Its HashIDs slice is reused by the next
// call to Next: copy it to keep it.
func (r *TraceReader) Record() *TraceRecord { return &r.rec }

// Line returns the 1-based line number of the current record.
func (r *TraceReader) Line() int { return r.line }

// Err returns the error that stopped the reader, or nil at a clean end.
func (r *TraceReader) Err() error { return r.err }

// ForEachTraceRecord opens path and calls fn for every record in order with
// its trace index (0 for the first record; blank lines are not records).
// The record passed to fn is only valid during the call.
func ForEachTraceRecord(path string, fn func(index int64, rec *TraceRecord) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open trace: %w", err)
	}
	defer f.Close()
	r := NewTraceReader(f, path)
	for index := int64(0); r.Next(); index++ {
		if err := fn(index, r.Record()); err != nil {
			return err
		}
	}
	return r.Err()
}
