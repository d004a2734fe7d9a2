package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/hifm-go/hifm/cmd/internal/plot"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/energy"
)

// The 2-D lessons of `hifm explain -example well|ring` (the paper's
// Fig. 1–2): one data point walked through equation by equation, and with
// -out the pictures of its conditional paths, densities and time scales.

// example2D holds the numbers of a 2-D walk-through (--json prints it).
type example2D struct {
	Example string `json:"example"`
	Formula string `json:"energy"`
	// H is ∇²V(y1) by autodiff; HClosedDiff its largest difference from
	// the closed form.
	H           []float64 `json:"hessian"`
	HClosedDiff float64   `json:"hessian_autodiff_minus_closed_form"`
	V1          float64   `json:"energy_at_y1"`
	// Q holds the eigenvectors (columns, row-major 2×2).
	Q []float64 `json:"eigenvectors"`
	*explainState
	Figures []string `json:"figures,omitempty"`
}

// toyPoint is the data sample y1 of each example: off-axis in the well (so
// its Hessian's eigenvectors are rotated), on the circle in the ring (a
// minimum with its tangent null direction).
var toyPoint = map[string][]float64{
	energy.ToyWell: {0.9, 1.3},
	energy.ToyRing: {0.6, 0.8},
}

var toyFormula = map[string]string{
	energy.ToyWell: "V(y) = ½(A y₁² + B y₂²) + ¼ C ‖y‖⁴, A = 4, B = 0.25, C = 0.1: an anisotropic quadratic/quartic well",
	energy.ToyRing: "V(y) = (‖y‖² − 1)²: a circular trough whose minima form the unit circle",
}

// toyHessian is ∇²V(y1) of the toy by autodiff (the spectra's source in
// training, train.HessianEnergy).
func toyHessian(t energy.Toy, y []float64) []float64 {
	h := make([]float64, 4)
	energy.AutodiffHessian(t, y, h)
	return h
}

func explain2D(cfg flow.Config, name string) (*example2D, energy.Toy, error) {
	toy, err := energy.NewToy(name)
	if err != nil {
		return nil, nil, usageError("-example: %v", err)
	}
	y1 := append([]float64(nil), toyPoint[name]...)
	h := toyHessian(toy, y1)
	hc := make([]float64, 4)
	toy.Hessian(y1, hc)
	var d float64
	for i := range h {
		d = math.Max(d, math.Abs(h[i]-hc[i]))
	}
	// The same fixed base draw as the 12-dimensional walk-through.
	y0 := []float64{math.Sin(0.3), math.Sin(2.0)}
	st, err := explainPath(cfg, y1, y0, h)
	if err != nil {
		return nil, nil, err
	}
	sp, _ := (&flow.Pipeline{Config: cfg}).Spectrum(h, y1)
	return &example2D{Example: name, Formula: toyFormula[name], H: h, HClosedDiff: d, V1: toy.Value(y1), Q: sp.Q, explainState: st}, toy, nil
}

func printExplain2D(w io.Writer, ex *example2D) {
	st := ex.explainState
	c := st.Config
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("HI-FM on a 2-D energy, one conditional path step by step (example %q, n = 2)", ex.Example)
	p("")
	p("1. Energy %s   (HIFM-MATH §4)", ex.Formula)
	p("   data sample y1 = %s, V(y1) = %.4g", fmtVec(st.Y1, 2), ex.V1)
	p("2. Hessian H = ∇²V(y1) by autodiff (reverse over reverse, Algorithm 1's precompute, §5):")
	p("     [[%.6g, %.6g], [%.6g, %.6g]]   (closed form agrees to %.1e)", ex.H[0], ex.H[1], ex.H[2], ex.H[3], ex.HClosedDiff)
	p("3. Jacobi eigendecomposition H = Q Λ Qᵀ, eigenvalues ascending   (§2):")
	p("     λ = %s, q_1 = %s, q_2 = %s", fmtVec(st.RawEigen, 2), fmtVec([]float64{ex.Q[0], ex.Q[2]}, 2), fmtVec([]float64{ex.Q[1], ex.Q[3]}, 2))
	p("   q_i are the axes of the linearised well V ≈ ½ (y − y1)ᵀ H (y − y1)   (Eq. 14)")
	p("4. Null space: λ_i < τ·λ_max with τ = %g gives %d zero eigenvalue(s)   (§4)", c.NullTol, st.RawNullDim)
	if st.RawNullDim > 0 {
		p("   (the tangent of the circle: rotating y1 along the trough costs no energy)")
		if c.Hyperbolize {
			p("   hyperbolize: the zero eigenvalue is replaced by λ_min; null space left: %d   (§4)", st.NullDim)
		} else {
			switch c.NullSpace {
			case flow.NullSpaceConjugate:
				p("   kept, read \"conjugate\": the tangential coordinate sits at y1's with variance σ² for all s   (§4)")
			case flow.NullSpaceProjected:
				p("   kept, read \"projected\": the tangential coordinate sits at y1's with variance 0: y_s ∈ y1 + span(Q_h)   (§4)")
			default:
				p("   kept, read \"invariant\": the tangential coordinate keeps its base value and variance for all s   (§4)")
			}
		}
	}
	printPathSteps(w, st)
	if len(ex.Figures) > 0 {
		p("9. Pictures:")
		for _, f := range ex.Figures {
			p("     %s", f)
		}
	}
}

