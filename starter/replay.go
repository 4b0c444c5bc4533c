package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/replay"
	"plannerbench/internal/extplanner"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

func newReplayCommand() *cobra.Command {
	var (
		tracePath, deployment, mode, profile, plannerConfig, graphConfig, graphVariant, outDir, slo, name string
		plannerURL, plannerCommand, timingOf, followOf, resultsURL                                        string
		draws                                                                                             int
		out                                                                                               outputFormat
	)
	c := &cobra.Command{
		Use:   "replay --trace FILE",
		Short: "Evaluate a planner on a trace in virtual time (no sockets, well under a second for the seed)",
		Long: `Run the simulated graph and a planner on a whole trace in virtual time and
report what a real run would: AIPerf-style request metrics, time-averaged
num_gpu, and with --out a case folder as a live case writes it (case.json,
summary.json, timeline.parquet, tensorboard/, requests/*.parquet), so
'plannerbench report' compares replayed cases:

  plannerbench replay --trace seed.jsonl --deployment 1p1d --planner load --out cmp/planner
  plannerbench replay --trace seed.jsonl --deployment 2p2d --planner noop --out cmp/2p2d
  plannerbench report cmp

  plannerbench replay --trace seed.jsonl --deployment 1p1d --planner load
  plannerbench replay --trace seed.jsonl --deployment 2p2d --planner noop -o json

With --timing-of a live case's folder the replay keeps that run's timing
(when each request was sent, each sample taken, each decision read and
applied), so what still differs from the live run is the model's; --draws N
adds N replays in which each request reaches the engine at a random instant
between its send and its response headers, and prints their spread:

  plannerbench replay --trace seed.jsonl --deployment 1p1d --planner load \
    --timing-of results/seed/planner --draws 15

With --follow a live case's folder the planner does not decide: each
interval applies the live case's recorded decision (decisions.jsonl), as
the planner applies its own. The engine's answer to the live scalings
repeats the way a fixed deployment's does, where a planner deciding again
can tip onto another trajectory; with --timing-of the same folder, what
differs from the live figures is the model's engine:

  plannerbench replay --trace seed.jsonl --deployment 1p1d --planner load \
    --timing-of results/seed/planner --follow results/seed/planner --draws 15`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if tracePath == "" {
				return badInput(errors.New("--trace is required"))
			}
			if err := emptyOrAbsent(outDir); err != nil {
				return badInput(fmt.Errorf("--out: %w", err))
			}
			dep, err := parseDeploymentFlag(deployment)
			if err != nil {
				return badInput(err)
			}
			prof, err := sim.LoadProfile(profile)
			if err != nil {
				return badInput(err)
			}
			graph, err := sim.ForGraph(graphVariant, dep)
			if err != nil {
				return badInput(err)
			}
			if graphConfig != "" {
				g, err := sim.LoadGraphConfig(graphConfig)
				if err != nil {
					return badInput(err)
				}
				graph = *g
				graph.PrefillWorkers, graph.DecodeWorkers = dep.Prefill, dep.Decode
			}
			if plannerURL != "" {
				mode = schemas.PlannerExternal
			}
			pc, err := loadPlannerConfig(plannerConfig, mode, dep, plannerURL)
			if err != nil {
				return badInput(err)
			}
			if plannerCommand != "" {
				if pc.External == nil || pc.External.Protocol != schemas.ProtocolHTTP {
					return badInput(errors.New("--planner-command needs an HTTP planner (--planner-url)"))
				}
				stop, err := startReplayPlanner(cmd.Context(), plannerCommand, pc.External.URL, outDir, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer stop()
			}
			target, err := parseSLO(slo)
			if err != nil {
				return badInput(err)
			}
			if name == "" {
				name = dep.String() + "-" + pc.Mode
			}
			spec := &schemas.Case{ID: name, Matrix: "replay", Name: name, Model: graph.Model,
				Backend: schemas.Backend{Kind: schemas.BackendSim, Profile: profile, Graph: graphVariant}, TimeScale: 1,
				Trace: schemas.TraceSpec{Path: tracePath}, Deployment: dep, Planner: pc, Repeat: 1,
				SLO: schemas.SLO{TTFT: schemas.Duration(target.TTFTMS * float64(time.Millisecond)), ITL: schemas.Duration(target.ITLMS * float64(time.Millisecond))}}
			if draws < 0 || (draws > 0 && timingOf == "") {
				return badInput(errors.New("--draws needs --timing-of and is at least 0"))
			}
			if resultsURL != "" {
				// --timing-of and --follow name MATRIX/CASE keys of the bucket.
				for _, p := range []*string{&timingOf, &followOf} {
					if *p == "" {
						continue
					}
					if *p, err = fetchCase(cmd.Context(), resultsURL, *p); err != nil {
						return err
					}
				}
			}
			var timing *replay.Timing
			if timingOf != "" {
				if timing, err = replay.LoadTiming(cmd.Context(), timingOf); err != nil {
					return badInput(err)
				}
			}
			var follow []schemas.Decision
			if followOf != "" {
				if _, err := os.Stat(filepath.Join(followOf, results.DecisionsFile)); err != nil {
					return badInput(fmt.Errorf("--follow %s: not a live case's folder: %w", followOf, err))
				}
				if follow, err = results.ReadDecisions(filepath.Join(followOf, results.DecisionsFile)); err != nil {
					return badInput(fmt.Errorf("--follow: %w", err))
				}
				if follow == nil {
					follow = []schemas.Decision{} // none recorded: follow a planner that never decided
				}
			}
			start := time.Now()
			opts := replay.Options{TracePath: tracePath, Profile: prof, Graph: graph, Planner: pc, SLO: target, OutDir: outDir, Case: spec, Timing: timing, Follow: follow}
			res, err := replay.Run(cmd.Context(), opts)
			if err != nil {
				var le *schemas.LineError
				if errors.As(err, &le) || os.IsNotExist(errors.Unwrap(err)) || errors.Is(err, replay.ErrEmptyTrace) {
					return badInput(err)
				}
				return err
			}
			spread, err := replayDraws(cmd.Context(), opts, timing, draws)
			if err != nil {
				return err
			}
			elapsed := time.Since(start)
			if out.json() {
				if draws > 0 {
					return writeJSON(cmd.OutOrStdout(), struct {
						results.Summary
						Draws []drawResult `json:"draws"`
					}{res.Summary, spread})
				}
				return writeJSON(cmd.OutOrStdout(), res.Summary)
			}
			w := cmd.OutOrStdout()
			scaled := 0
			for _, d := range res.Decisions {
				if d.Changes() {
					scaled++
				}
			}
			fmt.Fprintf(w, "replay of %s: %s start, planner %s, profile %s (%.2f s)\n", tracePath, dep, pc.Mode, prof.Name, elapsed.Seconds())
			fmt.Fprintf(w, "planner: %d adjustment intervals, %d with a scaling decision\n", len(res.Decisions), scaled)
			if timing != nil {
				fmt.Fprintf(w, "timing of the live case %s\n", timingOf)
			}
			if follow != nil {
				fmt.Fprintf(w, "decisions followed from the live case %s (%d recorded)\n", followOf, len(follow))
			}
			if len(spread) > 0 {
				writeDrawSpread(w, spread)
			}
			fmt.Fprintln(w)
			return writeSummaryTable(w, res.Summary)
		},
	}
	f := c.Flags()
	f.StringVar(&tracePath, "trace", "", "mooncake JSONL trace")
	f.StringVar(&deployment, "deployment", "1p1d", "starting deployment: 1p1d, 2p2d, NpMd or p,d")
	f.StringVar(&mode, "planner", schemas.PlannerLoad, "planner: noop, load (Dynamo mid-2025), load-fpm (Dynamo 2026 load scaling), sla, or external (with --planner-url)")
	f.StringVar(&profile, "profile", schemas.DefaultProfile, "simulator profile: a shipped name or a YAML file")
	f.StringVar(&plannerConfig, "planner-config", "", "YAML file of planner settings (the fields of a matrix case's planner section)")
	f.StringVar(&plannerURL, "planner-url", "", "an external planner speaking plannerbench's HTTP protocol (sets --planner external)")
	f.StringVar(&plannerCommand, "planner-command", "", "start this planner (sh -c) before the replay and stop it after; it must listen on --planner-url")
	f.StringVar(&graphConfig, "config", "", "graph configuration file (engine settings; worker counts come from --deployment); overrides --graph")
	f.StringVar(&graphVariant, "graph", sim.GraphPlannerBenchmark, "shipped graph: planner_benchmark (the seed's: the guide's own files), disagg_router (Dynamo's disagg_router.yaml example) or always_remote")
	f.StringVar(&outDir, "out", "", "write the case's folder here (case.json, summary.json, timeline.parquet, tensorboard/, requests/), as a live case writes it")
	f.StringVar(&name, "name", "", "the case's name in case.json and in reports (default <deployment>-<planner>)")
	f.StringVar(&slo, "slo", "ttft=500ms,itl=50ms", "goodput targets")
	addResultsURL(c, &resultsURL)
	f.StringVar(&timingOf, "timing-of", "", "keep the timing of the live case in this folder (its sends, metric pulls, planner reads and scalings)")
	f.StringVar(&followOf, "follow", "", "apply the decisions recorded in this live case's folder instead of deciding (an open loop)")
	f.IntVar(&draws, "draws", 0, "with --timing-of: also replay this many draws of when the engine took each request, and print their spread")
	out.register(f)
	return c
}

