package energy

import "fmt"

// Formation is the formation (distance-rigidity) energy of Eq. 25
// (Sun et al. 2017, Eq. 7):
//
//	V(y) = ¼ Σ_{(i,j)∈E} ( ||y_i − y_j||² − d_ij² )²
//
// over N particles in SpatialDim dimensions. The target distances d_ij are
// taken from a data sample y1, so y1 is a minimum with V = 0 and the
// Hessian there is ½RᵀR (HalfRtR).
type Formation struct {
	particles, dim int
	edges          [][2]int
	target         []float64 // d_ij² per edge
}

// FormationGraph selects the edge set E of Eq. 25.
// **[choice]** HIFM-MATH §4.1: the complete graph.
type FormationGraph int

const (
	// CompleteGraph uses every pair i < j (the project's choice).
	CompleteGraph FormationGraph = iota
)

// FormationHessian returns, as a flow.HessianFunc, the Hessian
// H = ∇²V(y1) of the formation energy (Eq. 25, complete graph) at its
// minimum y1 for every sample: Algorithm 1's precompute for particle data
// (HIFM-MATH §3.1, §4), fed to flow.Pipeline.Spectra.
func FormationHessian(particles, dim int) func(i int, y1, h []float64) error {
	return func(_ int, y1, h []float64) error {
		f, err := NewFormation(y1, particles, dim, CompleteGraph)
		if err != nil {
			return err
		}
		f.Hessian(y1, h)
		return nil
	}
}

// NewFormation builds the formation energy whose target distances are those
// of y1 (length particles·dim) on the given graph.
func NewFormation(y1 []float64, particles, dim int, graph FormationGraph) (*Formation, error) {
	if particles < 2 || dim < 1 {
		return nil, fmt.Errorf("energy: formation needs ≥ 2 particles and dim ≥ 1, got %d, %d", particles, dim)
	}
	if len(y1) != particles*dim {
		return nil, fmt.Errorf("energy: formation sample has length %d, want %d particles × %d", len(y1), particles, dim)
	}
	if err := checkFinite("y1", y1); err != nil {
		return nil, err
	}
	if graph != CompleteGraph {
		return nil, fmt.Errorf("energy: unknown formation graph %d", graph)
	}
	m := particles * (particles - 1) / 2
	f := &Formation{particles: particles, dim: dim, edges: make([][2]int, 0, m), target: make([]float64, 0, m)}
	for i := range particles {
		for j := i + 1; j < particles; j++ {
			f.edges = append(f.edges, [2]int{i, j})
			f.target = append(f.target, sqDist(y1, i, j, dim))
		}
	}
	return f, nil
}

func sqDist(y []float64, i, j, d int) float64 {
	var s float64
	for k := range d {
		x := y[i*d+k] - y[j*d+k]
		s += x * x
	}
	return s
}

// Dim returns particles·dim.
func (f *Formation) Dim() int { return f.particles * f.dim }

// Edges returns the number of edges |E|.
func (f *Formation) Edges() int { return len(f.edges) }

// Value returns V(y) of Eq. 25.
func (f *Formation) Value(y []float64) float64 {
	checkLen("Formation.Value", y, f.Dim())
	var v float64
	for k, e := range f.edges {
		r := sqDist(y, e[0], e[1], f.dim) - f.target[k]
		v += r * r
	}
	return v / 4
}

// Grad sets g = ∇V: ∂V/∂y_i = Σ_j e_ij (y_i − y_j), e_ij = ||y_i − y_j||² − d_ij².
func (f *Formation) Grad(y, g []float64) {
	checkLen("Formation.Grad", y, f.Dim())
	checkLen("Formation.Grad", g, f.Dim())
	clear(g)
	d := f.dim
	for k, e := range f.edges {
		i, j := e[0], e[1]
		r := sqDist(y, i, j, d) - f.target[k]
		for a := range d {
			x := r * (y[i*d+a] - y[j*d+a])
			g[i*d+a] += x
			g[j*d+a] -= x
		}
	}
}

// Hessian sets h = ∇²V: for each edge the block e·I + 2δδᵀ (δ = y_i − y_j)
// enters (i,i) and (j,j) with + and (i,j), (j,i) with −.
func (f *Formation) Hessian(y, h []float64) {
	n := f.Dim()
	checkLen("Formation.Hessian", y, n)
	checkLen("Formation.Hessian", h, n*n)
	clear(h)
	d := f.dim
	var delta [16]float64
	dl := delta[:0]
	if d > len(delta) {
		dl = make([]float64, 0, d)
	}
	for k, e := range f.edges {
		i, j := e[0], e[1]
		dl = dl[:0]
		for a := range d {
			dl = append(dl, y[i*d+a]-y[j*d+a])
		}
		r := sqDist(y, i, j, d) - f.target[k]
		for a := range d {
			for b := range d {
				x := 2 * dl[a] * dl[b]
				if a == b {
					x += r
				}
				h[(i*d+a)*n+i*d+b] += x
				h[(j*d+a)*n+j*d+b] += x
				h[(i*d+a)*n+j*d+b] -= x
				h[(j*d+a)*n+i*d+b] -= x
			}
		}
	}
}

// HalfRtR returns the closed-form Hessian of the formation energy at its
// minimum y1 (HIFM-MATH §4.1): H = ½RᵀR, where R is |E|×(N·dim) with row
// (i,j) holding 2(y_i − y_j)ᵀ in block i and −2(y_i − y_j)ᵀ in block j.
// It is built literally from R, independently of Hessian, so tests can
// compare the two.
func (f *Formation) HalfRtR(y1 []float64) []float64 {
	n := f.Dim()
	checkLen("Formation.HalfRtR", y1, n)
	d := f.dim
	R := make([]float64, len(f.edges)*n)
	for k, e := range f.edges {
		i, j := e[0], e[1]
		for a := range d {
			x := 2 * (y1[i*d+a] - y1[j*d+a])
			R[k*n+i*d+a] = x
			R[k*n+j*d+a] = -x
		}
	}
	h := make([]float64, n*n)
	for k := range f.edges {
		row := R[k*n : (k+1)*n]
		for a, ra := range row {
			if ra == 0 {
				continue
			}
			for b, rb := range row {
				h[a*n+b] += 0.5 * ra * rb
			}
		}
	}
	return h
}
