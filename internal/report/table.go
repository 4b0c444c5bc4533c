package report

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// WriteTable prints the comparison: one row a case, grouped by trace, the
// baseline marked, then the sentences.
func WriteTable(w io.Writer, cmp Comparison) error {
	fmt.Fprintf(w, "matrix %s, baseline %s\n", cmp.Matrix, cmp.Baseline)
	for _, g := range cmp.Groups {
		if g.Key != "" {
			fmt.Fprintf(w, "\n%s\n", g.Key)
		}
		t := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(t, "CASE\tDEPLOY\tPLANNER\tREQUESTS\tERRORS\tAVG LATENCY s\tSPEEDUP\tTTFT P50/P90/P99 ms\tITL P50/P90/P99 ms\tOUT TOK/S\tGOODPUT\tNUM_GPU\tLESS GPU\tGPU-HOURS\t")
		for _, r := range g.Rows {
			name := r.ID
			if r.Baseline {
				name += " *"
			}
			s := r.Summary
			if !usable(r.Case) {
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t\t\t\t\t\t\t\t\t\t\t\n", name, deploymentLabel(r.Case), r.Spec.Planner.Mode, r.Status)
				continue
			}
			speed, less := "-", "-"
			if r.Ratios != nil {
				speed, less = fmt.Sprintf("%.2fx", r.Ratios.Speedup), pct(r.Ratios.GPULessPercent)
			}
			fmt.Fprintf(t, "%s\t%s\t%s\t%d\t%d\t%.2f\t%s\t%.0f/%.0f/%.0f\t%.1f/%.1f/%.1f\t%.1f\t%.2f\t%.3f\t%s\t%.3f\t\n",
				name, deploymentLabel(r.Case), r.Spec.Planner.Mode, s.Completed, s.Errors, s.AvgRequestLatencyMS/1000, speed,
				s.TTFTMS.P50, s.TTFTMS.P90, s.TTFTMS.P99, s.ITLMS.P50, s.ITLMS.P90, s.ITLMS.P99,
				s.OutputTokenThroughput, s.Goodput, s.AvgNumGPU, less, r.GPUHours)
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if len(cmp.Published) > 0 {
		fmt.Fprintln(w, "\nReference (not measured here):")
		t := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(t, "SOURCE\tCASE\tDEPLOY\tPLANNER\tAVG LATENCY s\tGPU-s\tNOTE\t")
		for _, p := range cmp.Published {
			fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%.1f\t%.0f\t%s\t\n", p.Source, p.Case, p.Deployment, p.Planner, p.AvgLatency, p.GPUSeconds, p.Note)
		}
		if err := t.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w, "Measured cases' GPU-s (num_gpu integrated over the load): see each summary's ready_gpu_seconds.")
	}
	fmt.Fprintln(w, "\n* baseline. SPEEDUP: baseline / case average request latency; LESS GPU: 1 - case / baseline time-averaged num_gpu.")
	for _, s := range cmp.Sentences {
		fmt.Fprintln(w, s+".")
	}
	for _, s := range cmp.EnergySentences {
		fmt.Fprintln(w, s+".")
	}
	return nil
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", v)
}
