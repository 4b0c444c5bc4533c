package schemas

import (
	"bufio"
	"io"
	"strconv"
)

// TraceWriter writes records as JSONL, byte for byte as the reference
// generator's json.dumps does (", " and ": " separators, fixed key order), so
// traces from either tool diff cleanly. Encoding is hand-written because it is
// the hot path of synthesis: encoding/json costs several times more per row.
type TraceWriter struct {
	w   *bufio.Writer
	buf []byte
}

// NewTraceWriter buffers writes to w; call Flush when done.
func NewTraceWriter(w io.Writer) *TraceWriter {
	return &TraceWriter{w: bufio.NewWriterSize(w, 256<<10), buf: make([]byte, 0, 1024)}
}

// Write appends one record as a line.
func (t *TraceWriter) Write(rec *TraceRecord) error {
	b := t.buf[:0]
	b = append(b, `{"timestamp": `...)
	b = strconv.AppendInt(b, rec.Timestamp, 10)
	b = append(b, `, "input_length": `...)
	b = strconv.AppendInt(b, int64(rec.InputLength), 10)
	b = append(b, `, "output_length": `...)
	b = strconv.AppendInt(b, int64(rec.OutputLength), 10)
	b = append(b, `, "hash_ids": [`...)
	for i, id := range rec.HashIDs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, id, 10)
	}
	b = append(b, "]}\n"...)
	t.buf = b
	_, err := t.w.Write(b)
	return err
}

// Flush writes any buffered data to the underlying writer.
func (t *TraceWriter) Flush() error { return t.w.Flush() }
