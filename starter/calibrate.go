package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"plannerbench/deploy/sim"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/calibrate"
	"plannerbench/schemas"
)

func newCalibrateCommand() *cobra.Command {
	var (
		outPath, baseName, name string
		resultsURL              string
		force                   bool
	)
	c := &cobra.Command{
		Use:   "calibrate RUN_DIR | FILE.npz... -o profile.yaml",
		Short: "Fit a simulator profile to a real run's records or to Dynamo's profiler output",
		Long: `Fit the simulator's timing to measurements and write a profile:

  - RUN_DIR, a case folder of a run on your hardware (requests/ and
    timeline.parquet): prefill time against uncached prompt tokens
    (usage.prompt_tokens_details.cached_tokens) from the fastest request
    of each length bucket, its queueing taken out by Dynamo's recorded
    prefill wait (nvext.timing) or, where the run has none, by keeping the
    requests that met an idle pipeline; less the KV transfer and one
    decode step. The decode step against KV utilisation from each
    request's pure decode gaps between tokens and the timeline's KV usage during
    its decode. Prompts of one length keep --base's shape, scaled; a narrow
    KV range fits a line;
  - one or more .npz files of Dynamo's pre-deployment profiler (its
    prefill and decode raw_data.npz, or the mocker's single file): TTFT
    against ISL, ITL against KV usage, and the engine's max_kv_tokens.

Everything not fitted (memory, transfer bandwidth, start-up, limits) comes
from --base. It prints each fit's R², RMSE and 95% bootstrap interval of
each coefficient, and what the data could not tell; it writes the profile
and, next to it, a PNG of the points against the fitted curves. Where the
data leaves a coefficient undetermined it writes nothing and exits 2,
saying why, unless --force.

  plannerbench calibrate results/seed/planner -o my-h100.yaml
  plannerbench calibrate prefill/raw_data.npz decode/raw_data.npz -o my-h100.yaml
  plannerbench replay --trace seed.jsonl --profile my-h100.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if outPath == "" {
				return badInput(errors.New("-o/--output-file is required (the profile YAML to write)"))
			}
			if ext := filepath.Ext(outPath); ext != ".yaml" && ext != ".yml" {
				return badInput(fmt.Errorf("-o %s: the profile must be a .yaml file", outPath))
			}
			base, err := sim.LoadProfile(baseName)
			if err != nil {
				return badInput(fmt.Errorf("--base: %w", err))
			}
			var res *calibrate.Result
			if strings.HasSuffix(args[0], ".npz") {
				for _, a := range args {
					if !strings.HasSuffix(a, ".npz") {
						return badInput(fmt.Errorf("%s: give either one run folder or .npz files", a))
					}
				}
				res, err = calibrate.FromNPZ(args, base)
			} else {
				if len(args) > 1 {
					return badInput(errors.New("give one run folder (or .npz files)"))
				}
				run := args[0]
				if resultsURL != "" {
					if run, err = fetchCase(cmd.Context(), resultsURL, run); err != nil {
						return err
					}
				}
				if st, serr := os.Stat(run); serr != nil || !st.IsDir() {
					return badInput(fmt.Errorf("%s: not a run folder", run))
				}
				res, err = calibrate.FromRun(cmd.Context(), run, base)
			}
			if err != nil {
				return badInput(err)
			}
			out := cmd.OutOrStdout()
			printFits(out, res)
			if len(res.Undetermined) > 0 && !force {
				return badInput(fmt.Errorf("the data does not determine the profile (nothing written; --force writes it anyway):\n  %s", strings.Join(res.Undetermined, "\n  ")))
			}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(outPath), filepath.Ext(outPath))
			}
			res.Profile.Name = name
			res.Profile.Description = "calibrated from " + res.Source
			if err := res.Profile.Validate(); err != nil {
				return badInput(fmt.Errorf("the fitted profile is not usable (%w); check the points in the plot", err))
			}
			pngPath := strings.TrimSuffix(outPath, filepath.Ext(outPath)) + ".png"
			if err := atomicfile.Write(outPath, func(w io.Writer) error { return writeProfile(w, res, baseName) }); err != nil {
				return err
			}
			if err := atomicfile.Write(pngPath, res.WritePNG); err != nil {
				return err
			}
			if len(res.Undetermined) > 0 {
				fmt.Fprintf(out, "written although undetermined (--force):\n  %s\n", strings.Join(res.Undetermined, "\n  "))
			}
			fmt.Fprintf(out, "wrote %s and %s\n", outPath, pngPath)
			return nil
		},
	}
	f := c.Flags()
	addResultsURL(c, &resultsURL)
	f.StringVarP(&outPath, "output-file", "o", "", "profile YAML to write (a PNG of the fits is written beside it)")
	f.StringVar(&baseName, "base", schemas.DefaultProfile, "profile whose other constants (memory, transfer, start-up, limits) the result keeps")
	f.StringVar(&name, "name", "", "the profile's name (default: the file name)")
	f.BoolVar(&force, "force", false, "write the profile even where the data leaves a coefficient undetermined")
	return c
}

// printFits prints each fit with its intervals, the queueing rule and
// the notes.
func printFits(out io.Writer, res *calibrate.Result) {
	for _, f := range []calibrate.Fit{res.Prefill, res.Decode} {
		fmt.Fprintf(out, "%s: %s, %d points over [%.4g, %.4g], R² %.4f, RMSE %.2f ms\n", f.Name, orDash(f.Shape), f.Points, f.MinX, f.MaxX, f.R2, f.RMSE)
		if f.Shape == calibrate.ShapeScaled && len(f.Intervals) == 1 {
			fmt.Fprintf(out, "  scale %.4f [95%%: %.4f, %.4f] -> coefficients %v\n", f.Scale, f.Intervals[0][0], f.Intervals[0][1], []float64(f.Coeffs))
			continue
		}
		for j, c := range f.Coeffs {
			if j < len(f.Intervals) {
				fmt.Fprintf(out, "  c%d = %.6g [95%%: %.6g, %.6g]\n", j, c, f.Intervals[j][0], f.Intervals[j][1])
			} else {
				fmt.Fprintf(out, "  c%d = %.6g\n", j, c)
			}
		}
	}
	if res.QueueRule != "" {
		fmt.Fprintf(out, "queueing: %s\n", res.QueueRule)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeProfile writes the calibrated profile with a header that says where
// every fitted number came from, as shipped profiles do.
func writeProfile(w io.Writer, res *calibrate.Result, base string) error {
	fmt.Fprintf(w, "# Calibrated by plannerbench calibrate on %s.\n", time.Now().UTC().Format(time.DateOnly))
	fmt.Fprintf(w, "# Source: %s.\n", res.Source)
	for _, f := range []calibrate.Fit{res.Prefill, res.Decode} {
		fmt.Fprintf(w, "# %s: %s, least squares on %d points over [%.4g, %.4g], R² %.4f, RMSE %.2f ms.\n", f.Name, orDash(f.Shape), f.Points, f.MinX, f.MaxX, f.R2, f.RMSE)
	}
	if res.QueueRule != "" {
		fmt.Fprintf(w, "# Queueing taken out by: %s.\n", res.QueueRule)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "# Note: %s.\n", n)
	}
	for _, u := range res.Undetermined {
		fmt.Fprintf(w, "# UNDETERMINED (written with --force): %s.\n", u)
	}
	fmt.Fprintf(w, "# Every other constant is profile %s's (see its file for sources).\n", base)
	return yaml.NewEncoder(w).Encode(res.Profile)
}
