package schemas

// TraceRecord is one request of a mooncake-style trace (README, Traces).
type TraceRecord struct {
	// Timestamp is the send time in milliseconds from the start of the trace.
	Timestamp int64 `json:"timestamp"`
	// InputLength is the prompt length in tokens.
	InputLength int `json:"input_length"`
	// OutputLength is the number of tokens to generate.
	OutputLength int `json:"output_length"`
	// HashIDs holds one id per block of the prompt; equal ids mean equal blocks
	// and equal prefixes share leading ids.
	HashIDs []int64 `json:"hash_ids"`
}

// TraceRef points at a trace file without carrying its rows, so it can travel
// through Temporal.
type TraceRef struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Rows   int    `json:"rows"`
}
