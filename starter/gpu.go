package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"plannerbench/internal/casefolder"
	"plannerbench/internal/gpu"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

func newGPUCommand() *cobra.Command {
	c := &cobra.Command{Use: "gpu", Short: "GPU telemetry of this machine (NVML)"}
	c.AddCommand(newGPUSampleCommand())
	return c
}

func newGPUSampleCommand() *cobra.Command {
	var (
		interval, duration time.Duration
		outDir, node       string
		out                outputFormat
	)
	c := &cobra.Command{
		Use:   "sample [--interval 1s] [--duration 10s] [--out DIR]",
		Short: "Sample every local GPU through NVML: utilisation, memory, power, energy, SM clock, temperature, XID errors",
		Long: `Sample every GPU of this machine through NVML, as a case's GPU sampler does:
utilisation, memory used, power, cumulative energy, SM clock, temperature and
critical XID errors, every --interval for --duration. With --out the samples
are written crash-safe as Parquet parts under DIR/gpu/. The last read of each
GPU is printed (table or JSON), with the energy used while sampling.

On a machine without an NVIDIA driver it says so and exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if interval <= 0 || duration <= 0 {
				return badInput(errors.New("--interval and --duration must be > 0"))
			}
			src, err := gpu.OpenLocal(node)
			if err != nil {
				return err
			}
			defer src.Close()
			var w *results.PartWriter[schemas.GPUSample]
			if outDir != "" {
				if w, err = results.NewGPUWriter(casefolder.GPUPath(outDir)); err != nil {
					return err
				}
			}
			var first, last []schemas.GPUSample
			ctx, cancel := context.WithTimeout(cmd.Context(), duration)
			defer cancel()
			s := &gpu.Sampler{Source: src, Interval: interval,
				OnError: func(err error) { fmt.Fprintln(cmd.ErrOrStderr(), "gpu sample:", err) },
				Sink: func(samples []schemas.GPUSample) error {
					if first == nil {
						first = samples
					}
					last = samples
					if w == nil {
						return nil
					}
					for _, x := range samples {
						w.Add(x)
					}
					return w.Flush()
				}}
			reads, err := s.Run(ctx)
			if err != nil {
				return err
			}
			if out.json() {
				return writeJSON(cmd.OutOrStdout(), last)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d GPU(s), %d reads every %s\n", src.Devices(), reads, interval)
			return writeGPUTable(cmd.OutOrStdout(), first, last)
		},
	}
	host, _ := os.Hostname()
	f := c.Flags()
	f.DurationVar(&interval, "interval", time.Second, "time between reads")
	f.DurationVar(&duration, "duration", 10*time.Second, "how long to sample")
	f.StringVar(&outDir, "out", "", "write DIR/gpu/part-*.parquet")
	f.StringVar(&node, "node", host, "node name recorded with each sample")
	out.register(f)
	return c
}

// writeGPUTable prints each GPU's last read and the energy used between the
// first and last read.
func writeGPUTable(w io.Writer, first, last []schemas.GPUSample) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "GPU\tNAME\tUTIL %\tMEM USED GiB\tMEM TOTAL GiB\tPOWER W\tENERGY USED J\tSM MHZ\tTEMP C\tXID\t")
	for i, s := range last {
		used := math.NaN()
		if i < len(first) {
			used = s.EnergyJ - first[i].EnergyJ
		}
		fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.2f\t%.2f\t%.1f\t%.1f\t%d\t%d\t%d\t\n", s.Index, s.Name, s.UtilizationPct,
			gib(s.MemoryUsedBytes), gib(s.MemoryTotalBytes), s.PowerW, used, s.SMClockMHz, s.TemperatureC, s.XIDErrors)
	}
	return tw.Flush()
}

func gib(b int64) float64 {
	if b < 0 {
		return math.NaN()
	}
	return float64(b) / (1 << 30)
}
