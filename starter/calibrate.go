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
	)
	c := &cobra.Command{
		Use:   "calibrate RUN_DIR | FILE.npz... -o profile.yaml",
		Short: "Fit a simulator profile to a real run's records or to Dynamo's profiler output",
		Long: `Fit the simulator's timing to measurements and write a profile:

  - RUN_DIR, a case folder of a run on your hardware (requests/ and
    timeline.parquet): prefill time against prompt tokens from the fastest
    TTFT of each prompt-length bucket (minus the KV transfer and one decode
    step), and the decode step against KV utilisation from each request's
    ITL and the timeline's KV usage during its decode;
  - one or more .npz files of Dynamo's pre-deployment profiler (its
    prefill and decode raw_data.npz, or the mocker's single file): TTFT
    against ISL, ITL against KV usage, and the engine's max_kv_tokens.

Everything not fitted (memory, transfer bandwidth, start-up, limits) comes
from --base. It prints each fit's R² and RMSE, writes the profile and, next
to it, a PNG of the points against the fitted curves.

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
				if st, serr := os.Stat(args[0]); serr != nil || !st.IsDir() {
					return badInput(fmt.Errorf("%s: not a run folder", args[0]))
				}
				res, err = calibrate.FromRun(cmd.Context(), args[0], base)
			}
			if err != nil {
				return badInput(err)
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
			out := cmd.OutOrStdout()
			for _, f := range []calibrate.Fit{res.Prefill, res.Decode} {
				fmt.Fprintf(out, "%-34s %d points over [%.4g, %.4g]: coefficients %v, R² %.4f, RMSE %.2f ms\n", f.Name, f.Points, f.MinX, f.MaxX, []float64(f.Coeffs), f.R2, f.RMSE)
			}
			fmt.Fprintf(out, "wrote %s and %s\n", outPath, pngPath)
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&outPath, "output-file", "o", "", "profile YAML to write (a PNG of the fits is written beside it)")
	f.StringVar(&baseName, "base", schemas.DefaultProfile, "profile whose other constants (memory, transfer, start-up, limits) the result keeps")
	f.StringVar(&name, "name", "", "the profile's name (default: the file name)")
	return c
}

// writeProfile writes the calibrated profile with a header that says where
// every fitted number came from, as shipped profiles do.
func writeProfile(w io.Writer, res *calibrate.Result, base string) error {
	fmt.Fprintf(w, "# Calibrated by plannerbench calibrate on %s.\n", time.Now().UTC().Format(time.DateOnly))
	fmt.Fprintf(w, "# Source: %s.\n", res.Source)
	for _, f := range []calibrate.Fit{res.Prefill, res.Decode} {
		fmt.Fprintf(w, "# %s: least squares on %d points over [%.4g, %.4g], R² %.4f, RMSE %.2f ms.\n", f.Name, f.Points, f.MinX, f.MaxX, f.R2, f.RMSE)
	}
	fmt.Fprintf(w, "# Every other constant is profile %s's (see its file for sources).\n", base)
	return yaml.NewEncoder(w).Encode(res.Profile)
}