// figSet is what the pictures of one example share.
type figSet struct {
	name   string
	toy    energy.Toy
	cfg    flow.Config
	y1, h  []float64
	y0s    [][]float64 // base draws of the trajectories
	lim    float64     // the plots show [−lim, lim]²
	levels []float64   // contour levels of V
	steps  int         // points per trajectory − 1
}

func newFigSet(name string, toy energy.Toy, cfg flow.Config, y1, h []float64, paths int, seed uint64) *figSet {
	f := &figSet{name: name, toy: toy, cfg: cfg, y1: y1, h: h, steps: 30}
	switch name {
	case energy.ToyRing:
		f.lim, f.levels = 2, []float64{0.05, 0.25, 1, 3}
	default:
		f.lim, f.levels = 2.8, []float64{0.5, 1, 2, 4, 8}
	}
	base := flow.GaussianBase{N: 2, Sigma0: cfg.Sigma0}
	rng := rand.New(rand.NewPCG(seed, 0x706174687321))
	for range paths {
		y0 := make([]float64, 2)
		base.Sample(rng, y0)
		f.y0s = append(f.y0s, y0)
	}
	return f
}

func (f *figSet) contours() ([]plot.Line, error) {
	g := plot.Sample(func(x, y float64) float64 { return f.toy.Value([]float64{x, y}) }, -f.lim, f.lim, -f.lim, f.lim, 41, 41)
	var out []plot.Line
	if f.name == energy.ToyRing { // the minima: the unit circle
		xs, ys := plot.Ellipse(0, 0, [4]float64{1, 0, 0, 1}, 1, 64)
		out = append(out, plot.Line{X: xs, Y: ys, Color: "#777", Width: 1, Dash: true})
	}
	for _, lv := range f.levels {
		ls, err := g.Contour(lv)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			l.Color, l.Width, l.MinStep = "#bbb", 0.8, 5
			out = append(out, l)
		}
	}
	return out, nil
}

// spectrum returns the processed spectrum of y1 under cfg with α = alpha.
func (f *figSet) spectrum(alpha float64, hyper bool) (*flow.Spectrum, flow.Config, error) {
	return f.spectrumNull(alpha, hyper, f.cfg.NullSpace)
}

// spectrumNull is spectrum with the null-space reading ns (§4).
func (f *figSet) spectrumNull(alpha float64, hyper bool, ns flow.NullSpace) (*flow.Spectrum, flow.Config, error) {
	c := f.cfg
	c.Kind, c.Alpha, c.Hyperbolize, c.NullSpace = flow.PathHIFM, alpha, hyper, ns
	sp, err := (&flow.Pipeline{Config: c}).Spectrum(f.h, f.y1)
	return sp, c, err
}

// trajectory returns ψ_s(y0 | y1) at s_k = smax(1 − (1 − k/K)²), k = 0…K
// (denser near s = 1, where (1 − s)^r moves fastest for r < 1), each point
// the path's own Draw output (F2 for HI-FM, Eq. 18 for OT).
func trajectory(p flow.Path, sp *flow.Spectrum, y0, y1 []float64, smax float64, steps int) (xs, ys []float64) {
	y, u := make([]float64, 2), make([]float64, 2)
	for k := 0; k <= steps; k++ {
		q := 1 - float64(k)/float64(steps)
		p.Draw(y, u, y0, y1, smax*(1-q*q), sp)
		xs, ys = append(xs, y[0]), append(ys, y[1])
	}
	return xs, ys
}

var (
	colTraj = "#1f77b4"
	colData = "#d62728"
	colBase = "#333333"
	colEnd  = "#ff7f0e"
	colHalf = "#9467bd"
)

