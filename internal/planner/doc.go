// Package planner holds the planners' decision rules as pure functions
// (docs/fidelity.md, Planners): given the metric samples of an adjustment interval and the
// carried state, return a decision with its inputs and a reason. The same
// code runs inside the Temporal PlannerWorkflow and inside a virtual-time
// replay (through Tick); nothing here does I/O or reads a clock.
package planner
