package extplanner

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

func TestAskGoodAndBadAnswers(t *testing.T) {
	var got schemas.ExternalRequest
	answer := `{"prefill": 2, "decode": 3, "reason": "queue"}`
	status := 200
	delay := time.Duration(0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
		time.Sleep(delay)
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	cfg := schemas.DefaultPlannerConfig()
	req := planner.ExternalRequestOf("planner", cfg, 3, 30*time.Second, []schemas.Sample{{PrefillWorkers: 1, DecodeWorkers: 1, PrefillStarting: 1}})
	ask := func() (schemas.ExternalAnswer, error) {
		return Ask(context.Background(), srv.Client(), srv.URL, 200*time.Millisecond, req)
	}

	a, err := ask()
	require.NoError(t, err)
	require.Equal(t, schemas.ExternalAnswer{Prefill: 2, Decode: 3, Reason: "queue"}, a)
	require.Equal(t, 1, got.Version)
	require.Equal(t, 3, got.Interval)
	require.Equal(t, 30.0, got.AtS)
	require.Equal(t, 10.0, got.IntervalS)
	require.Equal(t, schemas.ExternalWorkers{Prefill: 1, Decode: 1, PrefillStarting: 1}, got.Workers)
	require.Equal(t, schemas.ExternalBudget{MaxGPUs: 8, PrefillEngineNumGPU: 1, DecodeEngineNumGPU: 1, MinEndpoint: 1}, got.Budget)
	require.Equal(t, schemas.ExternalSLO{TTFTMS: 500, ITLMS: 50}, got.SLO)

	for _, tc := range []struct {
		name, answer string
		status       int
		delay        time.Duration
		want         string
	}{
		{"HTTP error", `oops`, 500, 0, "bad answer: HTTP 500: oops"},
		{"too slow", answer, 200, time.Second, "bad answer: no answer within 200ms"},
		{"not JSON", `<html>`, 200, 0, "bad answer: not the protocol's JSON"},
		{"missing decode", `{"prefill": 1}`, 200, 0, "bad answer: decode is missing"},
		{"negative", `{"prefill": -1, "decode": 1}`, 200, 0, "bad answer: prefill -1 is out of range (>= 0)"},
		{"no decode worker", `{"prefill": 1, "decode": 0}`, 200, 0, "bad answer: decode 0 is out of range (>= 1)"},
		{"fraction", `{"prefill": 1.5, "decode": 1}`, 200, 0, "bad answer: prefill 1.5 is not an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer, status, delay = tc.answer, tc.status, tc.delay
			_, err := ask()
			var bad *BadAnswerError
			require.True(t, errors.As(err, &bad), "%v", err)
			require.True(t, strings.HasPrefix(err.Error(), tc.want), "%q does not start with %q", err, tc.want)
			w := WantOf(schemas.ExternalAnswer{}, err)
			require.Nil(t, w.Target, "a bad answer changes nothing")
		})
	}
	answer, status, delay = `{"prefill": 0, "decode": 1, "extra": [1,2]}`, 200, 0
	a, err = ask()
	require.NoError(t, err, "fields the protocol does not know are ignored")
	require.Equal(t, "wants 0p1d: no reason given", WantOf(a, nil).Reason)
}

// FuzzParseAnswer: any body either parses into counts in range or is a
// BadAnswerError; nothing panics.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{`{"prefill":1,"decode":1}`, `{"prefill":1e3,"decode":2,"reason":"x"}`, `[]`, `{"decode":-0}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAnswer(data)
		if err != nil {
			var bad *BadAnswerError
			if !errors.As(err, &bad) {
				t.Fatalf("%q: %v is not a BadAnswerError", data, err)
			}
			return
		}
		if a.Prefill < 0 || a.Decode < 1 {
			t.Fatalf("%q: accepted %+v", data, a)
		}
	})
}
