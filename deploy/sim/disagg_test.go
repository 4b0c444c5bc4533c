package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPrefillRemoteMatchesUpstream checks the decision against the upstream
// expression, evaluated by hand for each row (ai-dynamo/dynamo
// examples/llm/components/disagg_router.py, prefill_remote, commit
// 02e16f75490465f69b38a5f69bcd89f5bf494f35):
//
//	absolute_prefill_length = int(prompt_length * (1 - prefix_hit_rate))
//	remote = absolute_prefill_length > max_local_prefill_length and queue_size < max_prefill_queue_size
//
// with the seed graph's settings (disagg_router.yaml: max-local-prefill-length
// 10, max-prefill-queue-size 2) and the component's defaults (1000, 2).
func TestPrefillRemoteMatchesUpstream(t *testing.T) {
	cases := []struct {
		name               string
		length             int
		hit                float64
		queue              int
		maxLocal, maxQueue int
		remote             bool
	}{
		{"seed: long prompt, empty queue", 3000, 0, 0, 10, 2, true},
		{"seed: long prompt, one queued", 3000, 0, 1, 10, 2, true},
		{"seed: queue at its limit", 3000, 0, 2, 10, 2, false},
		{"seed: queue past its limit", 3000, 0, 7, 10, 2, false},
		{"seed: 11 tokens is over 10", 11, 0, 0, 10, 2, true},
		{"seed: 10 tokens is not over 10", 10, 0, 0, 10, 2, false},
		{"seed: mostly cached, 3000*(1-0.9966)=10.2 -> 10", 3000, 0.9966, 0, 10, 2, false},
		{"seed: cached half, 1500 left", 3000, 0.5, 0, 10, 2, true},
		{"default: 1000 is not over 1000", 1000, 0, 0, 1000, 2, false},
		{"default: 1001 is over 1000", 1001, 0, 0, 1000, 2, true},
		{"default: 2000 half cached = 1000, stays", 2000, 0.5, 0, 1000, 2, false},
		{"default: 3000, 2/3 cached = int(1000.0000000000001)", 3000, 2.0 / 3, 0, 1000, 2, false},
		{"default: long but queue full", 5000, 0, 2, 1000, 2, false},
		{"no queue allowed", 5000, 0, 0, 1000, 0, false},
		{"fully cached", 3000, 1, 0, 10, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.remote, PrefillRemote(c.length, c.hit, c.queue, c.maxLocal, c.maxQueue))
		})
	}
}
