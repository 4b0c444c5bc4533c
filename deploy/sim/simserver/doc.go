// Package simserver serves a simulated graph (a sim.Engine) in real time:
// Realtime maps the engine's virtual time to the wall clock divided by a
// time scale, and Server answers OpenAI's chat and completions routes
// (streamed or not), Prometheus metrics under vLLM's and Dynamo's names,
// and the admin routes the simulator backend and tests use (scale, state,
// faults, crash). `sim serve` (commands/) runs it as a process.
package simserver
