// Package sim is the built-in simulated disaggregated engine (DESIGN §3.2):
// a deterministic discrete-event model of a Dynamo graph (router, decode
// workers with paged KV cache and continuous batching, one shared FIFO
// prefill queue, prefill workers that run one job at a time, KV transfer)
// behind a clock, plus an OpenAI-compatible HTTP server that drives it in
// real time.
//
// The model core (Engine) owns no goroutines and reads no clock: a driver
// advances it. Realtime maps virtual time to the wall clock (divided by a
// time scale) for the HTTP server; a replay advances it as fast as events
// allow, with no sockets.
package sim
