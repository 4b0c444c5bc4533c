// Package configs ships the simulator's graph configurations
// (the seed's graph disagg_1p1d.yaml and disagg_2p2d.yaml, and the
// always-remote variant disagg_remote_*.yaml) inside the binaries, so a worker started
// anywhere can deploy them by name.
package configs

import "embed"

// FS holds every *.yaml file of this folder.
//
//go:embed *.yaml
var FS embed.FS
