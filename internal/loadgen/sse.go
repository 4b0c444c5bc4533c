package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sashabaranov/go-openai"
)

// sseReader reads a chat completion's server-sent events straight from the
// response body through one buffer: a line already buffered costs one
// bytes.IndexByte, no read syscall and no regular expression (go-openai's
// stream reader matches two regexps a line; docs/performance.md has the
// cost of each). Only the request side goes through go-openai.
//
// Its rules are go-openai v1.43.0's stream_reader.go (processLines), so
// errors read the same: "data:" lines carry chunks, "data: [DONE]" ends the
// stream, a `data: {"error": …}` line or other non-data lines accumulate
// into an error body that becomes an *openai.APIError at the end, and more
// than maxEmptyLines non-data lines in a row are an error. SSE comments
// (":…"), blank lines and event/id/retry fields are skipped without
// counting towards the error body, as the SSE standard says.
type sseReader struct {
	src  io.Reader
	buf  []byte
	r, w int
	// at is when the last read returned: the arrival of every line
	// completed by it (a line is only looked for in bytes already read).
	at  time.Time
	err error
	// errBody accumulates non-data lines, as go-openai's errAccumulator.
	errBody []byte
}

// maxEmptyLines is go-openai's default EmptyMessagesLimit (config.go).
const maxEmptyLines = 300

// maxSSELine bounds one line (a chunk is a few hundred bytes).
const maxSSELine = 8 << 20

var (
	dataPrefix = []byte("data:")
	doneMarker = []byte("[DONE]")
	errPrefix  = []byte(`{"error":`)
)

func newSSEReader(src io.Reader) *sseReader {
	return &sseReader{src: src, buf: make([]byte, 8<<10)}
}

// next returns the next chunk's JSON and when it arrived; io.EOF at
// "[DONE]" or at the end of the body (go-openai's reading too).
func (s *sseReader) next() ([]byte, time.Time, error) {
	empty := 0
	for {
		line, err := s.line()
		if err != nil {
			if apiErr := s.bodyError(); apiErr != nil {
				return nil, s.at, apiErr
			}
			return nil, s.at, err
		}
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 || line[0] == ':' || fieldIs(line, "event") || fieldIs(line, "id") || fieldIs(line, "retry"):
			continue
		case bytes.HasPrefix(line, dataPrefix):
			// go-openai strips `^data:\s*`; RE2's \s is [\t\n\f\r ] (no \v).
			payload := bytes.TrimLeft(line[len(dataPrefix):], "\t\n\f\r ")
			if bytes.HasPrefix(payload, errPrefix) {
				s.errBody = append(s.errBody, payload...)
				if apiErr := s.bodyError(); apiErr != nil {
					return nil, s.at, apiErr
				}
				return nil, s.at, fmt.Errorf("malformed error in stream: %q", payload)
			}
			if bytes.Equal(payload, doneMarker) {
				return nil, s.at, io.EOF
			}
			return payload, s.at, nil
		default:
			s.errBody = append(s.errBody, line...)
			if empty++; empty > maxEmptyLines {
				return nil, s.at, openai.ErrTooManyEmptyStreamMessages
			}
		}
	}
}

// fieldIs reports an SSE field line "name:…".
func fieldIs(line []byte, name string) bool {
	return len(line) > len(name) && line[len(name)] == ':' && string(line[:len(name)]) == name
}

// bodyError turns the accumulated error body into go-openai's error, as its
// stream reader does ("error, " wrapping the *openai.APIError).
func (s *sseReader) bodyError() error {
	if len(s.errBody) == 0 {
		return nil
	}
	var resp openai.ErrorResponse
	if json.Unmarshal(s.errBody, &resp) != nil || resp.Error == nil {
		return nil
	}
	return fmt.Errorf("error, %w", resp.Error)
}

// line returns the next line without its newline; the slice is valid
// until the next call.
func (s *sseReader) line() ([]byte, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.r:s.w], '\n'); i >= 0 {
			l := s.buf[s.r : s.r+i]
			s.r += i + 1
			return l, nil
		}
		if s.err != nil {
			// A last line without its newline is dropped, as go-openai's
			// ReadBytes loop does: the event was cut off.
			return nil, s.err
		}
		s.fill()
	}
}

// fill reads once more into the buffer, first moving the unread bytes to
// its start and growing it when a line fills it.
func (s *sseReader) fill() {
	if s.r > 0 {
		s.w = copy(s.buf, s.buf[s.r:s.w])
		s.r = 0
	}
	if s.w == len(s.buf) {
		if len(s.buf) >= maxSSELine {
			s.err = errors.New("stream line longer than 8 MiB")
			return
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	n, err := s.src.Read(s.buf[s.w:])
	if n > 0 {
		s.w += n
		s.at = time.Now()
	}
	if err != nil {
		s.err = err
	}
}
