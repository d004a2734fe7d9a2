package flow

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor/golden"
)

// drawRecord is the golden form of one processed spectrum and a few draws.
type drawRecord struct {
	Raw    []float64   `json:"raw_eigenvalues"`
	Lambda []float64   `json:"eigenvalues"`
	Kappa  float64     `json:"kappa"`
	R      []float64   `json:"r"`
	VInf   []float64   `json:"v_inf"`
	S      []float64   `json:"s"`
	YS     [][]float64 `json:"ys"`
	US     [][]float64 `json:"us"`
}

// TestGoldenDraws pins the pipeline and the draws of every test
// configuration (regression against silent changes; the math is checked by
// the property tests in path_test.go).
func TestGoldenDraws(t *testing.T) {
	for _, tc := range pathCases() {
		t.Run(tc.name, func(t *testing.T) {
			sp, _, y1, rng := buildCase(t, tc, 61)
			p := NewHIFMPath(tc.cfg)
			rec := drawRecord{Raw: sp.Raw, Lambda: sp.Lambda, Kappa: sp.Kappa, R: sp.R, VInf: sp.VInf}
			for _, s := range []float64{0, 0.5, 0.99} {
				y0 := randVec(rng, sp.N, tc.cfg.Sigma0)
				ys, us := make([]float64, sp.N), make([]float64, sp.N)
				p.Draw(ys, us, y0, y1, s, sp)
				rec.S = append(rec.S, s)
				rec.YS = append(rec.YS, ys)
				rec.US = append(rec.US, us)
			}
			// Jacobi and the path are deterministic Go code; 1e-12 relative
			// allows for FMA contraction differences across platforms.
			golden.Check(t, "../testdata/flow/draws_"+tc.name+".json",
				"go test ./flow -run TestGoldenDraws -update: random H = Q diag(raw) Qᵀ (PCG seed 61), flow.Pipeline then HIFMPath.Draw at s = 0, 0.5, 0.99",
				rec, cmpopts.EquateApprox(1e-12, 1e-12))
		})
	}
}

// TestGoldenFormationSpectrum pins the processed spectrum of the formation
// Hessian (Eq. 25) of a jittered 13-particle cluster under the defaults and
// with hyperbolize + K = 100.
func TestGoldenFormationSpectrum(t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 63))
	y1 := make([]float64, 39)
	for i := range 13 {
		y1[3*i] = 1.1*float64(i%3) + 0.1*rng.NormFloat64()
		y1[3*i+1] = 1.1*float64((i/3)%3) + 0.1*rng.NormFloat64()
		y1[3*i+2] = 1.1*float64(i/9) + 0.1*rng.NormFloat64()
	}
	RemoveCOM(y1, 3)
	f, err := energy.NewFormation(y1, 13, 3, energy.CompleteGraph)
	if err != nil {
		t.Fatal(err)
	}
	h := make([]float64, 39*39)
	f.Hessian(y1, h)
	type rec struct {
		Config string    `json:"config"`
		Lambda []float64 `json:"eigenvalues"`
		Kappa  float64   `json:"kappa"`
		NNull  int       `json:"null_dims"`
	}
	var got []rec
	for _, name := range []string{"default", "hyperbolize-K100-data"} {
		cfg := Default()
		if name != "default" {
			cfg.Hyperbolize, cfg.Condition, cfg.Priority = true, 100, PriorityData
		}
		pl := Pipeline{Config: cfg}
		sp, err := pl.Spectrum(h, y1)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec{name, sp.Lambda, sp.Kappa, sp.NNull})
	}
	if got[0].NNull != 6 {
		t.Errorf("formation null space has %d dims, want 6", got[0].NNull)
	}
	// Null eigenvalues are exact zeros; others to 1e-12 relative.
	golden.Check(t, "../testdata/flow/formation_spectrum.json",
		"go test ./flow -run TestGoldenFormationSpectrum -update: formation energy (Eq. 25, complete graph) Hessian at a jittered 13-particle lattice (PCG seed 62), flow.Pipeline",
		got, cmpopts.EquateApprox(1e-12, 1e-12))
}
