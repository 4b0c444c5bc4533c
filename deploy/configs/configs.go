// Package configs ships the simulator's graph configurations inside the
// binaries, so a worker started anywhere can deploy them by name:
// planner_benchmark_*.yaml (the seed's graph: the planner benchmark
// guide's own files), disagg_router_*.yaml (Dynamo's disagg_router.yaml
// example) and always_remote_*.yaml (disagg_router without conditional
// disaggregation or prefix caching).
package configs

import "embed"

// FS holds every *.yaml file of this folder.
//
//go:embed *.yaml
var FS embed.FS
