package schemas

import "time"

// Load is one interval's observed traffic, for the SLA planner.
type Load struct {
	RequestRate float64 `json:"request_rate"` // requests per second
	ISL         float64 `json:"isl"`          // mean prompt tokens
	OSL         float64 `json:"osl"`          // mean requested output tokens
}

// Inputs are the figures a decision was made from, recorded with it.
type Inputs struct {
	Samples         int     `json:"samples"`
	AvgPrefillQueue float64 `json:"avg_prefill_queue"`
	AvgKVLoad       float64 `json:"avg_kv_load"`
	FirstQueue      float64 `json:"first_queue"`
	LastQueue       float64 `json:"last_queue"`
	PredictedQueue  float64 `json:"predicted_queue"`
	PrefillAtStart  int     `json:"prefill_at_start"`
	DecodeAtStart   int     `json:"decode_at_start"`
	PrefillNow      int     `json:"prefill_now"`
	DecodeNow       int     `json:"decode_now"`
	GPUsBefore      int     `json:"gpus_before"`
	GPUsAfter       int     `json:"gpus_after"`
	DecodeGrace     int     `json:"decode_grace"`
	Observed        Load    `json:"observed"`
	Predicted       Load    `json:"predicted"`
	PredictedTTFTMS float64 `json:"predicted_ttft_ms,omitempty"`
	PredictedITLMS  float64 `json:"predicted_itl_ms,omitempty"`
	UnconstrainedP  int     `json:"unconstrained_prefill,omitempty"`
	UnconstrainedD  int     `json:"unconstrained_decode,omitempty"`
}

// Decision is a planner's verdict for one adjustment interval.
type Decision struct {
	At       time.Duration `json:"at"`
	Interval int           `json:"interval"`
	Mode     string        `json:"mode"`
	// Prefill and Decode are the target numbers of workers.
	Prefill      int    `json:"prefill"`
	Decode       int    `json:"decode"`
	DeltaPrefill int    `json:"delta_prefill"`
	DeltaDecode  int    `json:"delta_decode"`
	Reason       string `json:"reason"`
	Inputs       Inputs `json:"inputs"`
	// Scaled is set when the change was asked of the deployment and accepted.
	Scaled bool `json:"scaled,omitempty"`
	// BlockedUntil is, after a blocking adjustment, when the planner
	// resumed collecting metrics (trace time): from At until then it
	// sampled nothing, and its next interval starts then.
	BlockedUntil time.Duration `json:"blocked_until,omitempty"`
	// ChangesEnded holds, for a blocking adjustment, when each change's
	// wait ended (trace time, in the order applied): the next change was
	// applied then. The last is BlockedUntil.
	ChangesEnded []time.Duration `json:"changes_ended,omitempty"`
	// ObservedLateMS and AppliedLateMS are how long after At a live
	// planner read the interval's samples and its first scaling took
	// effect (each the activity's midpoint, workflow time), in trace
	// milliseconds: its timing noise, which a replay can keep
	// (replay.Timing). Zero in a replay; AppliedLateMS zero when nothing
	// was scaled.
	ObservedLateMS float64 `json:"observed_late_ms,omitempty"`
	AppliedLateMS  float64 `json:"applied_late_ms,omitempty"`
}

// Changes reports whether the decision asks for a different deployment.
func (d Decision) Changes() bool { return d.DeltaPrefill != 0 || d.DeltaDecode != 0 }
