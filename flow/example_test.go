package flow_test

// Runnable examples for docs/MATH.md. Every number is printed with %.6f or
// coarser, so the text is the same with the AVX2 kernels, -tags purego and
// HIFM_KERNELS=generic (differences of a few ulps cannot reach the sixth
// decimal of these O(1) values). Values that are zero up to round-off are
// printed through clean, which turns −0.000000 into 0.000000.

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// clean rounds x to 6 decimals and drops the sign of zero.
func clean(x float64) float64 {
	r := math.Round(x*1e6) / 1e6
	if r == 0 {
		return 0
	}
	return r
}

func printVec(name string, v []float64) {
	fmt.Printf("%s =", name)
	for _, x := range v {
		fmt.Printf(" %.6f", clean(x))
	}
	fmt.Println()
}

// The OT path of Eq. 18: y_s = s·y1 + σ_s·y0 and u_s = y1 − (1 − σ_min)·y0,
// the same field as (y1 − (1 − σ_min) y)/σ_s evaluated at y = y_s.
func ExampleOTPath() {
	p := flow.OTPath{SigmaMin: 0.001, Sigma0: 1}
	y0 := []float64{0.5, -1.0}
	y1 := []float64{2.0, 3.0}
	ys, us, u := make([]float64, 2), make([]float64, 2), make([]float64, 2)
	p.Draw(ys, us, y0, y1, 0.25, nil)
	p.Field(u, ys, y1, 0.25)
	fmt.Printf("sigma_s = %.6f\n", p.SigmaS(0.25))
	printVec("ys", ys)
	printVec("us", us)
	printVec("field at ys", u)
	// Output:
	// sigma_s = 0.750250
	// ys = 0.875125 -0.000250
	// us = 1.500500 3.999000
	// field at ys = 1.500500 3.999000
}

// Eq. 21: the interpolant s(t) = 1 − e^{−κt} and its inverse t(s). With the
// interpolant priority and ε = 0.01, κ = ln(1/ε) = 4.605170, so s(T = 1) = 1 − ε.
func ExampleInterp() {
	kappa := math.Log(1 / 0.01)
	fmt.Printf("kappa = %.6f\n", kappa)
	fmt.Printf("s(1) = %.6f\n", flow.Interp(1, kappa))
	fmt.Printf("t(0.5) = %.6f\n", flow.Time(0.5, kappa))
	fmt.Printf("s(t(0.5)) = %.6f\n", flow.Interp(flow.Time(0.5, kappa), kappa))
	// Output:
	// kappa = 4.605170
	// s(1) = 0.990000
	// t(0.5) = 0.150515
	// s(t(0.5)) = 0.500000
}

// tetrahedron is a slightly irregular tetrahedron (the one of `hifm
// explain`), four particles in 3-D.
var tetrahedron = []float64{
	1.0, 0.1, -0.7,
	-1.1, 0.9, -0.6,
	0.05, -1.0, -0.75,
	0.05, 0.0, 2.05,
}

