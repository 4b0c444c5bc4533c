package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sashabaranov/go-openai"
)

// readAllSSE drains r: the payloads, then the final error (nil at io.EOF).
func readAllSSE(r io.Reader) ([]string, error) {
	s := newSSEReader(r)
	var out []string
	for {
		p, _, err := s.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(p))
	}
}

// bodyServer answers every request with the body last set, so one server
// (and its kept-alive connection) serves a whole fuzzing run.
type bodyServer struct {
	srv    *httptest.Server
	client *openai.Client
	mu     sync.Mutex
	body   string
}

func newBodyServer(tb testing.TB) *bodyServer {
	b := &bodyServer{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		b.mu.Lock()
		body := b.body
		b.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, body)
	}))
	tb.Cleanup(b.srv.Close)
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = b.srv.URL + "/v1"
	b.client = openai.NewClientWithConfig(cfg)
	return b
}

// viaGoOpenAI reads body with go-openai's own stream reader (RecvRaw), the
// reference sseReader must agree with.
func (b *bodyServer) viaGoOpenAI(body string) ([]string, error) {
	b.mu.Lock()
	b.body = body
	b.mu.Unlock()
	stream, err := b.client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: "m", Stream: true})
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	defer stream.Close()
	var out []string
	for {
		raw, err := stream.RecvRaw()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(raw))
	}
}

// oneByte returns one byte a read, the worst split a network can make.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) { return o.r.Read(p[:1]) }

func TestSSEReaderAgreesWithGoOpenAI(t *testing.T) {
	srv := newBodyServer(t)
	chunk := `{"choices":[{"delta":{"content":"a"}}]}`
	for _, tc := range []struct{ name, body string }{
		{"plain", "data: " + chunk + "\n\ndata: " + chunk + "\n\ndata: [DONE]\n\n"},
		{"no space after colon", "data:" + chunk + "\n\ndata:[DONE]\n\n"},
		{"crlf", "data: " + chunk + "\r\n\r\ndata: [DONE]\r\n\r\n"},
		{"ends without done", "data: " + chunk + "\n\n"},
		{"cut-off last line", "data: " + chunk + "\n\ndata: " + chunk},
		{"error line mid-stream", "data: " + chunk + "\n\ndata: {\"error\":{\"message\":\"engine died\",\"type\":\"server_error\"}}\n\n"},
		{"error body without data prefix", "data: " + chunk + "\n\n{\"error\":{\"message\":\"overloaded\",\"code\":503}}\n"},
		{"long line", "data: {\"choices\":[{\"delta\":{\"content\":\"" + strings.Repeat("x", 40000) + "\"}}]}\n\ndata: [DONE]\n\n"},
		{"too many empty lines", "data: " + chunk + "\n\n" + strings.Repeat("junk\n", 301) + "data: " + chunk + "\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := srv.viaGoOpenAI(tc.body)
			for _, split := range []string{"whole", "one byte a read"} {
				var src io.Reader = strings.NewReader(tc.body)
				if split != "whole" {
					src = oneByte{src}
				}
				got, err := readAllSSE(src)
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("%s: payloads %q, go-openai %q", split, got, want)
				}
				if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
					t.Errorf("%s: error %v, go-openai %v", split, err, wantErr)
				}
				var apiErr *openai.APIError
				if wantErr != nil && errors.As(wantErr, &apiErr) && !errors.As(err, &apiErr) {
					t.Errorf("%s: %v is not an *openai.APIError as go-openai's is", split, err)
				}
			}
		})
	}
}

// Comments, event and id fields are SSE the driver skips; go-openai would
// count them towards its error body, the one place the two differ.
func TestSSEReaderSkipsCommentsAndFields(t *testing.T) {
	body := ": keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata: {\"x\":1}\n\ndata: [DONE]\n\n"
	got, err := readAllSSE(strings.NewReader(body))
	if err != nil || len(got) != 1 || got[0] != `{"x":1}` {
		t.Fatalf("got %q, %v", got, err)
	}
}

// slowBody delivers its parts one read each, pausing before each.
type slowBody struct {
	parts []string
	pause time.Duration
	reads []time.Time
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(b.parts) == 0 {
		return 0, io.EOF
	}
	time.Sleep(b.pause)
	n := copy(p, b.parts[0])
	b.parts = b.parts[1:]
	b.reads = append(b.reads, time.Now())
	return n, nil
}

// A chunk's arrival is the read that completed its line: two events in one
// read share it; an event split over two reads gets the second.
func TestSSEReaderTimesEachLineByTheReadThatCompletedIt(t *testing.T) {
	body := &slowBody{pause: 20 * time.Millisecond, parts: []string{
		"data: {\"a\":1}\n\ndata: {\"b\":2}\n\n", // read 0: two events
		"data: {\"c\"",                           // read 1: half an event
		":3}\n\n",                                // read 2: completes it
	}}
	s := newSSEReader(body)
	var ats []time.Time
	for {
		_, at, err := s.next()
		if err != nil {
			break
		}
		ats = append(ats, at)
	}
	if len(ats) != 3 {
		t.Fatalf("%d events, want 3", len(ats))
	}
	if !ats[0].Equal(ats[1]) {
		t.Errorf("events of one read timed %v and %v", ats[0], ats[1])
	}
	if d := ats[2].Sub(body.reads[2]); d < 0 || d > time.Millisecond {
		t.Errorf("split event timed %v after the read that completed it, want ~0", d)
	}
	if d := ats[2].Sub(ats[0]); d < 35*time.Millisecond {
		t.Errorf("split event only %v after the first read; it needed two more 20 ms reads", d)
	}
}

// FuzzSSEReader reads arbitrary bodies with sseReader and with go-openai's
// own stream reader: for bodies without the SSE fields the driver skips
// and go-openai counts (comments, event/id/retry lines, runs of blank
// lines), both must give the same payloads and the same error text.
func FuzzSSEReader(f *testing.F) {
	chunk := `{"choices":[{"delta":{"content":"a"}}]}`
	for _, seed := range []string{
		"data: " + chunk + "\n\ndata: [DONE]\n\n",
		"data:" + chunk + "\r\n\r\n",
		"data: {\"error\":{\"message\":\"x\"}}\n\n",
		"{\"error\":{\"message\":\"y\",\"code\":500}}\n",
		"data: " + chunk,
	} {
		f.Add(seed)
	}
	srv := newBodyServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		blanks := 0
		for _, l := range strings.Split(body, "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, ":") || fieldIs([]byte(l), "event") || fieldIs([]byte(l), "id") || fieldIs([]byte(l), "retry") {
				return
			}
			if l == "" {
				if blanks++; blanks > maxEmptyLines/2 {
					return
				}
			}
		}
		if strings.Contains(body, `{"error":`) || strings.Count(body, "\n") > 2*maxEmptyLines {
			return // error bodies: go-openai's reading of a malformed one is undefined
		}
		want, wantErr := srv.viaGoOpenAI(body)
		got, err := readAllSSE(strings.NewReader(body))
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("%q: payloads %q, go-openai %q", body, got, want)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, go-openai %v", body, err, wantErr)
		}
	})
}
