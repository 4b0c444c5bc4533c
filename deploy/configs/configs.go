// Package configs ships the simulator's graph configurations
// (disagg_1p1d.yml, disagg_2p2d.yml) inside the binaries, so a worker started
// anywhere can deploy them by name.
package configs

import "embed"

// FS holds every *.yml file of this folder.
//
//go:embed *.yml
var FS embed.FS
