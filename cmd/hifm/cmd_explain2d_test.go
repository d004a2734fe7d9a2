package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/energy"
)

// svgElements parses an SVG file and counts its elements by name.
func svgElements(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	n := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("%s is not well-formed: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
		}
	}
}

// TestExplainExamples runs the generator of docs/figures (make figures)
// with reduced counts: every picture is written and well-formed, and the
// walk-through prints the equation-cited steps.
func TestExplainExamples(t *testing.T) {
	for _, c := range []struct {
		name  string
		figs  int
		wants []string
	}{
		{energy.ToyWell, 4, []string{"0 zero eigenvalue", "Eq. 14", "Eq. 21", "Eq. 22", "9. Pictures"}},
		{energy.ToyRing, 5, []string{"1 zero eigenvalue", "tangent", "Eq. 16", "Eq. 22", "9. Pictures"}},
	} {
		dir := t.TempDir()
		var out, errb bytes.Buffer
		if code := run([]string{"explain", "-example", c.name, "-paths", "3", "-out", dir}, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, errb.String())
		}
		for _, w := range c.wants {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q", c.name, w)
			}
		}
		svgs, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
		if len(svgs) != c.figs {
			t.Errorf("%s: %d pictures, want %d", c.name, len(svgs), c.figs)
		}
		for _, f := range svgs {
			if n := svgElements(t, f); n["polyline"] < 3 {
				t.Errorf("%s: %d polylines", f, n["polyline"])
			}
		}
		// paths.svg: 4 panels × (3 trajectories + contours).
		if n := svgElements(t, filepath.Join(dir, c.name+"_paths.svg")); n["clipPath"] != 4 {
			t.Errorf("%s_paths.svg has %d panels, want 4", c.name, n["clipPath"])
		}
		var cfg map[string]any
		b, err := os.ReadFile(filepath.Join(dir, c.name+"_config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &cfg); err != nil || cfg["example"] != c.name {
			t.Errorf("config.json: %v %v", cfg, err)
		}
	}
}

// The drawn trajectories are the path functions' own outputs: the last
// point of every trajectory (and its end dot) is HIFMPath.Draw at
// s = 1 − δ, resp. OTPath.Draw at s = 1, called here independently; the
// same function and arguments give the same bits, so the check is exact.
func TestExplainDrawnEndpoint(t *testing.T) {
	cfg := flow.Default()
	ex, toy, err := explain2D(cfg, energy.ToyWell)
	if err != nil {
		t.Fatal(err)
	}
	fs := newFigSet(energy.ToyWell, toy, cfg, ex.Y1, ex.H, 5, 1)
	fig, err := fs.figPaths(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg
	c.Alpha = 1.5
	sp, err := (&flow.Pipeline{Config: c}).Spectrum(ex.H, ex.Y1)
	if err != nil {
		t.Fatal(err)
	}
	for k, pn := range []struct {
		idx  int
		path flow.Path
		s    float64
		sp   *flow.Spectrum
	}{{0, flow.OTPath{SigmaMin: cfg.SigmaMin, Sigma0: cfg.Sigma0}, 1, nil}, {3, flow.NewHIFMPath(c), c.SMax(), sp}} {
		panel := fig.Panels[pn.idx]
		if len(panel.Lines) != len(fs.y0s) {
			t.Fatalf("panel %d: %d lines, want %d trajectories", k, len(panel.Lines), len(fs.y0s))
		}
		for j, y0 := range fs.y0s {
			y, u := make([]float64, 2), make([]float64, 2)
			pn.path.Draw(y, u, y0, ex.Y1, pn.s, pn.sp)
			l := panel.Lines[j]
			end := []float64{l.X[len(l.X)-1], l.Y[len(l.Y)-1]}
			dot := []float64{panel.Points[2].X[j], panel.Points[2].Y[j]}
			if d := cmp.Diff(y, end); d != "" {
				t.Errorf("panel %d trajectory %d end: %s", k, j, d)
			}
			if d := cmp.Diff(y, dot); d != "" {
				t.Errorf("panel %d end dot %d: %s", k, j, d)
			}
			// ψ_0 = y1 + Q(Qᵀ(y0 − y1)) is y0 up to rounding (|y| ≲ 3, a few ulps).
			if d := cmp.Diff(y0, []float64{l.X[0], l.Y[0]}, cmpopts.EquateApprox(0, 1e-14)); d != "" {
				t.Errorf("panel %d trajectory %d does not start at y0: %s", k, j, d)
			}
		}
	}
}

// -train with tiny sizes: both pictures are written and every run's NLL
// is recorded.
func TestExplainTrain(t *testing.T) {
	defer func(a, b, c int) { toyTrainN, toyTestN, toyGenN = a, b, c }(toyTrainN, toyTestN, toyGenN)
	toyTrainN, toyTestN, toyGenN = 100, 4, 8
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"explain", "-example", "ring", "-train", "-steps", "6", "-paths", "2", "-out", dir, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, f := range []string{"ring_train_samples.svg", "ring_train_nll.svg"} {
		svgElements(t, filepath.Join(dir, f))
	}
	var cfg struct {
		Train toyTrainResult `json:"train"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ring_config.json"))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	// OT + HI-FM invariant, projected loss, projected path, hyperbolized;
	// NLL at steps 1…6.
	if len(cfg.Train.Runs) != 5 {
		t.Fatalf("%d runs, want 5", len(cfg.Train.Runs))
	}
	for _, r := range cfg.Train.Runs {
		if len(r.NLL) != 6 {
			t.Errorf("%s: %d NLL values, want 6", r.Label, len(r.NLL))
		}
	}
	if pp := cfg.Train.Runs[3].Config; pp.Flow.NullSpace != flow.NullSpaceProjected || pp.Flow.Project {
		t.Errorf("projected-path run config %+v", pp.Flow)
	}
	if hy := cfg.Train.Runs[4].Config; hy.Hessian != "energy-min" || hy.Energy != "ring" || !hy.Flow.Hyperbolize {
		t.Errorf("hyperbolized run config %+v", hy)
	}
}

func TestExplainExampleBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"explain", "-example", "foo"},
		{"explain", "-example", "ring", "-train"},
		{"explain", "-out", dir},
		{"explain", "-train", "-out", dir},
		{"explain", "-example", "well", "-paths", "0", "-out", dir},
		{"explain", "-example", "ring", "-train", "-steps", "0", "-out", dir},
		{"explain", "-example", "ring", "-null-space", "bogus"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
		if !strings.Contains(errb.String(), "hifm explain:") {
			t.Errorf("%v: message %q", args, errb.String())
		}
	}
}
