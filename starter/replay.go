package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"plannerbench/deploy/sim"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/extplanner"
	"plannerbench/internal/results"
	"plannerbench/schemas"
	"plannerbench/virtual/replay"
)

// replayFlags are `plannerbench replay`'s flags.
type replayFlags struct {
	tracePath, deployment, mode, profile, plannerConfig, graphConfig, graphVariant, outDir, slo, name string
	plannerURL, plannerCommand, timingOf, followOf, resultsURL                                        string
	draws                                                                                             int
	out                                                                                               outputFormat
}

func newReplayCommand() *cobra.Command {
	var r replayFlags
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
		RunE: func(cmd *cobra.Command, _ []string) error { return r.run(cmd) },
	}
	f := c.Flags()
	f.StringVar(&r.tracePath, "trace", "", "mooncake JSONL trace")
	f.StringVar(&r.deployment, "deployment", "1p1d", "starting deployment: 1p1d, 2p2d, NpMd or p,d")
	f.StringVar(&r.mode, "planner", schemas.PlannerLoad, "planner: noop, load (Dynamo mid-2025), load-fpm (Dynamo 2026 load scaling), sla, or external (with --planner-url)")
	f.StringVar(&r.profile, "profile", schemas.DefaultProfile, "simulator profile: a shipped name or a YAML file")
	f.StringVar(&r.plannerConfig, "planner-config", "", "YAML file of planner settings (the fields of a matrix case's planner section)")
	f.StringVar(&r.plannerURL, "planner-url", "", "an external planner speaking plannerbench's HTTP protocol (sets --planner external)")
	f.StringVar(&r.plannerCommand, "planner-command", "", "start this planner (sh -c) before the replay and stop it after; it must listen on --planner-url")
	f.StringVar(&r.graphConfig, "config", "", "graph configuration file (engine settings; worker counts come from --deployment); overrides --graph")
	f.StringVar(&r.graphVariant, "graph", sim.GraphPlannerBenchmark, "shipped graph: planner_benchmark (the seed's: the guide's own files), disagg_router (Dynamo's disagg_router.yaml example) or always_remote")
	f.StringVar(&r.outDir, "out", "", "write the case's folder here (case.json, summary.json, timeline.parquet, tensorboard/, requests.parquet, AIPerf's exports), as a live case writes it")
	f.StringVar(&r.name, "name", "", "the case's name in case.json and in reports (default <deployment>-<planner>)")
	f.StringVar(&r.slo, "slo", "ttft=500ms,itl=50ms", "goodput targets")
	addResultsURL(c, &r.resultsURL)
	f.StringVar(&r.timingOf, "timing-of", "", "keep the timing of the live case in this folder (its sends, metric pulls, planner reads and scalings)")
	f.StringVar(&r.followOf, "follow", "", "apply the decisions recorded in this live case's folder instead of deciding (an open loop)")
	f.IntVar(&r.draws, "draws", 0, "with --timing-of: also replay this many draws of when the engine took each request, and print their spread")
	r.out.register(f)
	return c
}

