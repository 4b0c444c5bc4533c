package report

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"plannerbench/schemas"
)

// Chart is one rendered figure.
type Chart struct {
	Name  string `json:"name"` // file name without extension
	Title string `json:"title"`
	PNG   []byte `json:"-"`
	SVG   []byte `json:"-"`
}

// Series are a case's timeline and request measurements for the charts.
type Series struct {
	Case      string
	Timeline  []schemas.TimelineRow
	TTFTMS    []float64
	LatencyMS []float64
	// GPU holds the case's GPU telemetry (measured or modelled).
	GPU []schemas.GPUSample
	// T0 is the wall time of trace time zero and TimeScale the case's
	// time scale: together they put GPU samples on the trace's time axis.
	T0        time.Time
	TimeScale float64
}

var palette = []color.Color{
	color.RGBA{R: 0x76, G: 0xb9, B: 0x00, A: 0xff}, // NVIDIA green
	color.RGBA{R: 0x44, G: 0x72, B: 0xc4, A: 0xff},
	color.RGBA{R: 0xed, G: 0x7d, B: 0x31, A: 0xff},
	color.RGBA{R: 0x7f, G: 0x3f, B: 0xbf, A: 0xff},
	color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff},
	color.RGBA{R: 0x2e, G: 0x8b, B: 0x8b, A: 0xff},
}

func colorOf(i int) color.Color { return palette[i%len(palette)] }

// caseColors gives each case one colour, by its place in the report's case
// list, so it is the same in every chart (a case without a timeline or
// telemetry does not shift the others').
func caseColors(cases []Case) map[string]color.Color {
	m := make(map[string]color.Color, len(cases))
	for i, c := range cases {
		m[c.ID] = colorOf(i)
	}
	return m
}

