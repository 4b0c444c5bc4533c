// Package sim is the model of the built-in simulated disaggregated engine:
// a deterministic discrete-event model of a Dynamo graph (router, decode
// workers with paged KV cache and continuous batching, one shared FIFO
// prefill queue, prefill workers that run one job at a time, KV transfer)
// behind a virtual clock.
//
// The Engine owns no goroutines and reads no clock: a driver advances it.
// Two drivers exist: deploy/sim/simserver maps virtual time to the wall
// clock and serves it over OpenAI's HTTP API (the simulator backend,
// deploy/sim/simbackend, starts it as a process), and virtual/replay
// advances it as fast as events allow, with no sockets. docs/fidelity.md
// gives the source of each step of the model.
package sim
