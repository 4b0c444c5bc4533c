package simserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"plannerbench/deploy/sim"
)

// The subset of OpenAI's request bodies the simulator reads. Fields it does
// not model (temperature, top_p, …) are accepted and ignored.
type chatRequest struct {
	Model               string         `json:"model"`
	Messages            []chatMessage  `json:"messages"`
	Stream              bool           `json:"stream"`
	StreamOptions       *streamOptions `json:"stream_options"`
	MaxTokens           *int           `json:"max_tokens"`
	MaxCompletionTokens *int           `json:"max_completion_tokens"`
	MinTokens           *int           `json:"min_tokens"`
	IgnoreEOS           bool           `json:"ignore_eos"`
	N                   *int           `json:"n"`
	NVExt               *nvext         `json:"nvext"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type completionRequest struct {
	Model         string          `json:"model"`
	Prompt        json.RawMessage `json:"prompt"`
	Stream        bool            `json:"stream"`
	StreamOptions *streamOptions  `json:"stream_options"`
	MaxTokens     *int            `json:"max_tokens"`
	MinTokens     *int            `json:"min_tokens"`
	IgnoreEOS     bool            `json:"ignore_eos"`
	N             *int            `json:"n"`
	NVExt         *nvext          `json:"nvext"`
}

// nvext is the part of Dynamo's request extension the simulator reads:
// extra_fields asks for response metadata; "timing" and "worker_id" are
// answered
// (docs/pages/components/frontend/nvext.md in ai-dynamo/dynamo).
type nvext struct {
	ExtraFields []string `json:"extra_fields"`
}

// wants says whether the request asked for nvext field f ("timing",
// "worker_id").
func (n *nvext) wants(f string) bool { return n != nil && slices.Contains(n.ExtraFields, f) }

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// messageText returns a message's text: a plain string, or the text parts of
// a content array.
func messageText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("content must be a string or an array of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
			b.WriteByte(' ')
		}
	}
	return b.String(), nil
}

// promptText returns a completion prompt: a string or an array of one string.
func promptText(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil && len(list) == 1 {
		return list[0], nil
	}
	return "", errors.New("prompt must be a string (or an array of one string)")
}

// apiError is OpenAI's error body.
type apiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func writeAPIError(w http.ResponseWriter, status int, errType, code, param, format string, args ...any) {
	e := apiError{Message: fmt.Sprintf(format, args...), Type: errType}
	if code != "" {
		e.Code = &code
	}
	if param != "" {
		e.Param = &param
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]apiError{"error": e})
}

func badRequest(w http.ResponseWriter, param, format string, args ...any) {
	writeAPIError(w, http.StatusBadRequest, "invalid_request_error", "", param, format, args...)
}

// refused answers 400 with an engine error that wraps sim.ErrBadRequest,
// without its generic prefix.
func refused(w http.ResponseWriter, param string, err error) {
	badRequest(w, param, "%s", strings.TrimPrefix(err.Error(), sim.ErrBadRequest.Error()+": "))
}

type usage struct {
	PromptTokens        int                  `json:"prompt_tokens"`
	CompletionTokens    int                  `json:"completion_tokens"`
	TotalTokens         int                  `json:"total_tokens"`
	PromptTokensDetails *promptTokensDetails `json:"prompt_tokens_details,omitempty"`
}

// promptTokensDetails is vLLM's, sent only when some prompt tokens were
// cached (vllm/entrypoints/openai/chat_completion/serving.py: `if
// self.enable_prompt_tokens_details and num_cached_tokens`).
type promptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// outputWords is the simulated model's vocabulary: token n is word n mod len.
var outputWords = strings.Fields(`the quick brown fox jumps over a lazy dog while planners scale prefill and decode workers to serve tokens`)

// outputToken is the text of the n-th generated token (1-based), with its
// leading space, so that the output has exactly n whitespace-separated words.
func outputToken(n int) string { return " " + outputWords[(n-1)%len(outputWords)] }
