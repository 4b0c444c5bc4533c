package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"plannerbench/internal/synth"
	"plannerbench/schemas"
)

func newTraceSynthCommand() *cobra.Command {
	p := schemas.DefaultSynthParams()
	var outFile string
	var out outputFormat
	c := &cobra.Command{
		Use:   "synth",
		Short: "Generate a sinusoidal-load trace (flags and file name as Dynamo's sin_synth.py)",
		Long: `Generate a mooncake-format JSONL trace whose request rate and ISL/OSL class
ratio follow sinusoids, with the semantics, flag names, defaults and default
output name of Dynamo's benchmarks/sin_load_generator/sin_synth.py. The same
--seed always gives the same bytes.

The seed experiment's trace:
  plannerbench trace synth --time-duration 600 --request-rate-min 5 \
    --request-rate-max 20 --request-rate-period 150 \
    --isl1 3000 --osl1 150 --isl2 3000 --osl2 150`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			cmd.Flags().Visit(func(f *pflag.Flag) {
				if f.Name != "output-file" && f.Name != "output" {
					p.MarkGiven(f.Name)
				}
			})
			if errs := p.Validate(""); len(errs) > 0 {
				return badInput(fmt.Errorf("invalid flags:\n%w", flagNames(errs)))
			}
			if outFile == "" {
				outFile = synth.DefaultFileName(p)
			}
			if st, err := os.Stat(outFile); err == nil && st.IsDir() {
				return badInput(fmt.Errorf("--output-file %s: is a directory; name the trace file to write", outFile))
			}
			opts := synth.Options{}
			if bar := newProgressBar(cmd.ErrOrStderr(), p.TimeDuration/p.ProcessInterval, "synthesizing"); bar != nil {
				opts.Progress = func(done, _ int) { _ = bar.Set(done) }
				defer bar.Finish()
			}
			start := time.Now()
			ref, err := synth.WriteFile(cmd.Context(), p, outFile, opts)
			if err != nil {
				return err
			}
			elapsed := time.Since(start)
			if out.json() {
				return writeJSON(cmd.OutOrStdout(), map[string]any{
					"path": ref.Path, "rows": ref.Rows, "sha256": ref.SHA256, "seconds": elapsed.Seconds(), "params": p,
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d requests to %s in %.2fs (sha256 %s)\n", ref.Rows, ref.Path, elapsed.Seconds(), ref.SHA256)
			return nil
		},
	}
	f := c.Flags()
	f.IntVar(&p.TimeDuration, "time-duration", p.TimeDuration, "trace length in seconds")
	f.IntVar(&p.ProcessInterval, "process-interval", p.ProcessInterval, "seconds per sampling interval (one Poisson draw each)")
	f.Float64Var(&p.RequestRateMin, "request-rate-min", p.RequestRateMin, "minimum request rate (req/s)")
	f.Float64Var(&p.RequestRateMax, "request-rate-max", p.RequestRateMax, "maximum request rate (req/s)")
	f.Float64Var(&p.RequestRatePeriod, "request-rate-period", p.RequestRatePeriod, "period of the request-rate sinusoid (s)")
	f.IntVar(&p.ISL1, "isl1", p.ISL1, "input length of class 1 (tokens)")
	f.IntVar(&p.OSL1, "osl1", p.OSL1, "output length of class 1 (tokens)")
	f.IntVar(&p.ISL2, "isl2", p.ISL2, "input length of class 2 (tokens)")
	f.IntVar(&p.OSL2, "osl2", p.OSL2, "output length of class 2 (tokens)")
	f.Float64Var(&p.ISLOSLRatioMin, "isl-osl-ratio-min", p.ISLOSLRatioMin, "minimum share of class 1")
	f.Float64Var(&p.ISLOSLRatioMax, "isl-osl-ratio-max", p.ISLOSLRatioMax, "maximum share of class 1")
	f.Float64Var(&p.ISLOSLRatioPeriod, "isl-osl-ratio-period", p.ISLOSLRatioPeriod, "period of the class-share sinusoid (s)")
	f.IntVar(&p.BlockSize, "block-size", p.BlockSize, "tokens per hash block")
	f.IntVar(&p.TotalBlocks, "total-blocks", p.TotalBlocks, "raw blocks are drawn from [0, total-blocks]")
	f.Uint64Var(&p.Seed, "seed", p.Seed, "random seed; the same seed gives the same bytes")
	f.StringVar(&p.Phase, "phase", schemas.PhaseMin, "where the sinusoids start: min (sin_synth.py today) or mean (the planner guide's own script, the seed's trace)")
	f.StringVar(&outFile, "output-file", "", "output path (default: the reference's name built from the flags)")
	out.register(f)
	return c
}

// flagNames rewrites field paths (request_rate_min) as the flags the user
// typed (--request-rate-min).
func flagNames(errs schemas.FieldErrors) schemas.FieldErrors {
	out := make(schemas.FieldErrors, len(errs))
	for i, e := range errs {
		e.Path = "--" + strings.ReplaceAll(e.Path, "_", "-")
		out[i] = e
	}
	return out
}

// newProgressBar returns a bar on w when w is a terminal, else nil: logs and
// pipes get no control characters.
func newProgressBar(w io.Writer, total int, what string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}
