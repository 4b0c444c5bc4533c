package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// reqState carries one request's extras into the HTTP doer and its timing
// back out of it.
type reqState struct {
	minTokens int

	// Set by the doer, which runs on the sending goroutine (go-openai's
	// Do is synchronous), so no lock: when the request left, when its
	// response headers arrived, and the raw body the driver reads itself.
	sentAt time.Time
	ackAt  time.Time
	body   io.Reader
}

type stateKey struct{}

func withState(ctx context.Context, s *reqState) context.Context {
	return context.WithValue(ctx, stateKey{}, s)
}

// extraBodyDoer is the HTTP client go-openai sends through. go-openai has no
// field for engine extensions, so the doer splices "ignore_eos": true,
// "min_tokens" and Dynamo's "nvext": {"extra_fields": ["timing",
// "worker_id"]} (each request's prefill wait and time and its workers in
// the response, for calibrate;
// engines that do not know nvext ignore it, as vLLM does unknown fields)
// into the JSON body; it also takes the send time just before
// the request leaves and the acknowledgement time when the response headers
// arrive, and hands the raw body to the driver's own SSE reader.
type extraBodyDoer struct {
	client *http.Client
}

func (d extraBodyDoer) Do(req *http.Request) (*http.Response, error) {
	st, _ := req.Context().Value(stateKey{}).(*reqState)
	if st != nil && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		body = spliceExtras(body, st.minTokens)
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	if st != nil {
		st.sentAt = time.Now()
	}
	resp, err := d.client.Do(req)
	if err != nil || st == nil {
		return resp, err
	}
	st.ackAt, st.body = time.Now(), resp.Body
	return resp, nil
}

// spliceExtras inserts the engine extensions after the body's opening brace.
func spliceExtras(body []byte, minTokens int) []byte {
	i := bytes.IndexByte(body, '{')
	if i < 0 {
		return body
	}
	extra := []byte(`"ignore_eos":true,"min_tokens":` + strconv.Itoa(minTokens) + `,"nvext":{"extra_fields":["timing","worker_id"]}`)
	out := make([]byte, 0, len(body)+len(extra)+1)
	out = append(out, body[:i+1]...)
	out = append(out, extra...)
	if rest := bytes.TrimSpace(body[i+1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, body[i+1:]...)
}