// parseDeploymentFlag reads "1p1d" or "p,d".
func parseDeploymentFlag(s string) (schemas.Deployment, error) {
	if p, d, ok := strings.Cut(strings.Trim(s, "{}() "), ","); ok {
		pn, err1 := strconv.Atoi(strings.TrimSpace(p))
		dn, err2 := strconv.Atoi(strings.TrimSpace(d))
		if err1 != nil || err2 != nil || pn < 1 || dn < 1 {
			return schemas.Deployment{}, fmt.Errorf("--deployment %q: want NpMd or p,d with counts >= 1", s)
		}
		return schemas.Deployment{Prefill: pn, Decode: dn}, nil
	}
	d, err := schemas.ParseDeployment(s)
	if err != nil {
		return d, fmt.Errorf("--deployment: %w", err)
	}
	if d.Prefill < 1 || d.Decode < 1 {
		return d, fmt.Errorf("--deployment %q: need at least one worker of each role", s)
	}
	return d, nil
}

// loadPlannerConfig reads planner settings from a YAML file (defaults for
// what it leaves out), with --planner overriding its mode.
func loadPlannerConfig(path, mode string, dep schemas.Deployment, plannerURL string) (schemas.PlannerConfig, error) {
	pc := schemas.DefaultPlannerConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return pc, fmt.Errorf("--planner-config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&pc); err != nil {
			return pc, fmt.Errorf("%s: %w", path, err)
		}
	}
	if mode != "" {
		pc.Mode = mode
	}
	if plannerURL != "" {
		if pc.External == nil {
			pc.External = &schemas.ExternalPlanner{}
		}
		pc.External.Protocol, pc.External.URL = schemas.ProtocolHTTP, plannerURL
	}
	m := schemas.Matrix{Name: "replay", Model: schemas.DefaultModel, Backend: schemas.Backend{Kind: schemas.BackendSim, Profile: "x"},
		TimeScale: 1, Repeat: 1, MaxParallel: 1, Trace: schemas.TraceSpec{Path: "x"},
		Cases: []schemas.CaseSpec{{Name: "replay", Deployment: dep, Planner: pc}}}
	if errs := m.Validate(); len(errs) > 0 {
		return pc, fmt.Errorf("planner settings: %w", errs)
	}
	return pc, nil
}

// startReplayPlanner starts an HTTP planner for a replay and waits (up to
// 30 s) for it to listen; its log goes to OUT/planner.log, or to stderr's
// neighbour planner.log in the working folder without --out.
func startReplayPlanner(ctx context.Context, command, url, outDir string, w io.Writer) (func(), error) {
	dir := outDir
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "planner.log")
	p, err := extplanner.Start(".", command, []string{"PLANNERBENCH_PLANNER_URL=" + url}, logPath)
	if err != nil {
		return nil, badInput(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := extplanner.WaitListening(wctx, url, p); err != nil {
		p.Stop(2 * time.Second)
		return nil, badInput(fmt.Errorf("--planner-command: %w (log: %s)", err, logPath))
	}
	fmt.Fprintf(w, "planner started (pid %d, log %s)\n", p.Pid(), logPath)
	return func() { p.Stop(5 * time.Second) }, nil
}

// emptyOrAbsent refuses a folder that already holds files: a replay's
// parts would be compacted together with the ones there, two runs' records
// in one table.
func emptyOrAbsent(dir string) error {
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s already holds %d entries (a case?): its records would be mixed with this replay's; give an empty or new folder", dir, len(entries))
	}
	return nil
}
