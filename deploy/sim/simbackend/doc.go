// Package simbackend is the simulator backend (`backend.kind: sim`): a
// deploy.Deployer that starts each case's simulated graph as its own
// `sim serve` process (the worker re-executing itself), scales it through
// the process's admin route and reads its samples; the process's address
// and PID are kept in the case folder, so any worker of the node finds it
// again after a restart.
package simbackend