// pathPanel draws the trajectories of every base draw over the contours.
func (f *figSet) pathPanel(title string, p flow.Path, sp *flow.Spectrum, smax float64, cont []plot.Line) plot.Panel {
	pn := plot.Panel{Title: title, XLabel: "y₁", YLabel: "y₂", Equal: true,
		XRange: [2]float64{-f.lim, f.lim}, YRange: [2]float64{-f.lim, f.lim}, Lines: append([]plot.Line(nil), cont...)}
	var bx, by, ex, ey, hx, hy []float64
	y, u := make([]float64, 2), make([]float64, 2)
	for _, y0 := range f.y0s {
		xs, ys := trajectory(p, sp, y0, f.y1, smax, f.steps)
		pn.Lines = append(pn.Lines, plot.Line{X: xs, Y: ys, Color: colTraj, Width: 1, Opacity: 0.55})
		bx, by = append(bx, y0[0]), append(by, y0[1]) // = ψ_0 unless a null reading moves it
		ex, ey = append(ex, xs[len(xs)-1]), append(ey, ys[len(ys)-1])
		p.Draw(y, u, y0, f.y1, 0.5, sp)
		hx, hy = append(hx, y[0]), append(hy, y[1])
	}
	pn.Points = []plot.Points{
		{X: bx, Y: by, Color: colBase, R: 1.8},
		{X: hx, Y: hy, Color: colHalf, R: 1.8},
		{X: ex, Y: ey, Color: colEnd, R: 2.2},
		{X: f.y1[:1], Y: f.y1[1:], Color: colData, R: 4},
	}
	return pn
}

var pathKeys = []plot.Key{
	{Label: "contours of V", Color: "#bbb"},
	{Label: "ψ_s(y0 | y1), s: 0 → 1", Color: colTraj},
	{Label: "base draw y0", Color: colBase, Dot: true},
	{Label: "s = 0.5", Color: colHalf, Dot: true},
	{Label: "end point (s = 1 − δ)", Color: colEnd, Dot: true},
	{Label: "data y1", Color: colData, Dot: true},
}

func (f *figSet) figPaths(cont []plot.Line) (*plot.Panels, error) {
	ot := flow.OTPath{SigmaMin: f.cfg.SigmaMin, Sigma0: f.cfg.Sigma0}
	fig := &plot.Panels{Title: fmt.Sprintf("%s: conditional paths of %d base draws to one data point (OT: Eq. 18; HI-FM: F2, Eq. 22)", f.name, len(f.y0s)),
		PanelW: 240, PanelH: 240, Legend: pathKeys}
	fig.Panels = append(fig.Panels, f.pathPanel("OT (straight lines)", ot, nil, 1, cont))
	for _, a := range []float64{0.5, 1, 1.5} {
		sp, c, err := f.spectrum(a, f.cfg.Hyperbolize)
		if err != nil {
			return nil, err
		}
		fig.Panels = append(fig.Panels, f.pathPanel(fmt.Sprintf("HI-FM α = %g", a), flow.NewHIFMPath(c), sp, c.SMax(), cont))
	}
	return fig, nil
}

var ellipseS = []float64{0, 0.25, 0.5, 0.75, 1}
var ellipseCol = []string{"#440154", "#3b528b", "#21918c", "#5ec962", "#e3a600"}

// ellipsePanel draws μ_s for s ∈ [0, smax] and the 1-σ (solid) and 2-σ
// (dashed) ellipses of Σ_s at the s of ellipseS (s = 1 means smax).
func (f *figSet) ellipsePanel(title string, p flow.Path, sp *flow.Spectrum, smax float64, cont []plot.Line) plot.Panel {
	pn := plot.Panel{Title: title, XLabel: "y₁", YLabel: "y₂", Equal: true,
		XRange: [2]float64{-f.lim, f.lim}, YRange: [2]float64{-f.lim, f.lim}, Lines: append([]plot.Line(nil), cont...)}
	mu, cov := make([]float64, 2), make([]float64, 4)
	var mx, my []float64
	for k := 0; k <= 60; k++ {
		q := 1 - float64(k)/60
		p.Mean(mu, f.y1, smax*(1-q*q), sp)
		mx, my = append(mx, mu[0]), append(my, mu[1])
	}
	pn.Lines = append(pn.Lines, plot.Line{X: mx, Y: my, Color: "black", Width: 1.2})
	for i, s := range ellipseS {
		s = math.Min(s, smax)
		p.Mean(mu, f.y1, s, sp)
		p.Cov(cov, s, sp)
		for _, k := range []float64{1, 2} {
			xs, ys := plot.Ellipse(mu[0], mu[1], [4]float64(cov), k, 48)
			pn.Lines = append(pn.Lines, plot.Line{X: xs, Y: ys, Color: ellipseCol[i], Width: 1.6, Dash: k == 2})
		}
	}
	pn.Points = []plot.Points{{X: f.y1[:1], Y: f.y1[1:], Color: colData, R: 4}}
	return pn
}

