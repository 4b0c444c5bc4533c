package calibrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"plannerbench/internal/aiperf"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// Result is a calibrated profile and the fits behind it.
type Result struct {
	Profile schemas.Profile `json:"profile"`
	Prefill Fit             `json:"prefill"`
	Decode  Fit             `json:"decode"`
	// Source says what was read.
	Source string `json:"source"`
	// QueueRule says how queueing was taken out of the TTFTs (RuleRecorded
	// or RuleIdle; empty for profiler files).
	QueueRule string `json:"queue_rule,omitempty"`
	// Notes say what the data could not tell and what was done about it.
	Notes []string `json:"notes,omitempty"`
	// Undetermined gives each reason the data does not determine the
	// profile; the CLI refuses to write it (exit 2) unless forced.
	Undetermined []string `json:"undetermined,omitempty"`
}

// Shapes (Fit.Shape).
const (
	ShapeQuadratic = "quadratic"
	ShapeLinear    = "linear"
	ShapeScaled    = "base shape scaled"
	// ShapeBase: not fitted, the base profile's (no data for it).
	ShapeBase = "the base profile's, not fitted"
)

// The fitting rules' constants.
const (
	// envelopeBuckets and medianBuckets split the x range; a bucket counts
	// with at least atLeast requests.
	envelopeBuckets, medianBuckets, atLeast = 40, 40, 3
	// oneLength: prompts whose uncached lengths span less than this share
	// of the longest are one length, and only the base's shape can be
	// scaled (a quadratic through one point is any quadratic).
	oneLength = 0.25
	// narrowKV: a KV range narrower than this fits a line, not a parabola
	// whose curvature the range cannot show.
	narrowKV = 0.25
	// resamples is how many bootstrap resamples give the intervals.
	resamples = 200
	// scatteredR2: decode bucket medians explained worse than this by the
	// fit get a note (the seed at disagg_router paired with the workers'
	// mean KV: 0.83, the KV router loading them unevenly; paired per
	// worker at the step: 0.99, as planner_benchmark runs).
	scatteredR2 = 0.95
	// mattering: a fitted curve whose 95% bootstrap band is wider than
	// this share of its value somewhere in the observed range is not
	// determined by the data (the 5% the round-trip tests hold to).
	mattering = 0.05
)

// FromRun fits prefill time against uncached prompt tokens and the decode
// step against KV utilisation from a case folder (requests/,
// timeline.parquet, case.json). Request records are in trace ms already;
// the timeline's instants are wall time times the case's time scale.
//
// Prefill: see prefillPoints (queueing taken out by the recorded prefill
// wait, or by keeping the requests that met an idle pipeline), then the
// lower envelope of 40 length buckets, fitted with a quadratic, or, when
// the prompts are one length, the base profile's polynomial scaled.
//
// Decode: each request's decode step (itl_decode_ms) against the
// timeline's mean KV utilisation over its decode; the median of each of 40
// utilisation buckets is fitted with a quadratic (a line over a narrow
// range). Without a timeline the base profile's decode step is kept.
//
// Each coefficient gets a 95% bootstrap interval over requests; where the
// curve's band says the data does not determine it, a simpler shape is
// tried, and what stays undetermined is listed in Result.Undetermined.
func FromRun(ctx context.Context, dir string, base *schemas.Profile) (*Result, error) {
	return fromRun(ctx, dir, base, rules{})
}

// rules turns FromRun's rules off, each as the estimator before it did
// (for the tests that show a rule is what makes a case pass).
type rules struct {
	// noQueue: TTFTs as they are, queueing included.
	noQueue bool
	// wholePrompts: prefill against whole prompts, cached tokens ignored.
	wholePrompts bool
	// meanITL: a request's step is its mean ITL.
	meanITL bool
	// minEnvelope: a length's fastest request, not its envelopeQuantile.
	minEnvelope bool
	// keepDrain: decode counts the requests answered after the last send.
	keepDrain bool
	// meanKVOverDecode: a request's step against the decode workers' mean
	// KV over its whole decode, not its own worker's at the step.
	meanKVOverDecode bool
}