// run checks the flags, replays, and prints the result.
func (r *replayFlags) run(cmd *cobra.Command) error {
	if err := r.out.check(); err != nil {
		return err
	}
	opts, err := r.inputs()
	if err != nil {
		return badInput(err)
	}
	if r.plannerCommand != "" {
		if opts.Planner.External == nil || opts.Planner.External.Protocol != schemas.ProtocolHTTP {
			return badInput(errors.New("--planner-command needs an HTTP planner (--planner-url)"))
		}
		stop, err := startReplayPlanner(cmd.Context(), r.plannerCommand, opts.Planner.External.URL, r.outDir, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := r.liveCase(cmd.Context(), cmd.ErrOrStderr(), &opts); err != nil {
		return err
	}
	start := time.Now()
	res, err := replay.Run(cmd.Context(), opts)
	if err != nil {
		var le *schemas.LineError
		if errors.As(err, &le) || os.IsNotExist(errors.Unwrap(err)) || errors.Is(err, replay.ErrEmptyTrace) {
			return badInput(err)
		}
		return err
	}
	spread, err := replayDraws(cmd.Context(), opts, opts.Timing, r.draws)
	if err != nil {
		return err
	}
	return r.print(cmd.OutOrStdout(), opts, res, spread, time.Since(start))
}

// inputs resolves the flags that need no live case: the deployment, the
// engine's profile and graph, the planner, the goodput targets and the
// case's spec.
func (r *replayFlags) inputs() (replay.Options, error) {
	var none replay.Options
	if r.tracePath == "" {
		return none, errors.New("--trace is required")
	}
	if err := emptyOrAbsent(r.outDir); err != nil {
		return none, fmt.Errorf("--out: %w", err)
	}
	if r.draws < 0 || (r.draws > 0 && r.timingOf == "") {
		return none, errors.New("--draws needs --timing-of and is at least 0")
	}
	dep, err := parseDeploymentFlag(r.deployment)
	if err != nil {
		return none, err
	}
	prof, err := sim.LoadProfile(r.profile)
	if err != nil {
		return none, err
	}
	graph, err := sim.ForGraph(r.graphVariant, dep)
	if err != nil {
		return none, err
	}
	if r.graphConfig != "" {
		g, err := sim.LoadGraphConfig(r.graphConfig)
		if err != nil {
			return none, err
		}
		graph = *g
		graph.PrefillWorkers, graph.DecodeWorkers = dep.Prefill, dep.Decode
	}
	mode := r.mode
	if r.plannerURL != "" {
		mode = schemas.PlannerExternal
	}
	pc, err := loadPlannerConfig(r.plannerConfig, mode, dep, r.plannerURL)
	if err != nil {
		return none, err
	}
	target, err := parseSLO(r.slo)
	if err != nil {
		return none, err
	}
	name := r.name
	if name == "" {
		name = dep.String() + "-" + pc.Mode
	}
	spec := &schemas.Case{ID: name, Matrix: "replay", Name: name, Model: graph.Model,
		Backend: schemas.Backend{Kind: schemas.BackendSim, Profile: r.profile, Graph: r.graphVariant}, TimeScale: 1,
		Trace: schemas.TraceSpec{Path: r.tracePath}, Deployment: dep, Planner: pc, Repeat: 1,
		SLO: schemas.SLO{TTFT: schemas.Duration(target.TTFTMS * float64(time.Millisecond)), ITL: schemas.Duration(target.ITLMS * float64(time.Millisecond))}}
	return replay.Options{TracePath: r.tracePath, Profile: prof, Graph: graph, Planner: pc, SLO: target, OutDir: r.outDir, Case: spec}, nil
}

// liveCase reads what --timing-of and --follow take from live cases'
// folders (from the bucket with --results-url) into opts. Lines of a
// folder's samples or decisions that do not parse are left out, and named
// on stderr.
func (r *replayFlags) liveCase(ctx context.Context, stderr io.Writer, opts *replay.Options) error {
	timingOf, followOf := r.timingOf, r.followOf
	if r.resultsURL != "" {
		// --timing-of and --follow name MATRIX/CASE keys of the bucket.
		for _, p := range []*string{&timingOf, &followOf} {
			if *p == "" {
				continue
			}
			var err error
			if *p, err = fetchCase(ctx, r.resultsURL, *p); err != nil {
				return err
			}
		}
	}
	if timingOf != "" {
		timing, err := replay.LoadTiming(ctx, timingOf)
		if err != nil {
			return badInput(err)
		}
		warnSkipped(stderr, "--timing-of "+timingOf, timing.Skipped)
		opts.Timing = timing
	}
	if followOf != "" {
		if _, err := os.Stat(filepath.Join(followOf, casefolder.DecisionsFile)); err != nil {
			return badInput(fmt.Errorf("--follow %s: not a live case's folder: %w", followOf, err))
		}
		follow, err := casefolder.ReadDecisions(followOf)
		skipped, ok := results.SkippedLines(err)
		if !ok {
			return badInput(fmt.Errorf("--follow: %w", err))
		}
		warnSkipped(stderr, "--follow "+followOf, skipped)
		if follow == nil {
			follow = []schemas.Decision{} // none recorded: follow a planner that never decided
		}
		opts.Follow = follow
	}
	return nil
}

// warnSkipped names, on stderr, the lines of a live case's files that were
// left out because they do not parse.
func warnSkipped(stderr io.Writer, what string, lines []string) {
	for _, l := range lines {
		fmt.Fprintf(stderr, "plannerbench: %s: left out a line that does not parse: %s\n", what, l)
	}
}

// print writes the replay's result as JSON or as a table.
func (r *replayFlags) print(w io.Writer, opts replay.Options, res *replay.Result, spread []drawResult, elapsed time.Duration) error {
	if r.out.json() {
		if r.draws > 0 {
			return writeJSON(w, struct {
				results.Summary
				Draws []drawResult `json:"draws"`
			}{res.Summary, spread})
		}
		return writeJSON(w, res.Summary)
	}
	scaled := 0
	for _, d := range res.Decisions {
		if d.Changes() {
			scaled++
		}
	}
	fmt.Fprintf(w, "replay of %s: %s start, planner %s, profile %s (%.2f s)\n", r.tracePath, opts.Case.Deployment, opts.Planner.Mode, opts.Profile.Name, elapsed.Seconds())
	fmt.Fprintf(w, "planner: %d adjustment intervals, %d with a scaling decision\n", len(res.Decisions), scaled)
	if opts.Timing != nil {
		fmt.Fprintf(w, "timing of the live case %s\n", r.timingOf)
	}
	if opts.Follow != nil {
		fmt.Fprintf(w, "decisions followed from the live case %s (%d recorded)\n", r.followOf, len(opts.Follow))
	}
	if len(spread) > 0 {
		writeDrawSpread(w, spread)
	}
	fmt.Fprintln(w)
	return writeSummaryTable(w, res.Summary)
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
	logPath := filepath.Join(dir, casefolder.PlannerLogFile)
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