// Charts renders the seed's two bar charts (average sequence latency, GPU
// usage), the timeline panels of its six metrics (one line a case, shared
// time axis) and the TTFT and latency distributions.
func Charts(cases []Case, series []Series) ([]Chart, error) {
	var out []Chart
	colors := caseColors(cases)
	names := make([]string, len(cases))
	lat := make(plotter.Values, len(cases))
	gpu := make(plotter.Values, len(cases))
	for i, c := range cases {
		names[i] = c.ID
		lat[i] = c.Summary.AvgRequestLatencyMS / 1000
		gpu[i] = c.Summary.AvgNumGPU
	}
	for _, b := range []struct {
		name, title, unit string
		v                 plotter.Values
	}{
		{"avg_latency", "Average sequence latency", "seconds", lat},
		{"gpu_usage", "GPU usage (time-averaged num_gpu)", "GPUs", gpu},
	} {
		p := plot.New()
		p.Title.Text = b.title
		p.Y.Label.Text = b.unit
		p.Add(plotter.NewGrid())
		for i, v := range b.v { // one bar a case, in the case's colour
			bars, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(40))
			if err != nil {
				return nil, fmt.Errorf("%s chart: %w", b.name, err)
			}
			bars.XMin = float64(i)
			bars.Color = colors[cases[i].ID]
			bars.LineStyle.Width = 0
			p.Add(bars)
		}
		p.NominalX(names...)
		labels, err := plotter.NewLabels(barLabels(b.v))
		if err == nil {
			p.Add(labels)
		}
		p.Y.Min = 0
		c, err := render(p, b.name, b.title, 5*vg.Inch, 4*vg.Inch)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	tl, err := timelinePanels(series, colors)
	if err != nil {
		return nil, err
	}
	out = append(out, tl)
	gpuCharts, err := gpuTimelines(series, colors)
	if err != nil {
		return nil, err
	}
	out = append(out, gpuCharts...)
	for _, d := range []struct {
		name, title string
		get         func(Series) []float64
	}{
		{"ttft_cdf", "TTFT distribution", func(s Series) []float64 { return s.TTFTMS }},
		{"latency_cdf", "Request latency distribution", func(s Series) []float64 { return s.LatencyMS }},
	} {
		p := plot.New()
		p.Title.Text = d.title
		p.X.Label.Text = "milliseconds (trace time)"
		p.Y.Label.Text = "share of requests (fraction)"
		p.Add(plotter.NewGrid())
		legend := newLegend()
		for _, s := range series {
			line, err := plotter.NewLine(cdf(d.get(s)))
			if err != nil {
				continue // no completed request
			}
			line.Color = colors[s.Case]
			line.Width = vg.Points(1.5)
			p.Add(line)
			legend.Add(s.Case, line)
		}
		p.Y.Min, p.Y.Max = 0, 1
		c, err := renderTiles(d.name, d.title, [][]*plot.Plot{{p}}, legend, 6*vg.Inch, 4*vg.Inch)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func barLabels(v plotter.Values) plotter.XYLabels {
	l := plotter.XYLabels{XYs: make(plotter.XYs, len(v)), Labels: make([]string, len(v))}
	for i, x := range v {
		l.XYs[i] = plotter.XY{X: float64(i) - 0.15, Y: x}
		l.Labels[i] = fmt.Sprintf("%.2f", x)
	}
	return l
}

// seedPanels are the seed's six planner metrics in the order TensorBoard
// shows them (its scalars dashboard sorts tags by name), each with its
// unit.
var seedPanels = []struct {
	name, unit string
	get        func(schemas.TimelineRow) float64
}{
	{"average_kv_load", "fraction of KV blocks, +0.02 a waiting request", func(r schemas.TimelineRow) float64 { return r.AverageKVLoad }},
	{"num_decode_workers", "workers", func(r schemas.TimelineRow) float64 { return float64(r.NumDecodeWorkers) }},
	{"num_gpu", "GPUs", func(r schemas.TimelineRow) float64 { return float64(r.NumGPU) }},
	{"num_prefill_workers", "workers", func(r schemas.TimelineRow) float64 { return float64(r.NumPrefillWorkers) }},
	{"num_queued_request", "requests", func(r schemas.TimelineRow) float64 { return r.TotalQueuedRequests }},
	{"prefill_queue_size", "requests", func(r schemas.TimelineRow) float64 { return r.PrefillQueueSize }},
}

// timelinePanels draws the six seed metrics in a 3x2 grid, one line a
// case, a shared time axis and one legend above the grid (a legend inside
// a panel covered its lines).
func timelinePanels(series []Series, colors map[string]color.Color) (Chart, error) {
	maxT := 0.0
	for _, s := range series {
		if n := len(s.Timeline); n > 0 {
			maxT = max(maxT, s.Timeline[n-1].TS)
		}
	}
	plots := make([][]*plot.Plot, len(seedPanels)/2)
	for i := range plots {
		plots[i] = make([]*plot.Plot, 2)
	}
	legend := newLegend()
	for k, m := range seedPanels {
		p := plot.New()
		p.Title.Text = m.name
		p.X.Label.Text = "trace seconds"
		p.Y.Label.Text = m.unit
		p.X.Min, p.X.Max = 0, max(maxT, 1)
		p.Add(plotter.NewGrid())
		for _, s := range series {
			pts := make(plotter.XYs, len(s.Timeline))
			for j, r := range s.Timeline {
				pts[j] = plotter.XY{X: r.TS, Y: m.get(r)}
			}
			if len(pts) == 0 {
				continue
			}
			line, err := plotter.NewLine(pts)
			if err != nil {
				return Chart{}, err
			}
			line.Color = colors[s.Case]
			line.Width = vg.Points(1.2)
			p.Add(line)
			if k == 0 {
				legend.Add(s.Case, line)
			}
		}
		plots[k/2][k%2] = p
	}
	return renderTiles("timeline", "Timelines of the seed's metrics", plots, legend, 11*vg.Inch, 10*vg.Inch)
}

// legendStrip is a chart's legend, drawn in a strip above its plots.
type legendStrip struct {
	plot.Legend
	n int
}

// newLegend is an empty legend strip.
func newLegend() *legendStrip {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	return &legendStrip{Legend: l}
}

// Add adds a case's line.
func (l *legendStrip) Add(name string, thumb plot.Thumbnailer) {
	l.Legend.Add(name, thumb)
	l.n++
}

// legendRow is the height of one legend entry in the strip.
const legendRow = 0.22 * vg.Inch

// renderTiles draws plots in a grid under a strip holding the legend (none
// when it is empty) as PNG (96 dpi) and SVG.
func renderTiles(name, title string, plots [][]*plot.Plot, legend *legendStrip, w, h vg.Length) (Chart, error) {
	strip := vg.Length(legend.n) * legendRow
	if strip > 0 {
		strip += legendRow / 2
	}
	drawAll := func(c draw.Canvas) {
		if strip > 0 {
			lc := draw.Crop(c, vg.Inch/2, 0, h-strip, 0)
			legend.Draw(lc)
		}
		drawTiles(draw.Crop(c, 0, 0, 0, -strip), plots)
	}
	out := Chart{Name: name, Title: title}
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))
	drawAll(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return out, fmt.Errorf("render %s: %w", name, err)
	}
	out.PNG = buf.Bytes()
	svg, err := canvasToSVG(w, h, drawAll)
	if err != nil {
		return out, fmt.Errorf("render %s: %w", name, err)
	}
	out.SVG = svg
	return out, nil
}

func drawTiles(c draw.Canvas, plots [][]*plot.Plot) {
	cols := 0
	for _, row := range plots {
		cols = max(cols, len(row))
	}
	t := draw.Tiles{Rows: len(plots), Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, t, c)
	for i := range plots {
		for j := range plots[i] {
			if plots[i][j] != nil {
				plots[i][j].Draw(canvases[i][j])
			}
		}
	}
}

// render writes a plot as PNG (96 dpi) and SVG.
func render(p *plot.Plot, name, title string, w, h vg.Length) (Chart, error) {
	c := Chart{Name: name, Title: title}
	for _, format := range []string{"png", "svg"} {
		wt, err := p.WriterTo(w, h, format)
		if err != nil {
			return c, fmt.Errorf("render %s: %w", name, err)
		}
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			return c, fmt.Errorf("render %s: %w", name, err)
		}
		if format == "png" {
			c.PNG = buf.Bytes()
		} else {
			c.SVG = buf.Bytes()
		}
	}
	return c, nil
}

func cdf(v []float64) plotter.XYs {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	pts := make(plotter.XYs, 0, len(s))
	for i, x := range s {
		pts = append(pts, plotter.XY{X: x, Y: float64(i+1) / float64(len(s))})
	}
	return pts
}

// WriteCharts saves each chart as NAME.png and NAME.svg in dir.
func WriteCharts(dir string, charts []Chart) error {
	for _, c := range charts {
		for ext, data := range map[string][]byte{".png": c.PNG, ".svg": c.SVG} {
			if err := os.WriteFile(filepath.Join(dir, c.Name+ext), data, 0o644); err != nil {
				return fmt.Errorf("write chart: %w", err)
			}
		}
	}
	return nil
}
