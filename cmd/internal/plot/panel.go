package plot

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Line is a polyline in data coordinates. Non-finite points break it.
type Line struct {
	X, Y    []float64
	Color   string  // "" takes the palette colour of the line's index
	Width   float64 // stroke width in pixels (0: 1.5)
	Opacity float64 // 0: 1
	Dash    bool
	// MinStep drops points closer than MinStep pixels (Manhattan) to the
	// last point kept, the end point excepted (0: 2 pixels).
	MinStep float64
}

// Points is a cloud of dots.
type Points struct {
	X, Y    []float64
	Color   string
	R       float64 // radius in pixels (0: 1.5)
	Opacity float64 // 0: 1
}

// Key is one legend entry: a line (or dots) of a colour with a label.
type Key struct {
	Label string
	Color string
	Dash  bool
	Dot   bool
}

// Panel is one x–y plot of a Panels figure.
type Panel struct {
	Title, XLabel, YLabel string
	// XRange and YRange fix the axes; a zero range is taken from the data.
	XRange, YRange [2]float64
	// Equal gives both axes the same scale (pictures of 2-D points).
	Equal  bool
	Lines  []Line
	Points []Points
	// Legend is drawn in the panel's top-right corner.
	Legend []Key
}

// Panels is a figure of Cols panels per row with a title and a legend row
// shared by all panels at the bottom.
type Panels struct {
	Title  string
	Panels []Panel
	Cols   int // 0: all in one row
	// PanelW and PanelH are one panel's size in pixels (0: 300×300).
	PanelW, PanelH int
	Legend         []Key
}

func (p *Panel) dataRange() (x0, x1, y0, y1 float64, err error) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	add := func(xs, ys []float64) error {
		if len(xs) != len(ys) {
			return fmt.Errorf("plot: panel %q: %d x and %d y values", p.Title, len(xs), len(ys))
		}
		for i := range xs {
			if finite(xs[i]) && finite(ys[i]) {
				x0, x1 = math.Min(x0, xs[i]), math.Max(x1, xs[i])
				y0, y1 = math.Min(y0, ys[i]), math.Max(y1, ys[i])
			}
		}
		return nil
	}
	for _, l := range p.Lines {
		if err := add(l.X, l.Y); err != nil {
			return 0, 0, 0, 0, err
		}
	}
	for _, q := range p.Points {
		if err := add(q.X, q.Y); err != nil {
			return 0, 0, 0, 0, err
		}
	}
	if p.XRange[0] < p.XRange[1] {
		x0, x1 = p.XRange[0], p.XRange[1]
	}
	if p.YRange[0] < p.YRange[1] {
		y0, y1 = p.YRange[0], p.YRange[1]
	}
	if x0 > x1 || y0 > y1 {
		return 0, 0, 0, 0, fmt.Errorf("plot: panel %q has no finite points", p.Title)
	}
	if x0 == x1 {
		x0, x1 = x0-1, x1+1
	}
	if y0 == y1 {
		y0, y1 = y0-1, y1+1
	}
	if p.YRange[0] >= p.YRange[1] {
		pad := 0.05 * (y1 - y0)
		y0, y1 = y0-pad, y1+pad
	}
	return x0, x1, y0, y1, nil
}

// SVG writes the figure as a standalone SVG document.
func (f *Panels) SVG(w io.Writer) error {
	if len(f.Panels) == 0 {
		return errors.New("plot: a figure without panels")
	}
	cols := f.Cols
	if cols <= 0 || cols > len(f.Panels) {
		cols = len(f.Panels)
	}
	rows := (len(f.Panels) + cols - 1) / cols
	pw, ph := f.PanelW, f.PanelH
	if pw == 0 {
		pw, ph = 300, 300
	}
	const ml, mr, mt, mb = 52, 14, 26, 40 // per-panel margins
	W := cols * (pw + ml + mr)
	lrows := legendRows(f.Legend, W-20)
	top, bottom := 34, 8+20*len(lrows)
	H := top + rows*(ph+mt+mb) + bottom
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", W, H)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", W, H)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15">%s</text>`+"\n", 10, html.EscapeString(f.Title))
	for k := range f.Panels {
		ox := (k%cols)*(pw+ml+mr) + ml
		oy := top + (k/cols)*(ph+mt+mb) + mt
		if err := f.Panels[k].svg(&b, ox, oy, pw, ph); err != nil {
			return err
		}
	}
	for i, r := range lrows {
		legend(&b, r, 10, H-bottom+20*i+14, true)
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func keyWidth(k Key) int { return 40 + 7*len([]rune(k.Label)) }

// legendRows splits keys into rows at most width pixels wide.
func legendRows(keys []Key, width int) [][]Key {
	var rows [][]Key
	w := 0
	for i, k := range keys {
		if k.Color == "" {
			k.Color = palette[i%len(palette)]
		}
		if len(rows) == 0 || w+keyWidth(k) > width {
			rows = append(rows, nil)
			w = 0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], k)
		w += keyWidth(k)
	}
	return rows
}

// legend draws keys in a row (horizontal) or a column starting at (x, y).
func legend(b *bytes.Buffer, keys []Key, x, y int, horizontal bool) {
	for i, k := range keys {
		col := k.Color
		if col == "" {
			col = palette[i%len(palette)]
		}
		if k.Dot {
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="3" fill="%s"/>`, x+10, y-4, col)
		} else {
			dash := ""
			if k.Dash {
				dash = ` stroke-dasharray="4,3"`
			}
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`, x, y-4, x+20, y-4, col, dash)
		}
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", x+25, y, html.EscapeString(k.Label))
		if horizontal {
			x += keyWidth(k)
		} else {
			y += 16
		}
	}
}

