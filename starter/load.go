package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"plannerbench/internal/aiperf"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/cliutil"
	"plannerbench/internal/loadgen"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// driverState is DIR/driver.json: where a replay stands, so `load --resume`
// continues the same schedule after a crash.
type driverState struct {
	Trace   string              `json:"trace"`
	URL     string              `json:"url"`
	Attempt int32               `json:"attempt"`
	Resume  loadgen.ResumePoint `json:"resume"`
}

func newLoadCommand() *cobra.Command {
	var (
		cfg                    loadgen.Config
		tracePath, outDir, slo string
		apiKeyEnv              string
		resume                 bool
		procs                  int
		out                    outputFormat
	)
	c := &cobra.Command{
		Use:   "load --url URL --trace FILE --out DIR",
		Short: "Replay a trace open-loop against an OpenAI-compatible endpoint and record every request",
		Long: `Replay a mooncake trace against any OpenAI-compatible endpoint with streaming
chat completions: each row is sent at t0 + timestamp/time-scale with max_tokens,
min_tokens and ignore_eos set to its output length. Every row becomes one
Parquet record (failures too: they are data, and the exit status stays 0),
in parts under DIR/requests/ while it runs, compacted into
DIR/requests.parquet at the end; DIR/summary.json, AIPerf's export files and
an AIPerf-style table follow. The driver runs on half the cores (--procs).

With --resume a restarted driver continues the schedule recorded in
DIR/driver.json: requests lost in the crash are recorded as interrupted and
those whose time passed meanwhile as skipped, each exactly once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if cfg.URL == "" || tracePath == "" || outDir == "" {
				return badInput(errors.New("--url, --trace and --out are required"))
			}
			if procs < 0 {
				return badInput(fmt.Errorf("--procs must be >= 0, got %d", procs))
			}
			cliutil.DriverProcs(procs)
			target, err := parseSLO(slo)
			if err != nil {
				return badInput(err)
			}
			if apiKeyEnv != "" {
				cfg.APIKey = os.Getenv(apiKeyEnv)
			}
			statePath := filepath.Join(outDir, casefolder.DriverStateFile)
			state := driverState{Trace: tracePath, URL: cfg.URL, Attempt: 1}
			var rp *loadgen.ResumePoint
			if resume {
				data, err := os.ReadFile(statePath)
				if err != nil {
					return badInput(fmt.Errorf("--resume: %w", err))
				}
				if err := json.Unmarshal(data, &state); err != nil {
					return badInput(fmt.Errorf("--resume: %s: %w", statePath, err))
				}
				state.Attempt++
				rp = &state.Resume
			} else if files, _ := results.TableFiles(casefolder.RequestsPath(outDir)); len(files) > 0 {
				return badInput(fmt.Errorf("%s already holds request records: use --resume to continue, or another --out", outDir))
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			cfg.Attempt = state.Attempt
			bar := newLoadProgress(cmd.ErrOrStderr())
			res, runErr := loadgen.Run(cmd.Context(), cfg, tracePath, casefolder.RequestsPath(outDir), rp, func(p loadgen.Progress) {
				state.Resume = p.Resume
				_ = atomicfile.WriteJSON(statePath, state)
				bar.update(p)
			})
			bar.finish()
			if runErr != nil && res.Total == 0 {
				return badInput(runErr)
			}
			host, _ := os.Hostname()
			sum, _, err := casefolder.Finish(cmd.Context(), outDir, casefolder.Run{
				Info:      aiperf.Info{CaseID: filepath.Base(outDir), Model: cfg.Model, URL: cfg.URL, Worker: host},
				TimeScale: cfg.TimeScale,
				SLO:       target,
			})
			if err != nil {
				return err
			}
			if out.json() {
				if err := writeJSON(cmd.OutOrStdout(), sum); err != nil {
					return err
				}
			} else if err := results.WriteTable(cmd.OutOrStdout(), sum); err != nil {
				return err
			}
			return runErr
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.URL, "url", "", "endpoint base URL, e.g. http://127.0.0.1:8000")
	f.StringVar(&cfg.Model, "model", schemas.DefaultModel, "model name to request")
	f.StringVar(&tracePath, "trace", "", "mooncake JSONL trace")
	f.StringVar(&outDir, "out", "", "folder for requests/*.parquet, summary.json and driver.json")
	f.Float64Var(&cfg.TimeScale, "time-scale", 1, "send the trace k times faster; durations are reported in trace time")
	f.StringVar(&slo, "slo", "ttft=500ms,itl=50ms", "goodput targets, e.g. ttft=500ms,itl=50ms (0 disables one)")
	f.IntVar(&cfg.BlockSize, "block-size", 512, "tokens per hash id in the trace")
	f.DurationVar(&cfg.RequestTimeout, "request-timeout", 30*time.Minute, "wall-clock limit of one request")
	f.IntVar(&cfg.MaxConnections, "max-connections", 8192, "idle connection pool size (peak requests in flight)")
	f.StringVar(&apiKeyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable holding the API key")
	f.BoolVar(&resume, "resume", false, "continue the replay recorded in DIR/driver.json")
	f.IntVar(&procs, "procs", 0, "OS threads running Go code (GOMAXPROCS) for the driver; 0: $GOMAXPROCS, else half the cores")
	out.register(f)
	return c
}
