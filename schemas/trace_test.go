package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func readAll(t *testing.T, input string) ([]TraceRecord, error) {
	t.Helper()
	r := NewTraceReader(strings.NewReader(input), "trace.jsonl")
	var out []TraceRecord
	for r.Next() {
		rec := *r.Record()
		rec.HashIDs = append([]int64(nil), rec.HashIDs...)
		out = append(out, rec)
	}
	return out, r.Err()
}

func TestTraceWriterMatchesPythonJSONDumps(t *testing.T) {
	var buf bytes.Buffer
	w := NewTraceWriter(&buf)
	require.NoError(t, w.Write(&TraceRecord{Timestamp: 66, InputLength: 3000, OutputLength: 150, HashIDs: []int64{0, 1, 2}}))
	require.NoError(t, w.Write(&TraceRecord{Timestamp: 1000, InputLength: 5, OutputLength: 1}))
	require.NoError(t, w.Flush())
	require.Equal(t, `{"timestamp": 66, "input_length": 3000, "output_length": 150, "hash_ids": [0, 1, 2]}
{"timestamp": 1000, "input_length": 5, "output_length": 1, "hash_ids": []}
`, buf.String())
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.Split(buf.String(), "\n")[0]), &v))
}

func TestTraceReaderRoundTripAndTolerance(t *testing.T) {
	recs, err := readAll(t, `{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [0]}

{"timestamp": 12.9, "input_length": 10, "output_length": 2, "hash_ids": [0, 1], "extra": {"x": 1}}
{"hash_ids":[2],"output_length":3,"input_length":4,"timestamp":20}
`)
	require.NoError(t, err)
	require.Equal(t, []TraceRecord{
		{Timestamp: 0, InputLength: 10, OutputLength: 2, HashIDs: []int64{0}},
		{Timestamp: 12, InputLength: 10, OutputLength: 2, HashIDs: []int64{0, 1}},
		{Timestamp: 20, InputLength: 4, OutputLength: 3, HashIDs: []int64{2}},
	}, recs)
}

func TestTraceReaderRejectsBadLines(t *testing.T) {
	good := `{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [0]}` + "\n"
	for _, tc := range []struct {
		name, line, want string
	}{
		{"not json", `{"timestamp": 0,`, "trace.jsonl:2: invalid JSON"},
		{"missing timestamp", `{"input_length": 1, "output_length": 1}`, "trace.jsonl:2: timestamp: missing"},
		{"negative timestamp", `{"timestamp": -5, "input_length": 1, "output_length": 1}`, "trace.jsonl:2: timestamp: must be >= 0"},
		{"string timestamp", `{"timestamp": "x", "input_length": 1, "output_length": 1}`, "trace.jsonl:2: invalid JSON"},
		{"unsorted", `{"timestamp": 0, "input_length": 1, "output_length": 1}` + "\n" + `{"timestamp": -0, "input_length": 1, "output_length": 1}` + "\n" + `{"timestamp": 0, "input_length": 0, "output_length": 1}`, "trace.jsonl:4: input_length: must be > 0"},
		{"zero output", `{"timestamp": 1, "input_length": 1, "output_length": 0}`, "trace.jsonl:2: output_length: must be > 0"},
		{"missing output", `{"timestamp": 1, "input_length": 1}`, "trace.jsonl:2: output_length: missing"},
		{"negative hash id", `{"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [0, -1]}`, "trace.jsonl:2: hash_ids[1]: must be >= 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := readAll(t, good+tc.line+"\n"+good)
			require.ErrorContains(t, err, tc.want)
			var le *LineError
			require.True(t, errors.As(err, &le))
			require.NotEmpty(t, recs, "records before the bad line are kept")
		})
	}
	_, err := readAll(t, `{"timestamp": 50, "input_length": 1, "output_length": 1}`+"\n"+`{"timestamp": 10, "input_length": 1, "output_length": 1}`)
	require.ErrorContains(t, err, "trace.jsonl:2: timestamp: 10 ms is earlier than the previous record's 50 ms")
}

func FuzzTraceReader(f *testing.F) {
	f.Add([]byte(`{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [0]}`))
	f.Add([]byte(`{"timestamp": 1e300, "input_length": 1, "output_length": 1}`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewTraceReader(bytes.NewReader(data), "fuzz")
		prev := int64(-1)
		for r.Next() {
			rec := r.Record()
			if rec.Timestamp < prev || rec.InputLength <= 0 || rec.OutputLength <= 0 {
				t.Fatalf("reader accepted an invalid record %+v", rec)
			}
			prev = rec.Timestamp
			var buf bytes.Buffer
			w := NewTraceWriter(&buf)
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			_ = w.Flush()
			back, err := readAllBytes(buf.Bytes())
			if err != nil || len(back) != 1 || back[0].Timestamp != rec.Timestamp || len(back[0].HashIDs) != len(rec.HashIDs) {
				t.Fatalf("round trip of %+v: %v %+v", rec, err, back)
			}
		}
		if err := r.Err(); err != nil && !strings.HasPrefix(err.Error(), "fuzz:") {
			t.Fatalf("error without position: %v", err)
		}
	})
}

func readAllBytes(b []byte) ([]TraceRecord, error) {
	r := NewTraceReader(bytes.NewReader(b), "rt")
	var out []TraceRecord
	for r.Next() {
		out = append(out, *r.Record())
	}
	return out, r.Err()
}