func (f *figSet) figEllipses(cont []plot.Line) (*plot.Panels, error) {
	ot := flow.OTPath{SigmaMin: f.cfg.SigmaMin, Sigma0: f.cfg.Sigma0}
	sp, c, err := f.spectrum(f.cfg.Alpha, f.cfg.Hyperbolize)
	if err != nil {
		return nil, err
	}
	keys := []plot.Key{{Label: "mean μ_s", Color: "black"}}
	for i, s := range ellipseS {
		lab := fmt.Sprintf("s = %g", s)
		if s == 1 {
			lab = "s = 1 − δ"
		}
		keys = append(keys, plot.Key{Label: lab, Color: ellipseCol[i]})
	}
	keys = append(keys, plot.Key{Label: "1σ solid, 2σ dashed", Color: "#999", Dash: true})
	return &plot.Panels{Title: fmt.Sprintf("%s: the conditional density p_s(y | y1) = N(μ_s, Σ_s) from base to data", f.name),
		PanelW: 300, PanelH: 300, Legend: keys, Panels: []plot.Panel{
			f.ellipsePanel("OT: μ_s = s·y1, Σ_s = σ_s² I (Eq. 18)", ot, nil, 1, cont),
			f.ellipsePanel(fmt.Sprintf("HI-FM α = %g (Eq. 22)", c.Alpha), flow.NewHIFMPath(c), sp, c.SMax(), cont),
		}}, nil
}

// figTime draws s(t) = 1 − e^{−κt} (Eq. 21) and the distance of the
// conditional mean to y1 for both priorities (§3.1, Table 1): the
// interpolant priority fixes κ and scales λ_min = κ/α, the data priority
// fixes λ_min = ln(‖y1‖/ε)/T and sets κ = α ln(1/ε)/T.
func (f *figSet) figTime() (*plot.Panels, error) {
	const nt = 90
	c0 := f.cfg
	tmax := 1.5 * c0.Horizon
	left := plot.Panel{Title: "s(t) = 1 − exp(−κt) (Eq. 21)", XLabel: "t", YLabel: "s", YRange: [2]float64{0, 1.05}}
	right := plot.Panel{Title: "log₁₀ ‖μ(t) − y1‖ (mean to data)", XLabel: "t", YLabel: "log₁₀ distance"}
	cols := map[flow.Priority][]string{flow.PriorityInterpolant: {"#9ecae1", "#3182bd", "#08519c"}, flow.PriorityData: {"#fdae6b", "#e6550d", "#a63603"}}
	var keys []plot.Key
	mu := make([]float64, 2)
	for _, prio := range []flow.Priority{flow.PriorityInterpolant, flow.PriorityData} {
		for k, a := range []float64{0.5, 1, 1.5} {
			c := c0
			c.Kind, c.Priority, c.Alpha = flow.PathHIFM, prio, a
			sp, err := (&flow.Pipeline{Config: c}).Spectrum(f.h, f.y1)
			if err != nil {
				return nil, err
			}
			path := flow.NewHIFMPath(c)
			var ts, ss, ds []float64
			for i := 0; i <= nt; i++ {
				t := tmax * float64(i) / nt
				s := flow.Interp(t, sp.Kappa)
				path.Mean(mu, f.y1, math.Min(s, c.SMax()), sp)
				ts, ss = append(ts, t), append(ss, s)
				ds = append(ds, math.Log10(math.Hypot(mu[0]-f.y1[0], mu[1]-f.y1[1])))
			}
			col := cols[prio][k]
			dash := prio == flow.PriorityData
			left.Lines = append(left.Lines, plot.Line{X: ts, Y: ss, Color: col, Width: 1.8, Dash: dash})
			right.Lines = append(right.Lines, plot.Line{X: ts, Y: ds, Color: col, Width: 1.8, Dash: dash})
			keys = append(keys, plot.Key{Label: fmt.Sprintf("%s α=%g: κ=%.3g, λ_min=%.3g", prio, a, sp.Kappa, sp.LambdaMin), Color: col, Dash: dash})
		}
	}
	le := math.Log10(c0.Epsilon)
	right.Lines = append(right.Lines, plot.Line{X: []float64{0, tmax}, Y: []float64{le, le}, Color: "#999", Dash: true},
		plot.Line{X: []float64{c0.Horizon, c0.Horizon}, Y: []float64{le - 1, math.Log10(norm2(f.y1))}, Color: "#999"})
	right.Legend = []plot.Key{{Label: fmt.Sprintf("ε = %g at T = %g", c0.Epsilon, c0.Horizon), Color: "#999", Dash: true}}
	right.YRange = [2]float64{le - 1.5, math.Log10(norm2(f.y1)) + 0.2}
	return &plot.Panels{Title: fmt.Sprintf("%s: κ and s(t) for the two priorities (§3.1, Table 1); solid: interpolant, dashed: data", f.name),
		PanelW: 320, PanelH: 260, Cols: 2, Legend: keys, Panels: []plot.Panel{left, right}}, nil
}

