package simserver

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
)

// An idle graph served over HTTP at time scale 1 answers with each shipped
// profile's model (TTFT within −2/+6 ms, ITL within 2 ms): TTFT = prefill_ms(ISL) + KV transfer + one
// decode step; ITL = one decode step. The expected values are the profile's
// formulas written out here, not the engine's event trace.
func TestIdleTTFTAndITLOverHTTPEqualTheProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time test")
	}
	const isl, osl = 3000, 30
	for _, name := range sim.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			prof, err := sim.LoadProfile(name)
			require.NoError(t, err)
			cfg := disaggRouterGraph(t)
			eng, err := sim.NewEngine(prof, cfg)
			require.NoError(t, err)
			rt := NewRealtime(eng, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go rt.Run(ctx)
			srv := httptest.NewServer(NewServer(rt, ServerOptions{}).Handler())
			defer srv.Close()

			capacityBlocks := prof.KVCapacityTokens() / cfg.BlockSize
			util := float64((isl+1+63)/64) / float64(capacityBlocks) // the prompt and the first token's slot
			step := prof.DecodeStepMS.At(util)
			step = max(step, prof.DecodeStepMinMS)
			wantTTFT := prof.PrefillMS.At(isl) + isl*prof.KVBytesPerToken/prof.TransferBytesPerSecond*1e3 + step

			var ttfts, itls []float64
			for run := 0; run < 5; run++ {
				// A prompt of its own each run: no prefix cache hits.
				prompt := strings.TrimSpace(strings.Repeat(fmt.Sprintf("r%d ", run), isl))
				ttft, gaps := streamTimes(t, srv.URL, prompt, osl)
				ttfts = append(ttfts, ttft)
				itls = append(itls, gaps...)
			}
			// Delay only ever adds time on a busy machine: take the
			// fastest TTFT and the median gap. The TTFT is held to
			// [model − 2 ms, model + 6 ms]: nothing correct comes in under
			// the model, and a scheduler's delay of a few ms over it is
			// not the engine's (CI measured the fastest of three 3.8 ms
			// over); a decode step too many or too few (6.1 to 19.7 ms with
			// the shipped profiles) still falls outside.
			slices.Sort(itls)
			fastest := slices.Min(ttfts)
			t.Logf("%s: TTFT %.2f ms (model %.2f), median ITL %.2f ms (model %.2f)", name, fastest, wantTTFT, itls[len(itls)/2], step)
			require.GreaterOrEqual(t, fastest, wantTTFT-2, "TTFT ms (model %.2f)", wantTTFT)
			require.LessOrEqual(t, fastest, wantTTFT+6, "TTFT ms (model %.2f)", wantTTFT)
			require.InDelta(t, step, itls[len(itls)/2], 2, "ITL ms (model %.2f)", step)
		})
	}
}

// streamTimes posts a streaming chat request and returns the TTFT and the
// gaps between tokens, in ms, as the client sees them.
func streamTimes(t *testing.T, url, prompt string, maxTokens int) (float64, []float64) {
	body := `{"model":"` + testModel + `","messages":[{"role":"user","content":"` + prompt + `"}],"max_tokens":` + fmt.Sprint(maxTokens) + `,"stream":true}`
	start := time.Now()
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	var times []time.Duration
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"content":`) && !strings.Contains(sc.Text(), `"content":""`) {
			times = append(times, time.Since(start))
		}
	}
	require.Len(t, times, maxTokens)
	var gaps []float64
	for i := 1; i < len(times); i++ {
		gaps = append(gaps, float64(times[i]-times[i-1])/1e6)
	}
	return float64(times[0]) / 1e6, gaps
}