func (p *Panel) svg(b *bytes.Buffer, ox, oy, pw, ph int) error {
	x0, x1, y0, y1, err := p.dataRange()
	if err != nil {
		return err
	}
	if p.Equal {
		// Widen the narrower range so one data unit is as long on both axes.
		sx, sy := (x1-x0)/float64(pw), (y1-y0)/float64(ph)
		if sx > sy {
			c := (y0 + y1) / 2
			y0, y1 = c-sx*float64(ph)/2, c+sx*float64(ph)/2
		} else {
			c := (x0 + x1) / 2
			x0, x1 = c-sy*float64(pw)/2, c+sy*float64(pw)/2
		}
	}
	fw, fh := float64(pw), float64(ph)
	px := func(x float64) float64 { return float64(ox) + (x-x0)/(x1-x0)*fw }
	py := func(y float64) float64 { return float64(oy) + (1-(y-y0)/(y1-y0))*fh }
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13">%s</text>`+"\n", ox, oy-8, html.EscapeString(p.Title))
	for _, t := range ticks(x0, x1, 5) {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			px(t), oy, px(t), oy+ph, px(t), oy+ph+15, fmtTick(t))
	}
	for _, t := range ticks(y0, y1, 5) {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			ox, py(t), ox+pw, py(t), ox-5, py(t)+4, fmtTick(t))
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", float64(ox)+fw/2, oy+ph+32, html.EscapeString(p.XLabel))
	fmt.Fprintf(b, `<text transform="translate(%d,%.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", ox-38, float64(oy)+fh/2, html.EscapeString(p.YLabel))
	// Clip the data to the plot area.
	fmt.Fprintf(b, `<clipPath id="c%d_%d"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath><g clip-path="url(#c%d_%d)">`+"\n", ox, oy, ox, oy, pw, ph, ox, oy)
	for i, l := range p.Lines {
		col := l.Color
		if col == "" {
			col = palette[i%len(palette)]
		}
		wd := l.Width
		if wd == 0 {
			wd = 1.5
		}
		attr := fmt.Sprintf(`fill="none" stroke="%s" stroke-width="%g"`, col, wd)
		if l.Opacity > 0 && l.Opacity < 1 {
			attr += fmt.Sprintf(` stroke-opacity="%g"`, l.Opacity)
		}
		if l.Dash {
			attr += ` stroke-dasharray="4,3"`
		}
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				fmt.Fprintf(b, `<polyline %s points="%s"/>`+"\n", attr, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		// Drop points within MinStep of the last one kept: smaller files,
		// the same picture.
		var lx, ly float64
		minStep := l.MinStep
		if minStep == 0 {
			minStep = 2
		}
		for k := range l.X {
			if !finite(l.X[k]) || !finite(l.Y[k]) {
				flush()
				continue
			}
			x, y := px(l.X[k]), py(l.Y[k])
			last := k == len(l.X)-1 || !finite(l.X[k+1]) || !finite(l.Y[k+1])
			if len(pts) > 0 && !last && math.Abs(x-lx)+math.Abs(y-ly) < minStep {
				continue
			}
			lx, ly = x, y
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		flush()
	}
	for i, q := range p.Points {
		col := q.Color
		if col == "" {
			col = palette[i%len(palette)]
		}
		r := q.R
		if r == 0 {
			r = 1.5
		}
		op := ""
		if q.Opacity > 0 && q.Opacity < 1 {
			op = fmt.Sprintf(` fill-opacity="%g"`, q.Opacity)
		}
		// Dots as zero-length round-capped subpaths: ~14 bytes per point.
		var d strings.Builder
		for k := range q.X {
			if finite(q.X[k]) && finite(q.Y[k]) {
				fmt.Fprintf(&d, "M%.1f %.1fh0", px(q.X[k]), py(q.Y[k]))
			}
		}
		if d.Len() > 0 {
			fmt.Fprintf(b, `<path d="%s" stroke="%s" stroke-width="%g" stroke-linecap="round"%s/>`+"\n", d.String(), col, 2*r, strings.Replace(op, "fill-", "stroke-", 1))
		}
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="black"/>`+"\n", ox, oy, pw, ph)
	if len(p.Legend) > 0 {
		w := 0
		for _, k := range p.Legend {
			w = max(w, 7*len([]rune(k.Label)))
		}
		lx, ly := ox+pw-w-34, oy+6
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="white" fill-opacity="0.85" stroke="#999"/>`+"\n", lx-4, ly, w+36, 16*len(p.Legend)+4)
		legend(b, p.Legend, lx, ly+15, false)
	}
	return nil
}

// Ellipse returns the k-σ ellipse {c + k Σ^{1/2} u : ‖u‖ = 1} of the 2×2
// covariance cov (row-major) as a closed polyline of n+1 points.
func Ellipse(cx, cy float64, cov [4]float64, k float64, n int) (xs, ys []float64) {
	a, bb, d := cov[0], (cov[1]+cov[2])/2, cov[3]
	// Eigen-decomposition of [[a, b], [b, d]] in closed form.
	m, h := (a+d)/2, math.Hypot((a-d)/2, bb)
	l1, l2 := math.Max(m+h, 0), math.Max(m-h, 0)
	th := 0.5 * math.Atan2(2*bb, a-d)
	c, s := math.Cos(th), math.Sin(th)
	r1, r2 := k*math.Sqrt(l1), k*math.Sqrt(l2)
	xs, ys = make([]float64, n+1), make([]float64, n+1)
	for i := range n + 1 {
		t := 2 * math.Pi * float64(i) / float64(n)
		u, v := r1*math.Cos(t), r2*math.Sin(t)
		xs[i] = cx + c*u - s*v
		ys[i] = cy + s*u + c*v
	}
	return xs, ys
}
