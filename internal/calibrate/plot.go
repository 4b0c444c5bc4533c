package calibrate

import (
	"fmt"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WritePNG draws each fit's points and curve side by side, with R² and
// RMSE in the titles.
func (r *Result) WritePNG(w io.Writer) error {
	row := []*plot.Plot{}
	for _, f := range []struct {
		fit    Fit
		xLabel string
	}{{r.Prefill, "prompt tokens"}, {r.Decode, "KV utilisation"}} {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s (R² %.4f, RMSE %.2f ms, %d points)", f.fit.Name, f.fit.R2, f.fit.RMSE, f.fit.Points)
		p.X.Label.Text, p.Y.Label.Text = f.xLabel, "ms"
		pts := make(plotter.XYs, len(f.fit.X))
		for i := range f.fit.X {
			pts[i].X, pts[i].Y = f.fit.X[i], f.fit.Y[i]
		}
		coeffs := f.fit.Coeffs
		curve := plotter.NewFunction(coeffs.At)
		curve.XMin, curve.XMax = f.fit.MinX, f.fit.MaxX
		curve.Width = vg.Points(1.5)
		if len(pts) == 0 { // not fitted (no data): the base's curve over [0, 1]
			p.Title.Text = fmt.Sprintf("%s (%s)", f.fit.Name, f.fit.Shape)
			curve.XMin, curve.XMax = 0, 1
			p.Add(curve)
			p.Legend.Add(f.fit.Shape, curve)
			p.Legend.Top = true
			row = append(row, p)
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", f.fit.Name, err)
		}
		p.Add(sc, curve)
		p.Legend.Add("measured", sc)
		p.Legend.Add("fit", curve)
		p.Legend.Top = true
		row = append(row, p)
	}
	img := vgimg.NewWith(vgimg.UseWH(12*vg.Inch, 5*vg.Inch), vgimg.UseDPI(96))
	c := draw.New(img)
	t := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{row}, t, c)
	for j, p := range row {
		p.Draw(canvases[0][j])
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("write the calibration plot: %w", err)
	}
	return nil
}
