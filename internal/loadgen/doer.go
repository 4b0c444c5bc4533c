package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// reqState carries one request's extras into the HTTP doer and its timing
// back out of it.
type reqState struct {
	minTokens int

	mu       sync.Mutex
	sentAt   time.Time
	lastRead time.Time
}

func (s *reqState) readAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRead
}

type stateKey struct{}

func withState(ctx context.Context, s *reqState) context.Context {
	return context.WithValue(ctx, stateKey{}, s)
}

// extraBodyDoer is the HTTP client go-openai sends through. go-openai has no
// field for engine extensions, so the doer splices "ignore_eos": true and
// "min_tokens" into the JSON body; it also takes the send time just before
// the request leaves and timestamps every read of the response body, so a
// chunk's arrival time is known before go-openai parses it.
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
		st.mu.Lock()
		st.sentAt = time.Now()
		st.mu.Unlock()
	}
	resp, err := d.client.Do(req)
	if err != nil || st == nil {
		return resp, err
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, st: st}
	return resp, nil
}

// spliceExtras inserts the engine extensions after the body's opening brace.
func spliceExtras(body []byte, minTokens int) []byte {
	i := bytes.IndexByte(body, '{')
	if i < 0 {
		return body
	}
	extra := []byte(`"ignore_eos":true,"min_tokens":` + strconv.Itoa(minTokens))
	out := make([]byte, 0, len(body)+len(extra)+1)
	out = append(out, body[:i+1]...)
	out = append(out, extra...)
	if rest := bytes.TrimSpace(body[i+1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, body[i+1:]...)
}

// timedBody records when each read returned data.
type timedBody struct {
	io.ReadCloser
	st *reqState
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		now := time.Now()
		b.st.mu.Lock()
		b.st.lastRead = now
		b.st.mu.Unlock()
	}
	return n, err
}