// eig2 returns the eigenvalues (ascending) and unit eigenvectors of the
// symmetric 2×2 matrix h in closed form.
func eig2(h []float64) (l [2]float64, v [2][2]float64) {
	m, r := (h[0]+h[3])/2, math.Hypot((h[0]-h[3])/2, h[1])
	th := 0.5 * math.Atan2(2*h[1], h[0]-h[3]) // angle of the larger one
	l = [2]float64{m - r, m + r}
	v[1] = [2]float64{math.Cos(th), math.Sin(th)}
	v[0] = [2]float64{-v[1][1], v[1][0]}
	return l, v
}

// figHessian draws the Hessian field: at grid points, the eigen-axes of
// ∇²V(y) (autodiff), of half-length ∝ √|λ|; blue where λ > 0, red where
// λ < 0 (no minimum: the pipeline would reject such a y1, §4).
func (f *figSet) figHessian(cont []plot.Line) (*plot.Panels, error) {
	pn := plot.Panel{Title: "eigen-axes of H(y) = ∇²V(y), length ∝ √|λ| (capped)", XLabel: "y₁", YLabel: "y₂", Equal: true,
		XRange: [2]float64{-f.lim, f.lim}, YRange: [2]float64{-f.lim, f.lim}, Lines: append([]plot.Line(nil), cont...)}
	const g = 9
	step := 2 * f.lim / g
	ly1, _ := eig2(f.h)
	lref := math.Max(math.Abs(ly1[0]), math.Abs(ly1[1])) // longest axis: |λ| ≥ λ_max(y1)
	type axis struct{ x, y, l, vx, vy float64 }
	var axes []axis
	for i := range g {
		for j := range g {
			y := []float64{-f.lim + (float64(i)+0.5)*step, -f.lim + (float64(j)+0.5)*step}
			l, v := eig2(toyHessian(f.toy, y))
			for k := range 2 {
				axes = append(axes, axis{y[0], y[1], l[k], v[k][0], v[k][1]})
			}
		}
	}
	for _, a := range axes {
		hl := 0.45 * step * math.Sqrt(math.Min(1, math.Abs(a.l)/lref))
		col := "#1f77b4"
		if a.l < 0 {
			col = "#d62728"
		}
		pn.Lines = append(pn.Lines, plot.Line{X: []float64{a.x - hl*a.vx, a.x + hl*a.vx}, Y: []float64{a.y - hl*a.vy, a.y + hl*a.vy}, Color: col, Width: 1.6})
	}
	pn.Points = []plot.Points{{X: f.y1[:1], Y: f.y1[1:], Color: colData, R: 4}}
	return &plot.Panels{Title: fmt.Sprintf("%s: the Hessian field the path reads its axes from (§2)", f.name), PanelW: 360, PanelH: 360,
		Legend: []plot.Key{{Label: "λ > 0", Color: "#1f77b4"}, {Label: "λ < 0", Color: "#d62728"}, {Label: "data y1", Color: colData, Dot: true}},
		Panels: []plot.Panel{pn}}, nil
}

