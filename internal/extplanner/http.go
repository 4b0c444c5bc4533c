// Package extplanner talks to planners outside plannerbench: any program
// answering the HTTP protocol (schemas/external_planner_http.schema.json),
// and Dynamo's own planner through its VirtualConnector's etcd keys
// (virtual.go), for which plannerbench plays the environment.
package extplanner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"plannerbench/internal/planner"
	"plannerbench/schemas"
)

// maxAnswer bounds an answer's body.
const maxAnswer = 1 << 20

// BadAnswerError is an answer plannerbench cannot act on: an HTTP error, a
// timeout, a body that is not the protocol's JSON, counts out of range.
// The tick records it and changes nothing.
type BadAnswerError struct{ Reason string }

func (e *BadAnswerError) Error() string { return "bad answer: " + e.Reason }

func bad(format string, a ...any) error { return &BadAnswerError{Reason: fmt.Sprintf(format, a...)} }

// Ask POSTs one interval's request to url and returns the planner's
// answer; every failure is a *BadAnswerError.
func Ask(ctx context.Context, client *http.Client, url string, timeout time.Duration, req schemas.ExternalRequest) (schemas.ExternalAnswer, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return schemas.ExternalAnswer{}, fmt.Errorf("encode the planner request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return schemas.ExternalAnswer{}, bad("%v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return schemas.ExternalAnswer{}, bad("no answer within %s", timeout)
		}
		return schemas.ExternalAnswer{}, bad("%v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return schemas.ExternalAnswer{}, bad("reading the answer: %v", err)
	}
	if resp.StatusCode/100 != 2 {
		return schemas.ExternalAnswer{}, bad("HTTP %d: %s", resp.StatusCode, truncate(data))
	}
	if len(data) > maxAnswer {
		return schemas.ExternalAnswer{}, bad("answer longer than %d bytes", maxAnswer)
	}
	return ParseAnswer(data)
}

// ParseAnswer reads an answer body: an object with integer prefill >= 0
// and decode >= 1 (a graph keeps one decode worker) and an optional
// string reason; other fields are ignored.
func ParseAnswer(data []byte) (schemas.ExternalAnswer, error) {
	var a struct {
		Prefill *json.Number `json:"prefill"`
		Decode  *json.Number `json:"decode"`
		Reason  *string      `json:"reason"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		return schemas.ExternalAnswer{}, bad("not the protocol's JSON: %v: %s", err, truncate(data))
	}
	var out schemas.ExternalAnswer
	for _, f := range []struct {
		name string
		v    *json.Number
		min  int64
		to   *int
	}{{"prefill", a.Prefill, 0, &out.Prefill}, {"decode", a.Decode, 1, &out.Decode}} {
		if f.v == nil {
			return schemas.ExternalAnswer{}, bad("%s is missing", f.name)
		}
		n, err := f.v.Int64()
		if err != nil {
			return schemas.ExternalAnswer{}, bad("%s %s is not an integer", f.name, f.v)
		}
		if n < f.min || n > 1<<20 {
			return schemas.ExternalAnswer{}, bad("%s %d is out of range (>= %d)", f.name, n, f.min)
		}
		*f.to = int(n)
	}
	if a.Reason != nil {
		out.Reason = *a.Reason
	}
	return out, nil
}

// WantOf turns an answer (or the error asking) into what the tick applies.
func WantOf(a schemas.ExternalAnswer, err error) planner.Want {
	if err != nil {
		return planner.Want{Reason: err.Error()}
	}
	return planner.AnswerWant(a)
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
