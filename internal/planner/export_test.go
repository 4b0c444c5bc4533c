package planner

import "plannerbench/schemas"

// Decide runs the configured planner on one interval's samples (oldest
// first). The last sample is the deployment as it stands at the decision.
// It returns the decision and the state to carry forward, taking every
// change it asks for as done (Tick applies them to a deployment).
func Decide(cfg schemas.PlannerConfig, perf PerfModel, st State, window []schemas.Sample) (schemas.Decision, State) {
	return decide(cfg, perf, st, window, nil)
}
