package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"plannerbench/deploy/sim"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/report"
	"plannerbench/schemas"
	"plannerbench/virtual/sweep"
)

func newSweepCommand() *cobra.Command {
	var (
		tracePath, yAxis, values, scales, start, baseline, profile, mode, outDir, slo, plannerConfig, graphName string
		parallel                                                                                                int
		out                                                                                                     outputFormat
	)
	c := &cobra.Command{
		Use:   "sweep --trace FILE [--y profile|baseline] [--scales 0.5,...,2] [--out DIR]",
		Short: "Map where a planner wins: virtual-time replays over load scale x profile (or baseline deployment)",
		Long: `Replay the trace in virtual time over a grid: load scales (the trace's request
rates multiplied, every arrival time divided) by a second axis, --y profile
(the shipped profiles, or --values) or --y baseline (the fixed case's
deployment). At every point the planner case (--planner from --start)
runs against the fixed case in noop mode. It prints speedup (baseline /
planner average request latency) and GPU saving (1 - planner / baseline
time-averaged num_gpu) a cell, and writes DIR/sweep.json and the two
heatmaps (PNG, SVG), the seed's point outlined. With DIR a matrix folder,
'plannerbench report' shows the heatmaps too.

  plannerbench sweep --trace seed.jsonl --out results/seed
  plannerbench sweep --trace seed.jsonl --y baseline --values 1p1d,2p2d,3p3d,2p4d,4p2d,4p4d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if tracePath == "" {
				return badInput(errors.New("--trace is required"))
			}
			if _, err := os.Stat(tracePath); err != nil {
				return badInput(fmt.Errorf("--trace: %w", err))
			}
			xs, err := parseScales(scales)
			if err != nil {
				return badInput(err)
			}
			st, err := parseDeploymentFlag(start)
			if err != nil {
				return badInput(fmt.Errorf("--start: %w", err))
			}
			base, err := parseDeploymentFlag(baseline)
			if err != nil {
				return badInput(fmt.Errorf("--baseline: %w", err))
			}
			ys, err := sweepValues(yAxis, values)
			if err != nil {
				return badInput(err)
			}
			if _, err := sim.GraphName(graphName); err != nil {
				return badInput(fmt.Errorf("--graph: %w", err))
			}
			pc, err := loadPlannerConfig(plannerConfig, mode, st, "")
			if err != nil {
				return badInput(err)
			}
			target, err := parseSLO(slo)
			if err != nil {
				return badInput(err)
			}
			res, err := sweep.Run(cmd.Context(), sweep.Options{TracePath: tracePath, Scales: xs, YAxis: yAxis, YValues: ys,
				Profile: profile, Baseline: base, Start: st, Planner: pc, Graph: graphName, SLO: target, Parallel: parallel})
			if err != nil {
				var le *schemas.LineError
				if errors.As(err, &le) {
					return badInput(err)
				}
				return err
			}
			if outDir != "" {
				if err := writeSweep(outDir, res); err != nil {
					return err
				}
			}
			if out.json() {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			return writeSweepTable(cmd.OutOrStdout(), res)
		},
	}
	f := c.Flags()
	f.StringVar(&tracePath, "trace", "", "mooncake JSONL trace")
	f.StringVar(&yAxis, "y", sweep.AxisProfile, "second axis: profile or baseline")
	f.StringVar(&values, "values", "", "the second axis' values, comma-separated (default: every shipped profile, or 1p1d,2p2d,3p3d,2p4d,4p2d,4p4d)")
	f.StringVar(&scales, "scales", "0.5,0.75,1,1.25,1.5,2", "load scales, comma-separated")
	f.StringVar(&start, "start", "1p1d", "the planner case's starting deployment")
	f.StringVar(&baseline, "baseline", "2p2d", "the fixed case's deployment (when --y profile)")
	f.StringVar(&profile, "profile", schemas.DefaultProfile, "simulator profile (when --y baseline)")
	f.StringVar(&mode, "planner", schemas.PlannerLoad, "planner of the planner case: load or sla")
	f.StringVar(&plannerConfig, "planner-config", "", "YAML file of planner settings (the fields of a matrix case's planner section), e.g. the seed's thresholds")
	f.StringVar(&graphName, "graph", sim.GraphPlannerBenchmark, "shipped graph: planner_benchmark (the seed's), disagg_router or always_remote")
	f.StringVar(&outDir, "out", "", "write sweep.json and the heatmaps here")
	f.StringVar(&slo, "slo", "ttft=500ms,itl=50ms", "goodput targets")
	f.IntVar(&parallel, "parallel", 0, "replays at once (default: one a CPU)")
	out.register(f)
	return c
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseScales(s string) ([]float64, error) {
	var out []float64
	for _, p := range splitList(s) {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("--scales: %q is not a positive number", p)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("--scales: none given")
	}
	return out, nil
}

func writeSweepTable(w io.Writer, s *schemas.Sweep) error {
	fmt.Fprintf(w, "sweep of %s: %s planner from %s vs fixed %s: %dx%d grid, %d replays in %.2f s\n", s.Trace, s.Planner, s.Start,
		map[bool]string{true: "baseline", false: s.Baseline}[s.YAxis == sweep.AxisBaseline], len(s.Scales), len(s.YValues), s.Replays, s.Seconds)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, strings.ToUpper(s.YAxis)+"\t")
	for _, x := range s.Scales {
		fmt.Fprintf(tw, "%gx\t", x)
	}
	fmt.Fprintln(tw)
	for y, row := range s.Cells {
		fmt.Fprint(tw, s.YValues[y]+"\t")
		for x, c := range row {
			mark := ""
			if x == s.MarkX && y == s.MarkY {
				mark = "*"
			}
			fmt.Fprintf(tw, "%s%.2fx %+.0f%%\t", mark, c.Speedup, 100*c.GPUSaving)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "each cell: speedup (baseline / planner average latency) and GPU saving (1 - planner / baseline num_gpu); * the seed's point")
	return err
}

// sweepValues resolves --values for the --y axis (every shipped profile,
// or six baselines, when empty), each checked.
func sweepValues(yAxis, values string) ([]string, error) {
	ys := splitList(values)
	switch yAxis {
	case sweep.AxisProfile:
		if len(ys) == 0 {
			ys = sim.ProfileNames()
		}
		for _, p := range ys {
			if _, err := sim.LoadProfile(p); err != nil {
				return nil, fmt.Errorf("--values: %w", err)
			}
		}
	case sweep.AxisBaseline:
		if len(ys) == 0 {
			ys = []string{"1p1d", "2p2d", "3p3d", "2p4d", "4p2d", "4p4d"}
		}
		for _, d := range ys {
			if _, err := parseDeploymentFlag(d); err != nil {
				return nil, fmt.Errorf("--values: %w", err)
			}
		}
	default:
		return nil, fmt.Errorf("--y %q: want profile or baseline", yAxis)
	}
	return ys, nil
}

// writeSweep writes the sweep's grid (sweep.json) and its heatmaps into dir.
func writeSweep(dir string, res *schemas.Sweep) error {
	charts, err := report.SweepHeatmaps(res)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, report.SweepFile), res); err != nil {
		return err
	}
	return report.WriteCharts(dir, charts)
}
