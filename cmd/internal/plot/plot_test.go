package plot

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

func TestSVGIsWellFormed(t *testing.T) {
	f := Figure{Title: "NLL <test>", XLabel: "epoch", YLabel: "NLL", Series: []Series{
		{Name: "OT", X: []float64{0, 1, 2, 3}, Y: []float64{30, 27, 26, 25.7}},
		{Name: "HI-FM & hyp.", X: []float64{0, 1, 2, 3}, Y: []float64{29, math.NaN(), 25, 24.9}},
	}}
	var b bytes.Buffer
	if err := f.SVG(&b); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&b)
	lines := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG is not well-formed XML: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	// The NaN breaks the second series in two pieces: its first piece has
	// one point and is drawn as a dot, so 2 polylines in all.
	if lines != 2 {
		t.Errorf("%d polylines, want 2", lines)
	}
	if err := (&Figure{Series: []Series{{Name: "x", X: []float64{1}, Y: []float64{1, 2}}}}).SVG(&b); err == nil {
		t.Error("want an error for mismatched series")
	}
	if err := (&Figure{Series: []Series{{Name: "x", X: []float64{math.NaN()}, Y: []float64{1}}}}).SVG(&b); err == nil {
		t.Error("want an error when nothing is finite")
	}
}

func TestHistogramIntegratesToOne(t *testing.T) {
	xs := []float64{0.1, 0.2, 0.25, 0.9, 5}
	h := Histogram("d", xs, 0, 1, 4)
	var area float64
	for _, y := range h.Y {
		area += y * 0.25
	}
	if math.Abs(area-1) > 1e-12 {
		t.Errorf("area %v, want 1", area)
	}
	if h.Y[0] != 2/(4*0.25) || h.X[0] != 0.125 {
		t.Errorf("first bin %v at %v", h.Y[0], h.X[0])
	}
}

func TestGridPNG(t *testing.T) {
	im := make([]float64, 4)
	im[3] = 1
	var b bytes.Buffer
	if err := Grid(&b, [][]float64{im, im, im}, 2, 2, 2); err != nil {
		t.Fatal(err)
	}
	p, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Bounds().Dx(); got != 2*(2+2)+2 {
		t.Errorf("width %d", got)
	}
	r, _, _, _ := p.At(2+1, 2+1).RGBA()
	if r != 0xffff {
		t.Errorf("pixel (1,1) of the first image should be white, got %x", r)
	}
	if err := Grid(&b, [][]float64{{1}}, 2, 2, 1); err == nil || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("want a size error, got %v", err)
	}
}

func TestTickLabels(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 30: "30", 2.5: "2.5", 100: "100", 0.1: "0.1", -40: "-40", 1e-5: "1e-05"} {
		if got := fmtTick(v); got != want {
			t.Errorf("fmtTick(%v) = %q, want %q", v, got, want)
		}
	}
}