func fromRun(ctx context.Context, dir string, base *schemas.Profile, off rules) (*Result, error) {
	scale := 1.0
	if data, err := os.ReadFile(filepath.Join(dir, casefolder.SpecFile)); err == nil {
		var c schemas.Case
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, casefolder.SpecFile), err)
		}
		if c.TimeScale > 0 {
			scale = c.TimeScale
		}
	}
	recs, notes, err := readRecords(ctx, dir, scale)
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", dir, err)
	}
	timeline, err := results.ReadTimeline(ctx, casefolder.TimelinePath(dir))
	switch {
	case errors.Is(err, os.ErrNotExist):
		timeline = nil
		notes = append(notes, "no timeline.parquet (an AIPerf export, or a run of the load driver alone): no KV utilisation, so decode_step_ms is not fitted but kept from the base profile")
	case err != nil:
		return nil, fmt.Errorf("calibrate %s: %w", dir, err)
	}
	ok := recs[:0]
	for _, r := range recs {
		if r.Status == schemas.StatusOK && r.CompletionTokens > 1 && r.TTFTMS > 0 && r.ITLMS > 0 {
			if off.wholePrompts {
				r.CachedTokens = -1
			}
			if off.meanITL {
				r.ITLDecodeMS = math.NaN()
			}
			if off.noQueue {
				r.PrefillMS, r.PrefillLocal = math.NaN(), -1
			}
			if off.meanKVOverDecode {
				r.DecodeWorker, r.DecodeStepAt = -1, time.Time{}
			}
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil, fmt.Errorf("calibrate %s: no completed request with more than one token", dir)
	}
	t0 := ok[0].ScheduledAt
	for _, r := range ok {
		if r.ScheduledAt.Before(t0) {
			t0 = r.ScheduledAt
		}
	}
	traceTime := func(t time.Time) float64 { return t.Sub(t0).Seconds() * scale }

	res := &Result{Profile: *base, Source: dir, Notes: notes}
	ev, err := prefillPoints(ok, base, !off.noQueue)
	res.QueueRule, res.Notes = ev.rule, append(res.Notes, ev.notes...)
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", dir, err)
	}
	q := envelopeQuantile
	if off.minEnvelope {
		q = 0
	}
	prefill, err := simplest(ev.points, func(pts []point, shape string) (Fit, error) { return fitPrefill(pts, base, shape, q) }, ShapeQuadratic, ShapeScaled)
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", dir, err)
	}
	res.Notes = append(res.Notes, prefill.notes...)
	if prefill.Shape == ShapeScaled {
		res.Notes = append(res.Notes, fmt.Sprintf("prefill keeps %s's shape, scaled x%.4f", base.Name, prefill.Scale))
	}
	if prefill.Shape == ShapeScaled && (prefill.Points < 3 || prefill.MaxX-prefill.MinX < oneLength*prefill.MaxX) {
		res.Notes = append(res.Notes, fmt.Sprintf("the prompts are one length (%.0f..%.0f uncached tokens): only a scale can be fitted, and the profile is measured at that length alone", prefill.MinX, prefill.MaxX))
	}

	decode := chosen{Fit: Fit{Name: "decode_step_ms vs KV utilisation", Shape: ShapeBase, Coeffs: base.DecodeStepMS}}
	if timeline != nil {
		dpts, notes := decodePoints(ok, timeline, traceTime, !off.keepDrain)
		res.Notes = append(res.Notes, notes...)
		if decode, err = simplest(dpts, fitDecode, ShapeQuadratic, ShapeLinear); err != nil {
			return nil, fmt.Errorf("calibrate %s: %w", dir, err)
		}
		res.Notes = append(res.Notes, decode.notes...)
		res.Notes = append(res.Notes, fmt.Sprintf("decode_step_ms is fitted over KV utilisation %.3f..%.3f (%s): outside it the profile extrapolates", decode.MinX, decode.MaxX, decode.Shape))
		if decode.R2 < scatteredR2 {
			res.Notes = append(res.Notes, fmt.Sprintf("decode_step_ms: the utilisation buckets' medians scatter about the fit (R² %.2f, RMSE %.2f ms): where a step is paired with the decode workers' mean KV (the run named no worker) and a router loads them unevenly, a request's own worker differs from the mean; the fit follows the dense buckets (weighted by requests), the sparse middle of the range is uncertain", decode.R2, decode.RMSE))
		}
	}
	res.Prefill, res.Decode = prefill.Fit, decode.Fit
	res.Undetermined = append(undetermined(prefill.Fit), undetermined(decode.Fit)...)
	res.Profile.PrefillMS, res.Profile.DecodeStepMS = prefill.Coeffs, decode.Coeffs
	return res, nil
}

// chosen is a fit and what choosing it says.
type chosen struct {
	Fit
	notes []string
}

