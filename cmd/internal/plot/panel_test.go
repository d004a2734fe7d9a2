package plot

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"testing"
)

// The unit circle as the level set 1 of x² + y² on a 41×41 grid over
// [−2, 2]²: one closed curve whose points lie on the circle up to the
// linear-interpolation error of a quadratic on an edge of length h = 0.1
// (≤ h²/4 in x² + y², so ≤ h²/8 = 1.25e-3 in the radius).
func TestContourCircle(t *testing.T) {
	g := Sample(func(x, y float64) float64 { return x*x + y*y }, -2, 2, -2, 2, 41, 41)
	lines, err := g.Contour(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 {
		t.Fatalf("%d curves, want 1", len(lines))
	}
	l := lines[0]
	n := len(l.X)
	if n < 40 || l.X[0] != l.X[n-1] || l.Y[0] != l.Y[n-1] {
		t.Fatalf("not a closed curve of ≥ 40 points: %d points, ends (%v,%v) (%v,%v)", n, l.X[0], l.Y[0], l.X[n-1], l.Y[n-1])
	}
	for k := range l.X {
		if r := math.Hypot(l.X[k], l.Y[k]); math.Abs(r-1) > 1.25e-3 {
			t.Errorf("point %d at radius %v", k, r)
		}
	}
	// A level cut by the grid's boundary gives open curves: y = 0.5 on a plane.
	open, _ := Sample(func(x, y float64) float64 { return y }, -1, 1, -1, 1, 11, 11).Contour(0.55)
	if len(open) != 1 || len(open[0].X) != 11 {
		t.Fatalf("plane: %d curves", len(open))
	}
	if _, err := (&Grid2{NX: 1, NY: 3, Z: make([]float64, 3)}).Contour(0); err == nil {
		t.Error("want an error for a degenerate grid")
	}
}

// Every point of the k-σ ellipse satisfies xᵀΣ⁻¹x = k².
func TestEllipse(t *testing.T) {
	cov := [4]float64{2, 0.7, 0.7, 0.5}
	det := cov[0]*cov[3] - cov[1]*cov[2]
	xs, ys := Ellipse(1, -1, cov, 2, 64)
	for i := range xs {
		x, y := xs[i]-1, ys[i]+1
		q := (cov[3]*x*x - 2*cov[1]*x*y + cov[0]*y*y) / det
		if math.Abs(q-4) > 1e-12 {
			t.Errorf("point %d: xᵀΣ⁻¹x = %v, want 4", i, q)
		}
	}
}

func TestPanelsSVG(t *testing.T) {
	f := Panels{Title: "two <panels>", Cols: 2, Legend: []Key{{Label: "OT"}, {Label: "data", Dot: true}}, Panels: []Panel{
		{Title: "a", Equal: true, Lines: []Line{{X: []float64{0, 1, math.NaN(), 2, 3}, Y: []float64{0, 1, 0, 2, 2}}},
			Legend: []Key{{Label: "x"}}},
		{Title: "b", Points: []Points{{X: []float64{1, 2}, Y: []float64{3, 4}}}},
	}}
	var b bytes.Buffer
	if err := f.SVG(&b); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&b)
	count := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			count[se.Name.Local]++
		}
	}
	// The NaN splits the line in two polylines; the dots are one path, the
	// legend dot a circle.
	if count["polyline"] != 2 || count["path"] != 1 || count["circle"] != 1 || count["clipPath"] != 2 {
		t.Errorf("elements %v", count)
	}
	if err := (&Panels{}).SVG(&b); err == nil {
		t.Error("want an error without panels")
	}
	bad := Panels{Panels: []Panel{{Lines: []Line{{X: []float64{1}, Y: nil}}}}}
	if err := bad.SVG(&b); err == nil {
		t.Error("want an error for mismatched lengths")
	}
}
