package results

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints a summary in AIPerf's layout: one row a metric with its
// avg, min, max and percentiles, then the throughputs and request counts.
func WriteTable(w io.Writer, s Summary) error {
	t := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(t, "Metric\tavg\tmin\tmax\tp99\tp90\tp75\tp50\tstd\t")
	row := func(name string, d Distribution) {
		fmt.Fprintf(t, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", name, d.Avg, d.Min, d.Max, d.P99, d.P90, d.P75, d.P50, d.Std)
	}
	row("Time To First Token (ms)", s.TTFTMS)
	row("Inter Token Latency (ms)", s.ITLMS)
	row("Request Latency (ms)", s.RequestLatencyMS)
	row("Output Sequence Length (tokens)", s.OutputTokens)
	row("Input Sequence Length (tokens)", s.InputTokens)
	if err := t.Flush(); err != nil {
		return err
	}
	t = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(t, "Output Token Throughput (tokens/sec)\t%.2f\n", s.OutputTokenThroughput)
	fmt.Fprintf(t, "Request Throughput (requests/sec)\t%.2f\n", s.RequestThroughput)
	fmt.Fprintf(t, "Goodput (requests/sec, TTFT <= %gms, ITL <= %gms)\t%.2f (%d requests)\n", s.SLO.TTFTMS, s.SLO.ITLMS, s.Goodput, s.GoodRequests)
	fmt.Fprintf(t, "Requests\t%d (completed %d, errors %d, skipped %d, interrupted %d)\n", s.Requests, s.Completed, s.Errors, s.Skipped, s.Interrupted)
	for _, k := range ErrorClasses(s.ErrorsByClass) {
		fmt.Fprintf(t, "  errors: %s\t%d\n", k, s.ErrorsByClass[k])
	}
	fmt.Fprintf(t, "Duration (trace s, time_scale %g)\t%.1f\n", s.TimeScale, s.DurationS)
	if s.LatenessMS.Max > 0 { // a replay in virtual time is never late
		fmt.Fprintf(t, "Dispatch lateness (wall ms)\tp50 %.3f  p99 %.3f  max %.3f\n", s.LatenessMS.P50, s.LatenessMS.P99, s.LatenessMS.Max)
	}
	if s.AvgNumGPU > 0 {
		fmt.Fprintf(t, "num_gpu (time-averaged, ready workers)\t%.3f (%.0f GPU-seconds, the seed's GPU·s)\n", s.AvgNumGPU, s.ReadyGPUSeconds)
		fmt.Fprintf(t, "GPUs held (time-averaged, with starting and draining)\t%.3f (%.0f GPU-seconds)\n", s.AvgGPUsHeld, s.GPUSeconds)
	}
	return t.Flush()
}
