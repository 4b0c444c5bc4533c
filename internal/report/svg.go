package report

import (
	"bytes"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// canvasToSVG draws onto one SVG canvas of w x h.
func canvasToSVG(w, h vg.Length, drawAll func(draw.Canvas)) ([]byte, error) {
	c := vgsvg.New(w, h)
	drawAll(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
