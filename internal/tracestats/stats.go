// Package tracestats summarises a mooncake trace in one streaming pass:
// request count, duration, rate per time bucket, ISL/OSL classes and hash-id
// reuse. Memory is constant in the number of rows (a bitset of seen hash ids
// aside).
package tracestats

import (
	"fmt"
	"math"
	"sort"
	"time"

	"plannerbench/schemas"
)

// Class is one (input length, output length) pair and its share of requests.
type Class struct {
	InputLength  int     `json:"input_length"`
	OutputLength int     `json:"output_length"`
	Requests     int     `json:"requests"`
	Share        float64 `json:"share"`
}

// Stats describes a trace.
type Stats struct {
	File     string `json:"file,omitempty"`
	Requests int    `json:"requests"`
	FirstMS  int64  `json:"first_timestamp_ms"`
	LastMS   int64  `json:"last_timestamp_ms"`
	// DurationS is the span from the trace's start (t = 0) to its last send.
	DurationS float64 `json:"duration_s"`
	// MeanRate is Requests / DurationS.
	MeanRate float64 `json:"mean_rate"`
	BucketS  float64 `json:"bucket_s"`
	// BucketRates are requests per second in consecutive buckets from t = 0.
	BucketRates []float64 `json:"bucket_rates"`
	// MinBucketRate and MaxBucketRate span the complete buckets: a final
	// bucket that the trace covers less than 90% of is left out.
	MinBucketRate float64 `json:"min_bucket_rate"`
	MaxBucketRate float64 `json:"max_bucket_rate"`
	InputTokens   int64   `json:"input_tokens"`
	OutputTokens  int64   `json:"output_tokens"`
	Classes       []Class `json:"classes"`
	Blocks        int64   `json:"blocks"`
	UniqueHashIDs int64   `json:"unique_hash_ids"`
}

// Accumulator builds Stats one record at a time.
type Accumulator struct {
	bucketMS int64
	s        Stats
	buckets  []int
	classes  map[[2]int]int
	seen     idSet
}

// NewAccumulator buckets rates by bucket (must be ≥ 1 ms).
func NewAccumulator(bucket time.Duration) (*Accumulator, error) {
	if bucket < time.Millisecond {
		return nil, fmt.Errorf("bucket must be at least 1ms, got %s", bucket)
	}
	return &Accumulator{bucketMS: bucket.Milliseconds(), classes: map[[2]int]int{}, s: Stats{BucketS: bucket.Seconds()}}, nil
}

// Add counts one record.
func (a *Accumulator) Add(r *schemas.TraceRecord) {
	if a.s.Requests == 0 {
		a.s.FirstMS = r.Timestamp
	}
	a.s.Requests++
	a.s.LastMS = r.Timestamp
	b := int(r.Timestamp / a.bucketMS)
	for len(a.buckets) <= b {
		a.buckets = append(a.buckets, 0)
	}
	a.buckets[b]++
	a.classes[[2]int{r.InputLength, r.OutputLength}]++
	a.s.InputTokens += int64(r.InputLength)
	a.s.OutputTokens += int64(r.OutputLength)
	a.s.Blocks += int64(len(r.HashIDs))
	for _, id := range r.HashIDs {
		if a.seen.add(id) {
			a.s.UniqueHashIDs++
		}
	}
}

// Stats returns the summary so far.
func (a *Accumulator) Stats() Stats {
	s := a.s
	s.DurationS = float64(s.LastMS) / 1000
	if s.DurationS > 0 {
		s.MeanRate = float64(s.Requests) / s.DurationS
	}
	s.BucketRates = make([]float64, len(a.buckets))
	complete := len(a.buckets)
	if complete > 0 && float64(s.LastMS-int64(complete-1)*a.bucketMS) < 0.9*float64(a.bucketMS) {
		complete-- // the last bucket is mostly past the end of the trace
	}
	s.MinBucketRate, s.MaxBucketRate = math.Inf(1), math.Inf(-1)
	for i, n := range a.buckets {
		s.BucketRates[i] = float64(n) / s.BucketS
		if i < complete {
			s.MinBucketRate = math.Min(s.MinBucketRate, s.BucketRates[i])
			s.MaxBucketRate = math.Max(s.MaxBucketRate, s.BucketRates[i])
		}
	}
	if complete == 0 {
		s.MinBucketRate, s.MaxBucketRate = 0, 0
	}
	for k, n := range a.classes {
		s.Classes = append(s.Classes, Class{InputLength: k[0], OutputLength: k[1], Requests: n, Share: float64(n) / float64(s.Requests)})
	}
	sort.Slice(s.Classes, func(i, j int) bool {
		ci, cj := s.Classes[i], s.Classes[j]
		if ci.Requests != cj.Requests {
			return ci.Requests > cj.Requests
		}
		if ci.InputLength != cj.InputLength {
			return ci.InputLength < cj.InputLength
		}
		return ci.OutputLength < cj.OutputLength
	})
	return s
}

// File streams the trace at path into Stats.
func File(path string, bucket time.Duration) (Stats, error) {
	a, err := NewAccumulator(bucket)
	if err != nil {
		return Stats{}, err
	}
	err = schemas.ForEachTraceRecord(path, func(_ int64, r *schemas.TraceRecord) error {
		a.Add(r)
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	s := a.Stats()
	s.File = path
	return s, nil
}

// idSet is a bitset for the dense ids synthesized traces use, with a map
// fallback for ids too large to index.
type idSet struct {
	bits  []uint64
	large map[int64]struct{}
}

const bitsetLimit = 1 << 30

func (s *idSet) add(id int64) bool {
	if id >= bitsetLimit {
		if s.large == nil {
			s.large = map[int64]struct{}{}
		}
		if _, ok := s.large[id]; ok {
			return false
		}
		s.large[id] = struct{}{}
		return true
	}
	w := int(id / 64)
	if w >= len(s.bits) {
		s.bits = append(s.bits, make([]uint64, w-len(s.bits)+1+len(s.bits)/2)...)
	}
	mask := uint64(1) << (id % 64)
	if s.bits[w]&mask != 0 {
		return false
	}
	s.bits[w] |= mask
	return true
}
