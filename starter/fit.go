package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"plannerbench/deploy/sim"
	"plannerbench/internal/atomicfile"
	"plannerbench/schemas"
	"plannerbench/virtual/replay"
)

// newFitCommand fits one profile constant to a published baseline.
func newFitCommand() *cobra.Command {
	var (
		tracePath, deployment, mode, profile, graphVariant, outPath, name, targetLatency string
	)
	c := &cobra.Command{
		Use:   "fit-prefill --trace FILE --target-latency D -o profile.yaml",
		Short: "Fit a profile's prefill cost so a fixed baseline replays at a published average latency",
		Long: `Scale the base profile's prefill polynomial by the one factor that makes a
virtual-time replay of a fixed baseline (no planner) give the target average
request latency, and write the scaled profile with a header that says how it
was fitted. Only the baseline is fitted: a planner case replayed with the
result is a prediction.

The seed's fit (the guide's 2p2d: 18.5 s average sequence latency):
  plannerbench trace synth --time-duration 600 --request-rate-min 5 \
    --request-rate-max 20 --request-rate-period 150 --isl1 3000 --osl1 150 \
    --isl2 3000 --osl2 150 --output-file seed.jsonl
  plannerbench fit-prefill --trace seed.jsonl --deployment 2p2d \
    --target-latency 18.5s -o h100-llama8b-seedfit.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tracePath == "" || outPath == "" || targetLatency == "" {
				return badInput(errors.New("--trace, --target-latency and -o are required"))
			}
			if ext := filepath.Ext(outPath); ext != ".yaml" && ext != ".yml" {
				return badInput(fmt.Errorf("-o %s: the profile must be a .yaml file", outPath))
			}
			target, err := time.ParseDuration(targetLatency)
			if err != nil || target <= 0 {
				return badInput(fmt.Errorf("--target-latency %q: want a positive duration such as 18.5s", targetLatency))
			}
			dep, err := parseDeploymentFlag(deployment)
			if err != nil {
				return badInput(err)
			}
			base, err := sim.LoadProfile(profile)
			if err != nil {
				return badInput(fmt.Errorf("--base: %w", err))
			}
			graphName, err := sim.GraphName(graphVariant)
			if err != nil {
				return badInput(fmt.Errorf("--graph: %w", err))
			}
			graph, err := sim.ForGraph(graphName, dep)
			if err != nil {
				return badInput(fmt.Errorf("--graph: %w", err))
			}
			pc, err := loadPlannerConfig("", mode, dep, "")
			if err != nil {
				return badInput(err)
			}
			fit := replay.FitPrefill{Replay: replay.Options{TracePath: tracePath, Profile: base, Graph: graph, Planner: pc},
				TargetLatencyMS: float64(target) / float64(time.Millisecond)}
			res, err := fit.Run(cmd.Context())
			if err != nil {
				if errors.Is(err, replay.ErrNotBracketed) {
					return badInput(err)
				}
				return err
			}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(outPath), filepath.Ext(outPath))
			}
			header, err := writeFittedProfile(outPath, fittedProfile{
				base: base, baseRef: profile, name: name, res: res, graph: graph.Name, graphFlag: graphName,
				mode: pc.Mode, dep: dep, trace: tracePath, target: target,
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, h := range header[4:] {
				fmt.Fprintln(out, h)
			}
			fmt.Fprintf(out, "wrote %s\n", outPath)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&tracePath, "trace", "", "mooncake JSONL trace the baseline replays")
	f.StringVar(&deployment, "deployment", "2p2d", "the baseline's fixed deployment")
	f.StringVar(&mode, "planner", schemas.PlannerNoop, "the baseline's planner (noop: observe only)")
	f.StringVar(&profile, "base", schemas.DefaultProfile, "profile whose prefill cost is scaled (every other constant is kept)")
	f.StringVar(&graphVariant, "graph", sim.GraphPlannerBenchmark, "shipped graph")
	f.StringVar(&targetLatency, "target-latency", "", "the baseline's published average request latency, e.g. 18.5s")
	f.StringVarP(&outPath, "output-file", "o", "", "profile YAML to write")
	f.StringVar(&name, "name", "", "the profile's name (default: the file name)")
	return c
}

// rewriteProfile replaces the name, description and prefill_ms lines of a
// profile's text (one line each, as shipped profiles write them), keeping
// every comment, so the fitted profile carries its base's sources.
func rewriteProfile(text []byte, p schemas.Profile, scale float64) ([]byte, error) {
	lines := strings.Split(string(text), "\n")
	replaced := map[string]bool{}
	for i, l := range lines {
		key, _, ok := strings.Cut(l, ":")
		if !ok || strings.HasPrefix(key, " ") || strings.HasPrefix(key, "#") {
			continue
		}
		var v string
		switch key {
		case "name":
			v = "name: " + p.Name
		case "description":
			v = "description: " + p.Description
		case "prefill_ms":
			coeffs, err := yaml.Marshal(p.PrefillMS)
			if err != nil {
				return nil, err
			}
			flow := strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(string(coeffs), "- ", ""), "\n", " ")), ", ")
			v = fmt.Sprintf("prefill_ms: [%s]   # the base's coefficients x %.4f (fit-prefill, above)", flow, scale)
		default:
			continue
		}
		lines[i], replaced[key] = v, true
	}
	for _, k := range []string{"name", "description", "prefill_ms"} {
		if !replaced[k] {
			return nil, fmt.Errorf("no one-line %s: to replace", k)
		}
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// QueuePeaks returns the largest prefill queue in each period of the
// samples (the seed's sinusoid has a 150 s period: one peak each).
func QueuePeaks(samples []schemas.Sample, period time.Duration) []float64 {
	var peaks []float64
	for _, s := range samples {
		k := int(s.At / period)
		for len(peaks) <= k {
			peaks = append(peaks, 0)
		}
		peaks[k] = max(peaks[k], s.PrefillQueueSize)
	}
	return peaks
}

// fittedProfile is what a fitted profile's file is written from.
type fittedProfile struct {
	base             *schemas.Profile
	baseRef, name    string // --base as given; the new profile's name
	res              replay.FitResult
	graph, graphFlag string
	mode             string
	dep              schemas.Deployment
	trace            string
	target           time.Duration
}

// writeFittedProfile writes the base profile's file with its prefill cost
// scaled, under a header that says how it was fitted, and returns the
// header's lines.
func writeFittedProfile(outPath string, p fittedProfile) ([]string, error) {
	base, res := p.base, p.res
	fitted := *base
	fitted.PrefillMS = make(schemas.Polynomial, len(base.PrefillMS))
	for i, c := range base.PrefillMS {
		fitted.PrefillMS[i] = c * res.Scale
	}
	fitted.Name = p.name
	fitted.Description = fmt.Sprintf("%s with its prefill cost x%.4f, fitted to a %s %s baseline's %.1f s average latency", base.Name, res.Scale, p.graph, p.mode, p.target.Seconds())
	sum := res.At.Summary
	peaks := QueuePeaks(res.At.Samples, 150*time.Second)
	header := []string{
		fmt.Sprintf("Fitted by plannerbench fit-prefill on %s: one constant, the prefill cost.", time.Now().UTC().Format(time.DateOnly)),
		fmt.Sprintf("Command: plannerbench fit-prefill --trace %s --deployment %s --planner %s --graph %s --base %s --target-latency %s", filepath.Base(p.trace), p.dep, p.mode, p.graphFlag, base.Name, p.target),
		fmt.Sprintf("Method: bisection on the factor s scaling every prefill_ms coefficient of %s", base.Name),
		fmt.Sprintf("until a virtual-time replay of the baseline averages %.1f s a request (within 0.1%%).", p.target.Seconds()),
		fmt.Sprintf("Result: s = %.4f; prefill at 3000 tokens %.1f ms (base %.1f ms).", res.Scale, fitted.PrefillMS.At(3000), base.PrefillMS.At(3000)),
		fmt.Sprintf("At s: average latency %.2f s, load span %.1f s, ready GPU-s %.0f, prefill queue peaks by 150 s period %v.", sum.AvgRequestLatencyMS/1000, sum.DurationS, sum.AvgNumGPU*sum.DurationS, peaks),
		fmt.Sprintf("%d replays. Every other constant is %s's (see its file for sources).", len(res.Steps), base.Name),
	}
	text, _, err := sim.ProfileText(p.baseRef)
	if err != nil {
		return nil, badInput(fmt.Errorf("--base: %w", err))
	}
	body, err := rewriteProfile(text, fitted, res.Scale)
	if err != nil {
		return nil, badInput(fmt.Errorf("--base %s: %w", p.baseRef, err))
	}
	return header, atomicfile.Write(outPath, func(w io.Writer) error {
		for _, h := range header {
			fmt.Fprintf(w, "# %s\n", h)
		}
		fmt.Fprintf(w, "# Below: %s's file, its sources kept, with name, description and\n# prefill_ms replaced.\n#\n", base.Name)
		_, err := w.Write(body)
		return err
	})
}
