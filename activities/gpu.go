package activities

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"plannerbench/internal/casefolder"
	"plannerbench/internal/gpu"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// gpuSource picks where a case's GPU telemetry comes from: the simulator's
// modelled power, the deployment's DCGM exporters, or NVML on this node.
func (a *Activities) gpuSource(ref schemas.DeploymentRef) (gpu.Source, error) {
	switch {
	case ref.Backend == schemas.BackendSim:
		return &gpu.ScrapeSource{URLs: ref.MetricsURLs, HTTP: a.Env.Client(), Node: a.Node, Source: schemas.GPUSourceModelled}, nil
	case len(ref.DCGMURLs) > 0:
		return &gpu.ScrapeSource{URLs: ref.DCGMURLs, HTTP: a.Env.Client(), Node: a.Node, Source: schemas.GPUSourceDCGM}, nil
	}
	return gpu.OpenLocal(a.Node)
}

// sampleGPUs samples the case's GPUs every second into its gpu/ parts
// until the returned stop is called. Without NVML (and no other source) it
// says so once in the activity log and samples nothing: the case goes on.
func (a *Activities) sampleGPUs(ctx context.Context, caseDir string, ref schemas.DeploymentRef) (stop func()) {
	log := activity.GetLogger(ctx)
	src, err := a.gpuSource(ref)
	if err != nil {
		if errors.Is(err, gpu.ErrNoNVML) {
			log.Info("no GPU telemetry for this case: " + err.Error())
		} else {
			log.Warn("no GPU telemetry for this case", "error", err)
		}
		return func() {}
	}
	w, err := results.NewGPUWriter(casefolder.GPUPath(caseDir))
	if err != nil {
		log.Warn("no GPU telemetry for this case", "error", err)
		_ = src.Close()
		return func() {}
	}
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer src.Close()
		reported := false
		s := &gpu.Sampler{Source: src, Interval: time.Second,
			OnError: func(err error) {
				if !reported && sctx.Err() == nil {
					reported = true
					log.Warn("GPU sample failed (further failures not logged)", "error", err)
				}
			},
			Sink: func(samples []schemas.GPUSample) error {
				for _, x := range samples {
					w.Add(x)
				}
				// Parts of about a minute: crash-safe without a file a second.
				if w.Pending() >= 60*len(samples) {
					return w.Flush()
				}
				return nil
			}}
		if _, err := s.Run(sctx); err != nil {
			log.Warn("GPU sampler stopped", "error", err)
		}
		if err := w.Flush(); err != nil {
			log.Warn("GPU samples not written", "error", err)
		}
	}()
	return func() { cancel(); wg.Wait() }
}
