// Package plot draws hifm's pictures (the figures of hifm reproduce, built
// in cmd/internal/repro, and the panels of hifm explain) with the standard
// library only: line plots and histogram overlays as SVG (hand-written, a
// few hundred bytes of markup per series) and image grids as PNG. It is
// internal to cmd: only the command line draws, the library packages under
// flow return numbers.
package plot

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"

	"github.com/hifm-go/hifm/tensor/atomicfile"
)

// Series is one named line of (X[i], Y[i]) points.
type Series struct {
	Name string
	X, Y []float64
}

// Figure is a line plot.
type Figure struct {
	Title, XLabel, YLabel string
	Series                []Series
	Width, Height         int // pixels; 0 means 640×400
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

// bounds returns the finite data range of all series.
func (f *Figure) bounds() (x0, x1, y0, y1 float64, err error) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for _, s := range f.Series {
		if len(s.X) != len(s.Y) {
			return 0, 0, 0, 0, fmt.Errorf("plot: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		for i := range s.X {
			if !finite(s.X[i]) || !finite(s.Y[i]) {
				continue
			}
			x0, x1 = math.Min(x0, s.X[i]), math.Max(x1, s.X[i])
			y0, y1 = math.Min(y0, s.Y[i]), math.Max(y1, s.Y[i])
		}
	}
	if x0 > x1 {
		return 0, 0, 0, 0, errors.New("plot: no finite points")
	}
	if x0 == x1 {
		x0, x1 = x0-1, x1+1
	}
	if y0 == y1 {
		y0, y1 = y0-1, y1+1
	}
	pad := 0.05 * (y1 - y0)
	return x0, x1, y0 - pad, y1 + pad, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ticks returns about n round tick values covering [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/float64(n))))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(step*m) <= float64(n) {
			step *= m
			break
		}
	}
	var t []float64
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9*step; v += step {
		t = append(t, v)
	}
	return t
}

// SVG writes the figure as a standalone SVG document. Non-finite points
// break the line instead of being drawn.
func (f *Figure) SVG(w io.Writer) error {
	x0, x1, y0, y1, err := f.bounds()
	if err != nil {
		return err
	}
	W, H := f.Width, f.Height
	if W == 0 {
		W, H = 640, 400
	}
	const ml, mr, mt, mb = 70, 160, 40, 50
	pw, ph := float64(W-ml-mr), float64(H-mt-mb)
	px := func(x float64) float64 { return ml + (x-x0)/(x1-x0)*pw }
	py := func(y float64) float64 { return mt + (1-(y-y0)/(y1-y0))*ph }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", W, H)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", W, H)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15">%s</text>`+"\n", ml, html.EscapeString(f.Title))
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="black"/>`+"\n", ml, mt, pw, ph)
	for _, t := range ticks(x0, x1, 6) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n",
			px(t), float64(mt), px(t), float64(mt)+ph, px(t), float64(mt)+ph+16, fmtTick(t))
	}
	for _, t := range ticks(y0, y1, 6) {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			ml, py(t), float64(ml)+pw, py(t), ml-6, py(t)+4, fmtTick(t))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", float64(ml)+pw/2, H-10, html.EscapeString(f.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(16,%.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", float64(mt)+ph/2, html.EscapeString(f.YLabel))
	for i, s := range f.Series {
		col := palette[i%len(palette)]
		var pts []string
		flush := func() { // a lone point is drawn as a dot
			switch len(pts) {
			case 0:
				return
			case 1:
				fmt.Fprintf(&b, `<circle cx="%s" r="3" fill="%s"/>`+"\n", strings.Replace(pts[0], ",", `" cy="`, 1), col)
			default:
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`+"\n", col, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for k := range s.X {
			if !finite(s.X[k]) || !finite(s.Y[k]) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[k]), py(s.Y[k])))
		}
		flush()
		ly := mt + 14 + 18*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/><text x="%d" y="%d">%s</text>`+"\n",
			W-mr+10, ly, W-mr+30, ly, col, W-mr+36, ly+4, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>\n")
	_, err = w.Write(b.Bytes())
	return err
}

func fmtTick(v float64) string {
	if v == 0 {
		return "0"
	}
	s := fmt.Sprintf("%.4g", v)
	if strings.Contains(s, ".") && !strings.Contains(s, "e") {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Histogram returns the normalised histogram (densities) of xs on
// [lo, hi) with bins bins, as a series of bin centres; values outside the
// range are ignored.
func Histogram(name string, xs []float64, lo, hi float64, bins int) Series {
	s := Series{Name: name, X: make([]float64, bins), Y: make([]float64, bins)}
	w := (hi - lo) / float64(bins)
	n := 0
	for _, x := range xs {
		k := int(math.Floor((x - lo) / w))
		if k >= 0 && k < bins {
			s.Y[k]++
			n++
		}
	}
	for k := range s.X {
		s.X[k] = lo + (float64(k)+0.5)*w
		if n > 0 {
			s.Y[k] /= float64(n) * w
		}
	}
	return s
}

// Grid renders equally sized grey images (values in [0, 1], row-major
// rows×cols each) as a PNG mosaic with cols images per row.
func Grid(w io.Writer, images [][]float64, rows, cols, perRow int) error {
	if len(images) == 0 || rows <= 0 || cols <= 0 || perRow <= 0 {
		return errors.New("plot: empty image grid")
	}
	nr := (len(images) + perRow - 1) / perRow
	const gap = 2
	img := image.NewGray(image.Rect(0, 0, perRow*(cols+gap)+gap, nr*(rows+gap)+gap))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	for k, im := range images {
		if len(im) != rows*cols {
			return fmt.Errorf("plot: image %d has %d pixels, want %d×%d", k, len(im), rows, cols)
		}
		ox, oy := gap+(k%perRow)*(cols+gap), gap+(k/perRow)*(rows+gap)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				v := im[r*cols+c]
				if !finite(v) {
					v = 0
				}
				img.SetGray(ox+c, oy+r, color.Gray{Y: uint8(math.Round(255 * math.Min(1, math.Max(0, v))))})
			}
		}
	}
	return png.Encode(w, img)
}

// WriteFile writes what render produces to path atomically.
func WriteFile(path string, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	return atomicfile.Write(path, b.Bytes())
}
