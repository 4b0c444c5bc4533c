package schemas

// Sweep is sweep.json: a grid of virtual-time replays, a planner case
// against a fixed baseline at each load scale (x) and value of a second
// axis (y: a profile, or the baseline's deployment).
type Sweep struct {
	Trace string `json:"trace"`
	// Scales multiply the trace's request rates (arrival times divided by
	// the scale).
	Scales []float64 `json:"scales"`
	// YAxis names the second axis: "profile" or "baseline".
	YAxis   string   `json:"y_axis"`
	YValues []string `json:"y_values"`
	// Planner and Start are the planner case's mode and starting
	// deployment; Baseline the fixed case's deployment when YAxis is not
	// "baseline"; Profile the profile when YAxis is not "profile".
	Planner  string `json:"planner"`
	Start    string `json:"start"`
	Baseline string `json:"baseline,omitempty"`
	Profile  string `json:"profile,omitempty"`
	// Cells[y][x].
	Cells [][]SweepCell `json:"cells"`
	// MarkX and MarkY index the seed's point (scale 1, the seed's profile
	// or 2p2d), or are -1 when the grid lacks it.
	MarkX int `json:"mark_x"`
	MarkY int `json:"mark_y"`
	// Replays counts the virtual-time replays run; Seconds is the wall
	// time the grid took.
	Replays int     `json:"replays"`
	Seconds float64 `json:"seconds"`
}

// SweepCell is one point of a sweep: the planner case against the baseline.
type SweepCell struct {
	Scale             float64 `json:"scale"`
	Y                 string  `json:"y"`
	PlannerLatencyMS  float64 `json:"planner_latency_ms"`
	BaselineLatencyMS float64 `json:"baseline_latency_ms"`
	PlannerNumGPU     float64 `json:"planner_num_gpu"`
	BaselineNumGPU    float64 `json:"baseline_num_gpu"`
	// Speedup is baseline / planner average request latency; GPUSaving is
	// 1 - planner / baseline time-averaged num_gpu (the seed's two figures).
	Speedup   float64 `json:"speedup"`
	GPUSaving float64 `json:"gpu_saving"`
}
