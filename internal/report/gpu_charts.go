package report

import (
	"image/color"
	"math"
	"sort"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"plannerbench/schemas"
)

// gpuPoint is one second of a case's GPUs: their summed power and mean
// utilisation.
type gpuPoint struct {
	t, powerW, utilPct float64
}

// gpuSeconds groups a case's samples by trace second: wall time since t0
// times the time scale (without a t0, since the first sample).
func gpuSeconds(samples []schemas.GPUSample, t0 time.Time, scale float64) []gpuPoint {
	if len(samples) == 0 {
		return nil
	}
	if scale <= 0 {
		scale = 1
	}
	if t0.IsZero() {
		t0 = samples[0].At
		for _, s := range samples {
			if s.At.Before(t0) {
				t0 = s.At
			}
		}
	}
	type acc struct {
		power, util float64
		n           int
	}
	by := map[int64]*acc{}
	for _, s := range samples {
		k := int64(math.Round(s.At.Sub(t0).Seconds() * scale))
		a := by[k]
		if a == nil {
			a = &acc{}
			by[k] = a
		}
		a.power += s.PowerW
		a.util += s.UtilizationPct
		a.n++
	}
	keys := make([]int64, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]gpuPoint, 0, len(keys))
	for _, k := range keys {
		a := by[k]
		out = append(out, gpuPoint{t: float64(k), powerW: a.power, utilPct: a.util / float64(a.n)})
	}
	return out
}

// gpuTimelines draws the cases' GPU power (all their GPUs summed) and mean
// utilisation over the run, one line a case; none without telemetry. The
// titles say "modelled" when the simulator's power model made the samples.
func gpuTimelines(series []Series, colors map[string]color.Color) ([]Chart, error) {
	have, modelled := false, false
	for _, s := range series {
		for _, g := range s.GPU {
			have = true
			modelled = modelled || g.Source == schemas.GPUSourceModelled
		}
	}
	if !have {
		return nil, nil
	}
	suffix := ""
	if modelled {
		suffix = " (modelled)"
	}
	var out []Chart
	for _, c := range []struct {
		name, title, unit string
		get               func(gpuPoint) float64
	}{
		{"gpu_power", "GPU power, all the case's GPUs" + suffix, "watts", func(p gpuPoint) float64 { return p.powerW }},
		{"gpu_utilization", "GPU utilisation, mean of the case's GPUs" + suffix, "percent", func(p gpuPoint) float64 { return p.utilPct }},
	} {
		p := plot.New()
		p.Title.Text = c.title
		p.X.Label.Text = "trace seconds"
		p.Y.Label.Text = c.unit
		p.Add(plotter.NewGrid())
		legend := newLegend()
		for _, s := range series {
			pts := gpuSeconds(s.GPU, s.T0, s.TimeScale)
			if len(pts) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(pts))
			for j, pt := range pts {
				xy[j].X, xy[j].Y = pt.t, c.get(pt)
			}
			line, err := plotter.NewLine(xy)
			if err != nil {
				return nil, err
			}
			line.Color = colors[s.Case]
			line.Width = vg.Points(1.2)
			p.Add(line)
			legend.Add(s.Case, line)
		}
		p.Y.Min = 0
		ch, err := renderTiles(c.name, c.title, [][]*plot.Plot{{p}}, legend, 7*vg.Inch, 3.5*vg.Inch)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}
