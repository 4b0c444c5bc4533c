package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"plannerbench/schemas"
)

// SweepFile is a sweep's results in a matrix (or sweep) folder; the report
// shows its heatmaps when it is there.
const SweepFile = "sweep.json"

// LoadSweep reads dir/sweep.json; a folder without one returns nil.
func LoadSweep(dir string) (*schemas.Sweep, error) {
	data, err := os.ReadFile(filepath.Join(dir, SweepFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s schemas.Sweep
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SweepFile), err)
	}
	return &s, nil
}

// grid is one figure of a sweep as a heat map: columns are the load
// scales, rows the y values; colour is value, symmetric around center.
type grid struct {
	s     *schemas.Sweep
	value func(c schemas.SweepCell) float64
}

func (g grid) Dims() (c, r int)   { return len(g.s.Scales), len(g.s.YValues) }
func (g grid) Z(c, r int) float64 { return g.value(g.s.Cells[r][c]) }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// SweepHeatmaps draws the sweep's speedup (log scale, 1x neutral) and GPU
// saving (0 neutral) heatmaps, each cell labelled with its value and the
// seed's point outlined.
func SweepHeatmaps(s *schemas.Sweep) ([]Chart, error) {
	speed, err := heatmap(s, "sweep_speedup", "Speedup of the planner over the fixed baseline (baseline / planner average latency)",
		func(c schemas.SweepCell) float64 { return math.Log2(c.Speedup) },
		func(c schemas.SweepCell) string { return fmt.Sprintf("%.2fx", c.Speedup) })
	if err != nil {
		return nil, err
	}
	save, err := heatmap(s, "sweep_gpu_saving", "GPU saving of the planner (1 - planner / baseline time-averaged num_gpu)",
		func(c schemas.SweepCell) float64 { return c.GPUSaving },
		func(c schemas.SweepCell) string { return fmt.Sprintf("%+.0f%%", 100*c.GPUSaving) })
	if err != nil {
		return nil, err
	}
	return []Chart{speed, save}, nil
}

func heatmap(s *schemas.Sweep, name, title string, value func(schemas.SweepCell) float64, label func(schemas.SweepCell) string) (Chart, error) {
	g := grid{s: s, value: value}
	cols, rows := g.Dims()
	limit := 0.0
	for r := range rows {
		for c := range cols {
			if v := g.Z(c, r); !math.IsNaN(v) && !math.IsInf(v, 0) {
				limit = math.Max(limit, math.Abs(v))
			}
		}
	}
	if limit == 0 {
		limit = 1
	}
	pal := moreland.SmoothBlueRed()
	pal.SetMin(-limit)
	pal.SetMax(limit)
	h := plotter.NewHeatMap(g, pal.Palette(255))
	h.Min, h.Max = -limit, limit
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "load scale (x the trace's request rates)"
	p.Y.Label.Text = s.YAxis
	p.Add(h)
	var xy plotter.XYs
	var texts []string
	for r := range rows {
		for c := range cols {
			xy = append(xy, plotter.XY{X: float64(c), Y: float64(r)})
			texts = append(texts, label(s.Cells[r][c]))
		}
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: texts})
	if err != nil {
		return Chart{}, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(labels)
	if s.MarkX >= 0 && s.MarkY >= 0 {
		x, y := float64(s.MarkX), float64(s.MarkY)
		box, err := plotter.NewLine(plotter.XYs{{X: x - 0.48, Y: y - 0.48}, {X: x + 0.48, Y: y - 0.48}, {X: x + 0.48, Y: y + 0.48}, {X: x - 0.48, Y: y + 0.48}, {X: x - 0.48, Y: y - 0.48}})
		if err != nil {
			return Chart{}, err
		}
		box.Width = vg.Points(2.5)
		p.Add(box)
		p.Legend.Add("the seed's point", box)
		p.Legend.Top = true
	}
	xt := make([]plot.Tick, cols)
	for c, v := range s.Scales {
		xt[c] = plot.Tick{Value: float64(c), Label: fmt.Sprintf("%gx", v)}
	}
	yt := make([]plot.Tick, rows)
	for r, v := range s.YValues {
		yt[r] = plot.Tick{Value: float64(r), Label: v}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, float64(cols)-0.5, -0.5, float64(rows)-0.5
	return render(p, name, title, vg.Length(110+90*cols), vg.Length(110+50*rows))
}
