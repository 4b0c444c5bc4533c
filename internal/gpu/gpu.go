// Package gpu samples GPU telemetry: utilisation, memory, power, energy, SM
// clock, temperature and XID errors, one Sample a GPU a read. NVMLSource
// reads the local GPUs through go-nvml; the Sampler calls a Source every
// interval and hands each read to a sink (the case folder's gpu parts).
package gpu

import (
	"context"
	"errors"
	"time"

	"plannerbench/schemas"
)

// Sample is one GPU at one instant (schemas.GPUSample).
type Sample = schemas.GPUSample

// ErrNoNVML means the machine has no usable NVML (no NVIDIA driver, or a
// binary built without cgo): the caller says so once and goes on without
// GPU telemetry.
var ErrNoNVML = errors.New("NVML is not available on this machine")

// LocalSource is a Source over this machine's GPUs (OpenLocal).
type LocalSource interface {
	Source
	Devices() int
}

// Source reads every GPU it knows once.
type Source interface {
	Read(ctx context.Context) ([]Sample, error)
	Close() error
}

// Sampler reads a Source every Interval until its context ends.
type Sampler struct {
	Source   Source
	Interval time.Duration
	// Sink receives each read; an error from it stops the sampler.
	Sink func([]Sample) error
	// OnError is told about a failed read (the sampler goes on).
	OnError func(error)
}

// Run samples until ctx ends; it returns the number of reads delivered.
func (s *Sampler) Run(ctx context.Context) (int, error) {
	every := s.Interval
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	reads := 0
	for ctx.Err() == nil {
		samples, err := s.Source.Read(ctx)
		if err != nil {
			if s.OnError != nil {
				s.OnError(err)
			}
		} else if len(samples) > 0 {
			if err := s.Sink(samples); err != nil {
				return reads, err
			}
			reads++
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return reads, nil
}
