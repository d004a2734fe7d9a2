package energy_test

// Runnable examples for docs/MATH.md (§4.1, §4.2). Numbers are printed with
// %.6f, so the text is the same for every kernel build.

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// The formation energy of Eq. 25 for two particles in 2-D at distance 1:
// V(y1) = 0 and the Hessian at y1 is ½RᵀR, R = [2δᵀ, −2δᵀ] with δ = y_1 − y_2
// = (−1, 0). Only the stretching direction along δ is stiff; translations
// and the rotation (here 2 + 1 = 3 null directions in 2-D) cost nothing.
func ExampleFormation_HalfRtR() {
	y1 := []float64{0, 0, 1, 0}
	f, err := energy.NewFormation(y1, 2, 2, energy.CompleteGraph)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("edges = %d, V(y1) = %.6f\n", f.Edges(), f.Value(y1))
	h := f.HalfRtR(y1)
	hd := make([]float64, 16)
	f.Hessian(y1, hd) // the general Hessian, evaluated at the minimum
	var diff float64
	for i := range h {
		diff = math.Max(diff, math.Abs(h[i]-hd[i]))
	}
	for i := range 4 {
		fmt.Printf("%6.2f %6.2f %6.2f %6.2f\n", h[4*i], h[4*i+1], h[4*i+2], h[4*i+3])
	}
	fmt.Printf("max |Hessian - HalfRtR| = %.6f\n", diff)
	// Output:
	// edges = 1, V(y1) = 0.000000
	//   2.00   0.00  -2.00   0.00
	//   0.00   0.00   0.00   0.00
	//  -2.00   0.00   2.00   0.00
	//   0.00   0.00   0.00   0.00
	// max |Hessian - HalfRtR| = 0.000000
}

// The LJ13 target of §4.2 for two particles at r = r_m: the pair term is −ε_LJ
// and the harmonic term ½Σ||y_i − ȳ||² adds ¼. With ε_LJ = 1 (§4.2's E, each
// pair once) E = −0.75; the reference data are Boltzmann samples of the
// energy with the pair term counted twice (ε_LJ = 2, flow/dataset.SamplingLJ13),
// which gives −1.75 here.
func ExampleLJ13_Value() {
	y := []float64{0, 0, 0, 1, 0, 0}
	e := &energy.LJ13{Particles: 2, SpatialDim: 3, Epsilon: 1, Rm: 1, Oscillator: 1}
	fmt.Printf("E  (eps_LJ = 1) = %.6f\n", e.Value(y))
	e2 := *e
	e2.Epsilon = 2
	fmt.Printf("E' (eps_LJ = 2) = %.6f\n", e2.Value(y))
	g := make([]float64, 6)
	e.Grad(y, g) // r = r_m is the pair minimum: only the oscillator pulls
	fmt.Printf("grad x = %.6f %.6f\n", g[0], g[3])
	// Output:
	// E  (eps_LJ = 1) = -0.750000
	// E' (eps_LJ = 2) = -1.750000
	// grad x = -0.500000 0.500000
}

// The autodiff route (Graph): the same Eq. 25 written as an expression gives
// value, gradient and Hessian with no hand-written derivative; at y1 its
// Hessian equals the closed form ½RᵀR, whose trace is ½ Σ_rows ||R_e||² =
// 4 Σ_E d_ij² = 4 · 21.75 for these four particles.
func ExampleGraph() {
	y1 := []float64{0, 0, 0, 1, 0, 0, 0, 1.5, 0, 0, 0, 2}
	f, err := energy.NewFormation(y1, 4, 3, energy.CompleteGraph)
	if err != nil {
		fmt.Println(err)
		return
	}
	ad := &energy.Graph{N: 12, Build: f.Node}
	h := make([]float64, 144)
	ad.Hessian(y1, h)
	closed := f.HalfRtR(y1)
	var diff, trace float64
	for i := range h {
		diff = math.Max(diff, math.Abs(h[i]-closed[i]))
	}
	for i := range 12 {
		trace += h[13*i]
	}
	fmt.Printf("trace H = %.6f\n", trace)
	fmt.Printf("max |autodiff - HalfRtR| = %.6f\n", diff)
	// Output:
	// trace H = 87.000000
	// max |autodiff - HalfRtR| = 0.000000
}
