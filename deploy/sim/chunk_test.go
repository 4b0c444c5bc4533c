package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// A prompt prefilled on its decode worker shares steps with the running
// decodes in chunks of max_num_batched_tokens minus one token per decode
// (vLLM's chunked prefill); each such step lasts the decode step plus the
// chunk's prefill time, as in the mid-2025 mocker, so the decodes' ITL
// grows by exactly that prefill time.
func TestLocalPrefillIsChunkedIntoTheDecodeSteps(t *testing.T) {
	const budget = 2048
	e := testEngine(t, 0, 1, func(c *GraphConfig) { c.MaxNumBatchedTokens = budget })
	prof := e.Profile()
	a := submitAt(t, e, 0, 100, 400)
	b := submitAt(t, e, time.Second, 5000, 5)
	e.RunUntilIdle(time.Hour)
	require.Len(t, a.tokens, 400)
	require.Len(t, b.tokens, 5)

	// Chunks with one decode running: 2047, 2047, 906 tokens.
	chunks := []int{budget - 1, budget - 1, 5000 - 2*(budget-1)}
	first := 0
	for first < len(a.tokens) && a.tokens[first] <= time.Second {
		first++
	}
	base := a.tokens[first-1] - a.tokens[first-2] // a plain step before b came
	// b's 79 blocks raise the KV utilisation of the step by at most
	// 43.88 ms * 80 / 6794 blocks = 0.52 ms (decode_step_ms's slope).
	const slack = 0.6 * float64(time.Millisecond)
	// The step running when b arrived ends without b; the next three carry
	// its chunks.
	for i, c := range chunks {
		gap := a.tokens[first+1+i] - a.tokens[first+i]
		require.InDelta(t, float64(base+prof.PrefillTime(c)), float64(gap), slack, "step %d carries a %d-token chunk", i, c)
	}
	require.Equal(t, a.tokens[first+3], b.tokens[0], "b's first token comes with its last chunk's step")
	after := a.tokens[first+5] - a.tokens[first+4]
	require.InDelta(t, float64(base), float64(after), slack, "then plain steps again")

	// With the seed's budget (16384) the whole prompt is one chunk.
	e2 := testEngine(t, 0, 1)
	a2 := submitAt(t, e2, 0, 100, 400)
	b2 := submitAt(t, e2, time.Second, 5000, 5)
	e2.RunUntilIdle(time.Hour)
	i := 0
	for a2.tokens[i] <= time.Second {
		i++
	}
	require.Equal(t, a2.tokens[i+1], b2.tokens[0])
	require.InDelta(t, float64(base+prof.PrefillTime(5000)), float64(a2.tokens[i+1]-a2.tokens[i]), slack)
}

// prefillEnds returns when each request's prefill ended, read back from its
// first token: minus the decode step that emitted it and the KV transfer.
func prefillEnd(prof *schemas.Profile, r *recorder, prompt int) time.Duration {
	return r.tokens[0] - prof.TransferTime(prompt)
}

func TestPrefillWorkerOneJobAtATimeOrBatched(t *testing.T) {
	run := func(batching bool, cost string) []time.Duration {
		prof, err := LoadProfile("h100-llama8b")
		require.NoError(t, err)
		prof.PrefillBatchCost = cost
		cfg := disaggRouterGraph(t)
		alwaysRemote(&cfg)
		cfg.PrefillWorkerBatching = batching
		cfg.DecodeWorkers = 4 // one each, so no first token waits on another's step
		e, err := NewEngine(prof, cfg)
		require.NoError(t, err)
		// The first job keeps the worker busy while three more queue.
		submitAt(t, e, 0, 3000, 2)
		var recs []*recorder
		for i := 0; i < 3; i++ {
			recs = append(recs, submitAt(t, e, 10*time.Millisecond, 3000, 2))
		}
		e.RunUntilIdle(time.Hour)
		var ends []time.Duration
		for _, r := range recs {
			ends = append(ends, prefillEnd(prof, r, 3000))
		}
		return ends
	}
	prof, err := LoadProfile("h100-llama8b")
	require.NoError(t, err)
	p := prof.PrefillTime(3000)                // 259.75 ms
	maxStep := float64(prof.DecodeStepTime(1)) // bound for the step that emits the first token

	serial := run(false, "")
	for i, end := range serial {
		require.InDelta(t, float64(time.Duration(i+2)*p), float64(end), maxStep, "job %d after %d prefills", i, i+2)
	}
	perPrompt := run(true, schemas.PrefillPerPrompt)
	for _, end := range perPrompt {
		require.InDelta(t, float64(4*p), float64(end), maxStep, "one step of three prompts priced one by one")
	}
	batchTokens := run(true, schemas.PrefillBatchTokens)
	// prefill_ms(9000) = 26.2 + 0.0741*9000 + 1.25e-6*9000^2 = 794.65 ms.
	for _, end := range batchTokens {
		require.InDelta(t, float64(p)+794.65e6, float64(end), maxStep, "one step priced on 9000 tokens")
	}
}
