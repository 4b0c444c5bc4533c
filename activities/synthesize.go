package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/activity"

	"plannerbench/activities/payload"
	"plannerbench/internal/synth"
	"plannerbench/schemas"
)

// traceMeta sits beside a synthesized trace: the parameters and hash it was
// made with, so a retry or another case reuses it instead of rewriting it.
type traceMeta struct {
	Params schemas.SynthParams `json:"params"`
	Ref    schemas.TraceRef    `json:"ref"`
}

// SynthesizeTrace returns the case's trace: for a recorded trace, its
// checked reference; for a recipe, a file under <matrix>/traces/ named as
// the reference generator names it (seed appended), reused when the same
// parameters already produced it and its hash still matches.
func (a *Activities) SynthesizeTrace(ctx context.Context, in payload.SynthesizeInput) (schemas.TraceRef, error) {
	if in.Trace.Path != "" {
		return a.checkTrace(in.Trace.Path)
	}
	if in.Trace.Synth == nil {
		return schemas.TraceRef{}, validationError("case %s: the trace has neither synth nor path", in.Case.Case)
	}
	p := *in.Trace.Synth
	if errs := p.Validate("trace.synth"); len(errs) > 0 {
		return schemas.TraceRef{}, validationError("case %s: %v", in.Case.Case, errs)
	}
	name := synth.DefaultFileName(p)
	name = name[:len(name)-len(".jsonl")] + fmt.Sprintf("_seed%d", p.Seed)
	if p.Phase == schemas.PhaseMean { // the reference's name does not tell the phases apart
		name += "_phase-mean"
	}
	name += ".jsonl"
	path := filepath.Join(a.ResultsDir, in.Case.Matrix, "traces", name)
	metaPath := path + ".meta.json"
	if ref, ok := reuseTrace(path, metaPath, p); ok {
		activity.GetLogger(ctx).Info("reusing trace", "path", path, "rows", ref.Rows)
		return ref, nil
	}
	ref, err := synth.WriteFile(ctx, p, path, synth.Options{Progress: func(done, total int) {
		if done%50 == 0 {
			activity.RecordHeartbeat(ctx, done)
		}
	}})
	if err != nil {
		return schemas.TraceRef{}, fmt.Errorf("synthesize %s: %w", path, err)
	}
	data, _ := json.MarshalIndent(traceMeta{Params: p, Ref: ref}, "", "  ")
	if err := os.WriteFile(metaPath, data, 0o644); err != nil {
		return schemas.TraceRef{}, fmt.Errorf("write %s: %w", metaPath, err)
	}
	return ref, nil
}

func reuseTrace(path, metaPath string, p schemas.SynthParams) (schemas.TraceRef, bool) {
	data, err := os.ReadFile(metaPath)
	if err != nil {
		return schemas.TraceRef{}, false
	}
	var m traceMeta
	if json.Unmarshal(data, &m) != nil {
		return schemas.TraceRef{}, false
	}
	a, _ := json.Marshal(m.Params)
	b, _ := json.Marshal(p)
	if string(a) != string(b) {
		return schemas.TraceRef{}, false
	}
	sum, err := synth.FileSHA256(path)
	if err != nil || sum != m.Ref.SHA256 {
		return schemas.TraceRef{}, false
	}
	return m.Ref, true
}

// checkTrace validates a recorded trace and returns its reference.
func (a *Activities) checkTrace(path string) (schemas.TraceRef, error) {
	rows := 0
	err := schemas.ForEachTraceRecord(path, func(int64, *schemas.TraceRecord) error { rows++; return nil })
	var le *schemas.LineError
	if errors.As(err, &le) || os.IsNotExist(errors.Unwrap(err)) {
		return schemas.TraceRef{}, asValidation(err)
	}
	if err != nil {
		return schemas.TraceRef{}, err
	}
	sum, err := synth.FileSHA256(path)
	if err != nil {
		return schemas.TraceRef{}, err
	}
	return schemas.TraceRef{Path: path, SHA256: sum, Rows: rows}, nil
}
