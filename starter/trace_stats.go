package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"plannerbench/internal/tracestats"
)

func newTraceStatsCommand() *cobra.Command {
	var bucket time.Duration
	var out outputFormat
	c := &cobra.Command{
		Use:   "stats FILE",
		Short: "Summarise a trace: requests, duration, rate per bucket, ISL/OSL classes, hash ids",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			s, err := tracestats.File(args[0], bucket)
			if err != nil {
				return badInput(err)
			}
			if s.Requests == 0 {
				return badInput(fmt.Errorf("%s: the trace holds no requests", args[0]))
			}
			if out.json() {
				return writeJSON(cmd.OutOrStdout(), s)
			}
			return printTraceStats(cmd.OutOrStdout(), s)
		},
	}
	c.Flags().DurationVar(&bucket, "bucket", 10*time.Second, "width of the rate buckets")
	out.register(c.Flags())
	return c
}

func printTraceStats(w io.Writer, s tracestats.Stats) error {
	t := newTable(w)
	fmt.Fprintf(t, "file\t%s\n", s.File)
	fmt.Fprintf(t, "requests\t%d\n", s.Requests)
	fmt.Fprintf(t, "duration\t%.1f s\n", s.DurationS)
	fmt.Fprintf(t, "mean rate\t%.2f req/s\n", s.MeanRate)
	fmt.Fprintf(t, "rate per %gs bucket\tmin %.2f  max %.2f req/s\n", s.BucketS, s.MinBucketRate, s.MaxBucketRate)
	fmt.Fprintf(t, "input tokens\t%d\n", s.InputTokens)
	fmt.Fprintf(t, "output tokens\t%d\n", s.OutputTokens)
	fmt.Fprintf(t, "blocks\t%d (%d unique hash ids)\n", s.Blocks, s.UniqueHashIDs)
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nclasses")
	t = newTable(w)
	fmt.Fprintln(t, "  ISL\tOSL\tREQUESTS\tSHARE")
	for _, c := range s.Classes {
		fmt.Fprintf(t, "  %d\t%d\t%d\t%.1f%%\n", c.InputLength, c.OutputLength, c.Requests, 100*c.Share)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nrate by bucket (req/s)\n")
	t = newTable(w)
	for i, r := range s.BucketRates {
		bar := 0
		if s.MaxBucketRate > 0 {
			bar = int(40*r/s.MaxBucketRate + 0.5)
		}
		fmt.Fprintf(t, "  %gs\t%.2f\t%s\n", float64(i)*s.BucketS, r, strings.Repeat("#", min(bar, 60)))
	}
	return t.Flush()
}
