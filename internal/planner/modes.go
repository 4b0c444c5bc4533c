package planner

import (
	"plannerbench/schemas"
)

// A mode is one planner plannerbench runs (a matrix's planner.mode): how
// it decides an interval that has samples, and how its decisions reach the
// deployment. Adding a planner is one entry in modes (and its settings'
// checks in schemas' plannerModes, which a test keeps to the same names).
type mode struct {
	// decide decides an interval from its window (at least one sample);
	// d holds the bookkeeping already (interval, inputs, workers now).
	decide func(cfg schemas.PlannerConfig, perf PerfModel, st State, w []schemas.Sample, d schemas.Decision, act actuator) (schemas.Decision, State)
	// stepwise planners apply each change as they decide it (through act),
	// as Dynamo's load planner does, so a refused change is known before
	// the next is weighed, and may block while scaling (blocking_scaling);
	// the others ask for their whole target at once after deciding.
	stepwise bool
	// noSamples, when set, carries the state over an interval without
	// samples, in which nothing is decided.
	noSamples func(*State)
	// external planners decide outside plannerbench: TickExternal records
	// and applies what they asked for (a Want) instead of Tick deciding.
	external bool
}

// modes is the registry of planners, by schemas.PlannerConfig.Mode.
var modes = map[string]mode{
	schemas.PlannerNoop: {decide: decideNoop},
	// The reference's means of no samples are NaN: every threshold
	// comparison is false, nothing changes, and the grace period still
	// counts down at the end of the adjustment.
	schemas.PlannerLoad:     {decide: decideLoad, stepwise: true, noSamples: countDownGrace},
	schemas.PlannerSLA:      {decide: decideSLA},
	schemas.PlannerLoadFPM:  {decide: decideLoadFPM},
	schemas.PlannerExternal: {decide: decideNoop, external: true},
}

// IsExternal says whether the mode's decisions come from a planner outside
// plannerbench (TickExternal), not from Tick.
func IsExternal(name string) bool { return modes[name].external }

// modeOf returns the mode named name; an unknown name (validation refuses
// it before a run) observes only.
func modeOf(name string) mode {
	if m, ok := modes[name]; ok {
		return m
	}
	return modes[schemas.PlannerNoop]
}

// decideNoop observes and logs only: the seed's --no-operation baseline.
func decideNoop(_ schemas.PlannerConfig, _ PerfModel, st State, _ []schemas.Sample, d schemas.Decision, _ actuator) (schemas.Decision, State) {
	d.Reason = "no-operation mode: observe and log only"
	return d, st
}