// simplest fits pts with the first of shapes the data determines (each
// with bootstrap intervals; see undetermined): where a curve's band is too
// wide, the next, simpler shape is tried. When none is determined the
// last is returned, and undetermined says why.
func simplest(pts []point, fit func([]point, string) (Fit, error), shapes ...string) (chosen, error) {
	var c chosen
	for i, shape := range shapes {
		f, err := withIntervals(pts, func(p []point) (Fit, error) { return fit(p, shape) })
		if err != nil {
			return c, err
		}
		c.Fit = f
		why := undetermined(f)
		if len(why) == 0 || i == len(shapes)-1 || f.Shape == shapes[len(shapes)-1] {
			return c, nil // determined, or already the simplest shape
		}
		c.notes = append(c.notes, fmt.Sprintf("%s: a %s is not determined by the data (%s); fitted the simpler %s", f.Name, f.Shape, why[0], shapes[i+1]))
	}
	return c, nil
}

// readRecords reads the case's request table, or, in a folder without
// one, AIPerf's profile_export.jsonl (its instants placed at timeScale),
// saying what that lacks.
func readRecords(ctx context.Context, dir string, timeScale float64) ([]schemas.RequestRecord, []string, error) {
	reqDir := casefolder.RequestsPath(dir)
	files, err := results.TableFiles(reqDir)
	if err != nil {
		return nil, nil, err
	}
	if len(files) > 0 {
		recs, err := results.ReadRequests(ctx, reqDir)
		return recs, nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, aiperf.RecordsFile)); err != nil {
		return nil, nil, fmt.Errorf("no %s and no AIPerf %s: not a run folder", casefolder.RequestsDir+".parquet", aiperf.RecordsFile)
	}
	if run, err := aiperf.ReadRun(dir); err == nil && run.Plannerbench != nil && run.Plannerbench.TimeScale > 0 {
		timeScale = run.Plannerbench.TimeScale
	}
	recs, err := aiperf.ReadRecords(dir, timeScale)
	note := "read AIPerf's " + aiperf.RecordsFile + ": it records no cached tokens, prefill wait or decode step alone, so prefill is fitted against whole prompts on the requests that met an idle pipeline, and a request's step is its mean ITL"
	return recs, []string{note}, err
}

// fitPrefill fits the lower envelope of pts with shape (a quadratic, or
// the base's shape scaled); a quadratic becomes a scaled base shape when
// the envelope cannot show a shape (one prompt length).
func fitPrefill(pts []point, base *schemas.Profile, shape string, q float64) (Fit, error) {
	// A bucket of few requests has no fast one to speak of (the seed
	// with heavy prefix reuse: 4 requests at one length, the fastest 19 ms
	// over the cost): buckets count from minForQuantile requests, fewer
	// only when no bucket has that many.
	var env []point
	for _, n := range []int{minForQuantile, atLeast, 1} {
		if env = lowerEnvelope(pts, envelopeBuckets, n, q); len(env) > 0 {
			break
		}
	}
	x, y := split(env)
	const name = "prefill_ms vs uncached prompt tokens"
	lo, hi := slices.Min(x), slices.Max(x)
	if shape == ShapeScaled || len(env) < 3 || hi-lo < oneLength*hi {
		f, k, err := fitScale(name, x, y, base.PrefillMS)
		f.Shape, f.Scale = ShapeScaled, k
		return f, err
	}
	f, err := fitPolynomial(name, x, y, 2)
	f.Shape = ShapeQuadratic
	return f, err
}

// fitDecode fits the bucket medians of pts with shape (a quadratic or a
// line); a quadratic becomes a line over a narrow range.
func fitDecode(pts []point, shape string) (Fit, error) {
	med := bucketMedians(pts, medianBuckets, atLeast)
	if len(med) == 0 {
		med = bucketMedians(pts, medianBuckets, 1)
	}
	x, y := split(med)
	if len(x) == 0 {
		return Fit{}, fmt.Errorf("decode_step_ms: %w (no request's decode overlaps the timeline)", ErrTooFewPoints)
	}
	degree := 2
	if shape == ShapeLinear || slices.Max(x)-slices.Min(x) < narrowKV {
		degree, shape = 1, ShapeLinear
	}
	// Each median weighs as many requests as it stands for: a sparse
	// bucket at the edge of the range (a few requests on a worker the
	// mean KV misplaces) does not bend the curve the dense ones draw.
	w := make([]float64, len(med))
	for i, p := range med {
		w[i] = float64(p.n)
	}
	f, err := fitWeighted("decode_step_ms vs KV utilisation", x, y, w, degree)
	if err == nil && len(f.Coeffs) == 2 {
		shape = ShapeLinear
	}
	f.Shape = shape
	return f, err
}