// The spectrum pipeline (HIFM-MATH §3.1, §4) on the formation-energy Hessian
// ½RᵀR of a rigid formation in 3-D (§4.1): 3 translations and 3 rotations
// give exactly 6 null eigenvalues (τ = Config.NullTol), which keep λ = r = 0.
// The interpolant priority scales the spectrum so λ_min = κ/α, hence
// r_min = 1/α = 1.
func ExamplePipeline_Spectrum() {
	y1 := append([]float64(nil), tetrahedron...)
	flow.RemoveCOM(y1, 3)
	form, err := energy.NewFormation(y1, 4, 3, energy.CompleteGraph)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := form.HalfRtR(y1)
	pl := flow.Pipeline{Config: flow.Default()} // interpolant priority, α = 1, ε = 0.01
	sp, err := pl.Spectrum(h, y1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("null eigenvalues:", sp.NNull)
	fmt.Printf("kappa = %.6f\n", sp.Kappa)
	printVec("r", sp.R)

	// Hyperbolize: the null eigenvalues become λ_min, so no null space is left.
	cfg := flow.Default()
	cfg.Hyperbolize = true
	pl = flow.Pipeline{Config: cfg}
	sp, err = pl.Spectrum(h, y1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("hyperbolized null eigenvalues:", sp.NNull)
	printVec("r", sp.R)
	// Output:
	// null eigenvalues: 6
	// kappa = 4.605170
	// r = 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 1.000000 1.316281 2.813008 2.880182 3.800342 8.478644
	// hyperbolized null eigenvalues: 0
	// r = 1.000000 1.000000 1.000000 1.000000 1.000000 1.000000 1.000000 1.316281 2.813008 2.880182 3.800342 8.478644
}

// The condition-number option (Config.Condition = K, §4): λ ← λ_min(λ/λ_min)^p
// with p = ln K / ln(λ_max/λ_min) keeps λ_min and the order and maps λ_max to
// K·λ_min. PriorityNone leaves the scale alone so the raw numbers are visible.
func ExamplePipeline_Spectrum_condition() {
	h := []float64{ // diag(1, 10, 100): condition number 100
		1, 0, 0,
		0, 10, 0,
		0, 0, 100,
	}
	cfg := flow.Default()
	cfg.Priority = flow.PriorityNone
	cfg.Condition = 10
	pl := flow.Pipeline{Config: cfg}
	sp, err := pl.Spectrum(h, []float64{1, 1, 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	printVec("lambda", sp.Lambda)
	fmt.Printf("kappa = alpha*lambda_min = %.6f\n", sp.Kappa)
	// Output:
	// lambda = 1.000000 3.162278 10.000000
	// kappa = alpha*lambda_min = 1.000000
}

// Isotropic against anisotropic stationary laws (Config.Stationary, §4):
// v_i^∞ = σ² in every hyperbolic direction, or σ²λ_min/λ_i (largest along the
// softest direction).
func ExampleStationary() {
	h := []float64{1, 0, 0, 4} // diag(1, 4)
	for _, st := range []flow.Stationary{flow.StationaryIsotropic, flow.StationaryAnisotropic} {
		cfg := flow.Default() // σ = 0.1
		cfg.Priority = flow.PriorityNone
		cfg.Stationary = st
		pl := flow.Pipeline{Config: cfg}
		sp, err := pl.Spectrum(h, []float64{1, 1})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-11s d = %.6f %.6f  v_inf = %.6f %.6f\n", st, sp.D[0], sp.D[1], sp.VInf[0], sp.VInf[1])
	}
	// Output:
	// isotropic   d = 0.020000 0.080000  v_inf = 0.010000 0.010000
	// anisotropic d = 0.020000 0.020000  v_inf = 0.010000 0.002500
}

// One HI-FM conditional draw (F2 and F1 in eigen-coordinates, Eq. 22) with
// H = diag(1, 4), α = 1 and no priority scaling: κ = λ_min = 1, r = (1, 4).
// The mean path is μ_s = y1 + Q m(s), m_i(s) = (1 − s)^{r_i} m_i(0), from
// μ_0 = 0 to y1; at s = 1 − δ (Config.Delta) the draw sits σ·(y0 − μ_0)/σ_0
// away from y1 (v_i(1) = v^∞ = σ² = 0.01), and the stiff coordinate (r = 4)
// has stopped moving long before the soft one (r = 1).
func ExampleHIFMPath_Draw() {
	cfg := flow.Default()
	cfg.Priority = flow.PriorityNone
	pl := flow.Pipeline{Config: cfg}
	y1 := []float64{2, -1}
	sp, err := pl.Spectrum([]float64{1, 0, 0, 4}, y1)
	if err != nil {
		fmt.Println(err)
		return
	}
	path := flow.NewHIFMPath(cfg)
	y0 := []float64{0.5, 0.3}
	ys, us, mu := make([]float64, 2), make([]float64, 2), make([]float64, 2)
	for _, s := range []float64{0, 0.5, cfg.SMax()} {
		path.Draw(ys, us, y0, y1, s, sp)
		path.Mean(mu, y1, s, sp)
		fmt.Printf("s=%.5f  mean = %9.6f %9.6f  ys = %9.6f %9.6f  us = %9.6f %9.6f\n",
			s, clean(mu[0]), clean(mu[1]), clean(ys[0]), clean(ys[1]), clean(us[0]), clean(us[1]))
	}
	// Output:
	// s=0.00000  mean =  0.000000  0.000000  ys =  0.500000  0.300000  us =  1.505000 -5.188000
	// s=0.50000  mean =  1.000000 -0.937500  ys =  1.253722 -0.902172  us =  1.512262 -0.578816
	// s=0.99999  mean =  1.999980 -1.000000  ys =  2.049980 -0.970000  us =  1.999951  0.000000
}

// The zero-centre-of-mass base of LJ13 (§4): the density lives on the
// (N−1)·3 = 36-dimensional subspace and keeps the normalising constant
// ½(N−1)d·ln(2πσ_0²) = 18·ln 2π ≈ 33.08 nats, which bgflow's prior drops
// (§6). Add LogNormalizer to a normalised log-likelihood to get bgflow's
// convention.
func ExampleZeroCOMBase() {
	b, err := flow.NewZeroCOMBase(13, 3, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	y := make([]float64, b.Dim())
	fmt.Println("ambient dim", b.Dim(), "subspace dim", b.SubspaceDim())
	fmt.Printf("log normalizer = %.6f\n", b.LogNormalizer())
	fmt.Printf("log p0(0) = %.6f\n", b.LogDensity(y))
	for i := range y {
		y[i] = 5 // a pure translation: projected away
	}
	fmt.Printf("log p0(translation) = %.6f\n", b.LogDensity(y))
	// Output:
	// ambient dim 39 subspace dim 36
	// log normalizer = 33.081787
	// log p0(0) = -33.081787
	// log p0(translation) = -33.081787
}

// Projection (Config.Project, §4): the loss sees only P_h(v − u), P_h = Q_h Q_hᵀ.
// For a 2-D Hessian diag(0, 1) the first axis is the null space.
func ExampleProjectHyperbolic() {
	pl := flow.Pipeline{Config: flow.Default()}
	sp, err := pl.Spectrum([]float64{0, 0, 0, 1}, []float64{1, 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	v := []float64{3, 4}
	flow.ProjectHyperbolic(v, v, sp)
	printVec("P_h v", v)
	r := make([]float64, 2)
	fmt.Printf("projected loss term = %.6f\n", flow.Residual(r, []float64{3, 4}, []float64{1, 1}, sp, true))
	fmt.Printf("full loss term      = %.6f\n", flow.Residual(r, []float64{3, 4}, []float64{1, 1}, sp, false))
	// Output:
	// P_h v = 0.000000 4.000000
	// projected loss term = 9.000000
	// full loss term      = 13.000000
}

// Likelihood by the augmented ODE (§6) on an analytic case (§7): the OT
// marginal field of 1-D data N(2, 0.25) pushes N(0, 1) onto N(2, 0.25 + σ_min²),
// so the CNF log-density must equal the exact Gaussian log-density up to the
// solver tolerance (here rtol = atol = 1e-8; the paper's tables use 1e-2).
func ExampleLogLikelihood() {
	data := flow.Gaussian{Mean: []float64{2}, Var: []float64{0.25}}
	f, err := flow.NewOTMarginal(data, flow.OTPath{SigmaMin: 0.001, Sigma0: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	base := flow.GaussianBase{N: 1, Sigma0: 1}
	x := []float64{2.3}
	lik, err := flow.LogLikelihood(f, base, x, flow.ODEOptions{RTol: 1e-8, ATol: 1e-8})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("CNF   log p1(x) = %.6f\n", lik.LogP)
	fmt.Printf("exact log p1(x) = %.6f\n", f.Law(1).LogDensity(x))
	fmt.Printf("base point y(0) = %.6f\n", lik.Y0[0])
	// Output:
	// CNF   log p1(x) = -0.405793
	// exact log p1(x) = -0.405793
	// base point y(0) = 0.599999
}

// Eq. 17, the probability-flow field of the linear SDE in physical time t,
// u_t = −H(y − y1) + ½DΣ_t⁻¹(y − μ_t), is the interpolant field F1 times
// ds/dt = κ(1 − s) (HIFM-MATH §3): FieldT assembles Eq. 17 literally,
// Field evaluates F1 in eigen-coordinates.
func ExampleHIFMPath_FieldT() {
	cfg := flow.Default()
	cfg.Priority = flow.PriorityNone // κ = α·λ_min = 1
	pl := flow.Pipeline{Config: cfg}
	y1 := []float64{2, -1}
	sp, err := pl.Spectrum([]float64{2, 1, 1, 2}, y1) // eigenvalues 1 and 3
	if err != nil {
		fmt.Println(err)
		return
	}
	path := flow.NewHIFMPath(cfg)
	s := 0.5
	t := flow.Time(s, sp.Kappa)
	y := []float64{1, 0.5}
	us, ut := make([]float64, 2), make([]float64, 2)
	path.Field(us, y, y1, s, sp)
	path.FieldT(ut, y, y1, t, sp)
	fmt.Printf("t(0.5) = %.6f\n", t)
	printVec("F1 (Field)       ", us)
	printVec("Eq. 17 / (κ(1−s))", []float64{ut[0] / (sp.Kappa * (1 - s)), ut[1] / (sp.Kappa * (1 - s))})
	// Output:
	// t(0.5) = 0.693147
	// F1 (Field)        = 1.697361 -3.224969
	// Eq. 17 / (κ(1−s)) = 1.697361 -3.224969
}

// One training batch of Algorithm 1 (HIFM-MATH §5): for each data index a
// base draw y0, an s ~ U[0, 1 − δ], the point y_s = ψ_s(y0 | y1) (F2) and the
// regression target u_s(y_s | y1) (F1). A network v_θ would be trained on
// mean ||v_θ(y_s, s) − u_s||²; here v = 0 shows the size of the target.
func ExampleSampler_Fill() {
	cfg := flow.Default()
	data := [][]float64{{2, -1}, {-1, 1}}
	h := []float64{2, 1, 1, 2}
	pl := flow.Pipeline{Config: cfg}
	spectra, err := pl.Spectra(data, func(_ int, _, dst []float64) error { copy(dst, h); return nil }, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	sm, err := flow.NewSampler(cfg, flow.GaussianBase{N: 2, Sigma0: 1}, data, spectra)
	if err != nil {
		fmt.Println(err)
		return
	}
	idx := []int{0, 1, 1}
	bt := sm.NewBatch(len(idx))
	if err := sm.Fill(rand.New(rand.NewPCG(1, 2)), idx, bt); err != nil {
		fmt.Println(err)
		return
	}
	var loss float64
	r, zero := make([]float64, 2), make([]float64, 2)
	for k, i := range bt.Index {
		ys, us := bt.YS[2*k:2*k+2], bt.US[2*k:2*k+2]
		fmt.Printf("y1 #%d  s = %.6f  ys = %9.6f %9.6f  us = %9.6f %9.6f\n", i, bt.S[k], ys[0], ys[1], us[0], us[1])
		loss += flow.Residual(r, zero, us, spectra[i], cfg.Project)
	}
	fmt.Printf("loss of v = 0: %.6f\n", loss/float64(len(idx)))
	// Output:
	// y1 #0  s = 0.508542  ys =  1.314648 -0.363063  us =  1.588828 -1.114139
	// y1 #1  s = 0.388363  ys = -0.801560  0.422128  us =  0.135814  1.424263
	// y1 #1  s = 0.973036  ys = -0.779438  1.145285  us = -1.026582  1.026581
	// loss of v = 0: 2.640131
}