// figNull draws the treatments of the ring's null direction (§4): kept
// under its three readings (invariant: the tangential coordinate keeps its
// base value; conjugate: it sits at y1's with variance σ²; projected: at
// y1's with variance 0), the invariant path with the projected loss (only
// P_h u, red ticks, is matched) and hyperbolized (λ_null ← λ_min).
func (f *figSet) figNull(cont []plot.Line) (*plot.Panels, error) {
	a := f.cfg.Alpha
	inv, ci, err := f.spectrumNull(a, false, flow.NullSpaceInvariant)
	if err != nil {
		return nil, err
	}
	pi := flow.NewHIFMPath(ci)
	loss := f.pathPanel("invariant + projected loss ‖P_h(v − u)‖²", pi, inv, ci.SMax(), cont)
	y, u := make([]float64, 2), make([]float64, 2)
	for _, y0 := range f.y0s {
		for _, s := range []float64{0.2, 0.5, 0.8} {
			pi.Draw(y, u, y0, f.y1, s, inv)
			flow.ProjectHyperbolic(u, u, inv)
			const sc = 0.06
			loss.Lines = append(loss.Lines, plot.Line{X: []float64{y[0], y[0] + sc*u[0]}, Y: []float64{y[1], y[1] + sc*u[1]}, Color: colData, Width: 1.4})
		}
	}
	panels := []plot.Panel{f.pathPanel("kept, null_space = invariant", pi, inv, ci.SMax(), cont), loss}
	for _, v := range []struct {
		title string
		ns    flow.NullSpace
		hyper bool
	}{
		{"kept, null_space = projected", flow.NullSpaceProjected, false},
		{"kept, null_space = conjugate", flow.NullSpaceConjugate, false},
		{"hyperbolized: λ_null ← λ_min", flow.NullSpaceInvariant, true},
	} {
		sp, c, err := f.spectrumNull(a, v.hyper, v.ns)
		if err != nil {
			return nil, err
		}
		panels = append(panels, f.pathPanel(v.title, flow.NewHIFMPath(c), sp, c.SMax(), cont))
	}
	keys := append(append([]plot.Key(nil), pathKeys...), plot.Key{Label: "P_h u at s = .2, .5, .8 (×0.06)", Color: colData})
	return &plot.Panels{Title: fmt.Sprintf("ring: the null direction (the tangent at y1) kept (three readings), projected in the loss, hyperbolized (§4), α = %g", a),
		PanelW: 240, PanelH: 240, Cols: 3, Legend: keys, Panels: panels}, nil
}

// writeFigures2D writes the example's pictures into dir and returns their
// file names.
func writeFigures2D(dir string, f *figSet) ([]string, error) {
	cont, err := f.contours()
	if err != nil {
		return nil, err
	}
	type fig struct {
		file  string
		build func() (*plot.Panels, error)
	}
	figs := []fig{
		{"paths.svg", func() (*plot.Panels, error) { return f.figPaths(cont) }},
		{"ellipses.svg", func() (*plot.Panels, error) { return f.figEllipses(cont) }},
		{"time.svg", f.figTime},
		{"hessian.svg", func() (*plot.Panels, error) { return f.figHessian(cont) }},
	}
	if f.name == energy.ToyRing {
		figs = append(figs, fig{"null.svg", func() (*plot.Panels, error) { return f.figNull(cont) }})
	}
	var names []string
	for _, g := range figs {
		p, err := g.build()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.file, err)
		}
		name := f.name + "_" + g.file
		if err := plot.WriteFile(filepath.Join(dir, name), p.SVG); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

func runExplain2D(cfg flow.Config, name, out string, paths int, doTrain bool, steps int64, seed uint64, asJSON bool, stdout, stderr io.Writer) error {
	ex, toy, err := explain2D(cfg, name)
	if err != nil {
		return err
	}
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		fs := newFigSet(name, toy, cfg, ex.Y1, ex.H, paths, seed)
		if ex.Figures, err = writeFigures2D(out, fs); err != nil {
			return err
		}
		cfgJSON := map[string]any{"command": "explain", "example": name, "flow": cfg, "paths": paths, "seed": seed}
		if doTrain {
			names, res, err := explainTrain(out, name, cfg, steps, seed, stderr)
			if err != nil {
				return err
			}
			ex.Figures = append(ex.Figures, names...)
			cfgJSON["train"] = res
		}
		cfgJSON["figures"] = ex.Figures
		if _, err := writeJSONFile(filepath.Join(out, name+"_config.json"), cfgJSON); err != nil {
			return err
		}
		for i, f := range ex.Figures {
			ex.Figures[i] = filepath.Join(out, f)
		}
	}
	if asJSON {
		return writeJSON(stdout, ex)
	}
	printExplain2D(stdout, ex)
	return nil
}