func split(pts []point) (x, y []float64) {
	for _, p := range pts {
		x, y = append(x, p.x), append(y, p.y)
	}
	return x, y
}

// withIntervals fits pts and gives each fitted coefficient (or the scale)
// the 2.5th and 97.5th percentiles over resamples of pts with
// replacement (a fixed seed: the same run gives the same intervals).
func withIntervals(pts []point, fit func([]point) (Fit, error)) (Fit, error) {
	f, err := fit(pts)
	if err != nil {
		return f, err
	}
	values := func(g Fit) []float64 {
		if g.Shape == ShapeScaled {
			return []float64{g.Scale}
		}
		return g.Coeffs
	}
	want := len(values(f))
	draws := make([][]float64, want)
	xs := []float64{f.MinX, (f.MinX + f.MaxX) / 2, f.MaxX}
	curves := make([][]float64, len(xs))
	rng := rand.New(rand.NewPCG(1, 2))
	sample := make([]point, len(pts))
	for range resamples {
		for i := range sample {
			sample[i] = pts[rng.IntN(len(pts))]
		}
		g, err := fit(sample)
		if err != nil || g.Shape != f.Shape || len(values(g)) != want {
			continue // a resample that cannot be fitted the same way says nothing of these coefficients
		}
		for j, v := range values(g) {
			draws[j] = append(draws[j], v)
		}
		for j, x := range xs {
			curves[j] = append(curves[j], g.Coeffs.At(x))
		}
	}
	for j, c := range curves {
		slices.Sort(c)
		if len(c) > 0 {
			f.bands = append(f.bands, band{x: xs[j], lo: quantile(c, 0.025), hi: quantile(c, 0.975)})
		}
	}
	for _, d := range draws {
		if len(d) < resamples/2 {
			return f, errors.New(f.Name + ": fewer than half the bootstrap resamples could be fitted")
		}
		slices.Sort(d)
		f.Intervals = append(f.Intervals, [2]float64{quantile(d, 0.025), quantile(d, 0.975)})
	}
	return f, nil
}

// quantile is the q-quantile of sorted d, interpolated linearly.
func quantile(d []float64, q float64) float64 {
	pos := q * float64(len(d)-1)
	i := int(pos)
	if i+1 >= len(d) {
		return d[len(d)-1]
	}
	return d[i] + (pos-float64(i))*(d[i+1]-d[i])
}

// undetermined says where the data leaves f undetermined: where the 95%
// bootstrap band of the fitted curve, at the edges and middle of the
// observed range, is wider than ±mattering of the curve's value. The
// coefficients of a polynomial trade off against each other (a steeper
// line with a lower intercept draws nearly the same curve), so one
// coefficient's interval alone overstates what is unknown; the curve's
// band is what a replay with the profile depends on. The band comes from
// the resampled fits kept in f.bands.
func undetermined(f Fit) []string {
	var out []string
	for _, b := range f.bands {
		v := math.Abs(f.Coeffs.At(b.x))
		if half := (b.hi - b.lo) / 2; half > mattering*v {
			out = append(out, fmt.Sprintf("%s: at x=%.4g the fitted %.4g ms has a 95%% band [%.4g, %.4g], wider than ±%.0f%% (the %s's coefficients and their intervals: %s)",
				f.Name, b.x, v, b.lo, b.hi, mattering*100, f.Shape, describeIntervals(f)))
			break
		}
	}
	return out
}

// describeIntervals prints each fitted value with its interval.
func describeIntervals(f Fit) string {
	if f.Shape == ShapeScaled && len(f.Intervals) == 1 {
		return fmt.Sprintf("scale %.4g [%.4g, %.4g]", f.Scale, f.Intervals[0][0], f.Intervals[0][1])
	}
	s := ""
	for j, iv := range f.Intervals {
		if j > 0 {
			s += ", "
		}
		s += fmt.Sprintf("c%d %.4g [%.4g, %.4g]", j, f.Coeffs[j], iv[0], iv[1])
	}
	return s
}

// errNoArray names a missing .npz array.
var errNoArray = errors.New("array missing")
