package plot

import (
	"fmt"
	"slices"
)

// Grid2 is a function sampled on a regular grid: Z[j*NX+i] = f(x_i, y_j)
// with x_i = X0 + i(X1 − X0)/(NX − 1), likewise y_j.
type Grid2 struct {
	NX, NY         int
	X0, X1, Y0, Y1 float64
	Z              []float64
}

// Sample evaluates f on an nx×ny grid over [x0, x1]×[y0, y1].
func Sample(f func(x, y float64) float64, x0, x1, y0, y1 float64, nx, ny int) *Grid2 {
	g := &Grid2{NX: nx, NY: ny, X0: x0, X1: x1, Y0: y0, Y1: y1, Z: make([]float64, nx*ny)}
	for j := range ny {
		for i := range nx {
			g.Z[j*nx+i] = f(g.x(float64(i)), g.y(float64(j)))
		}
	}
	return g
}

func (g *Grid2) x(i float64) float64 { return g.X0 + i*(g.X1-g.X0)/float64(g.NX-1) }
func (g *Grid2) y(j float64) float64 { return g.Y0 + j*(g.Y1-g.Y0)/float64(g.NY-1) }

// Contour returns the level set {f = level} as polylines (marching squares
// with linear interpolation along cell edges; a saddle cell is resolved by
// the mean of its corners). Segments are joined into maximal polylines;
// a closed curve ends where it starts.
func (g *Grid2) Contour(level float64) ([]Line, error) {
	if g.NX < 2 || g.NY < 2 || len(g.Z) != g.NX*g.NY {
		return nil, fmt.Errorf("plot: contour grid %d×%d with %d values", g.NX, g.NY, len(g.Z))
	}
	nx := g.NX
	in := func(i, j int) bool { return g.Z[j*nx+i] >= level }
	// Edge keys: horizontal edge (i,j)–(i+1,j) is 2(j·nx+i), vertical
	// (i,j)–(i,j+1) is 2(j·nx+i)+1.
	hk := func(i, j int) int { return 2 * (j*nx + i) }
	vk := func(i, j int) int { return 2*(j*nx+i) + 1 }
	point := func(key int) [2]float64 {
		c := key / 2
		i, j := c%nx, c/nx
		za := g.Z[c]
		var zb float64
		if key%2 == 0 {
			zb = g.Z[c+1]
		} else {
			zb = g.Z[c+nx]
		}
		t := 0.5
		if zb != za {
			t = (level - za) / (zb - za)
		}
		if key%2 == 0 {
			return [2]float64{g.x(float64(i) + t), g.y(float64(j))}
		}
		return [2]float64{g.x(float64(i)), g.y(float64(j) + t)}
	}
	var segs [][2]int
	for j := range g.NY - 1 {
		for i := range nx - 1 {
			// Crossing edges in the order bottom, right, top, left.
			var e []int
			if in(i, j) != in(i+1, j) {
				e = append(e, hk(i, j))
			}
			if in(i+1, j) != in(i+1, j+1) {
				e = append(e, vk(i+1, j))
			}
			if in(i, j+1) != in(i+1, j+1) {
				e = append(e, hk(i, j+1))
			}
			if in(i, j) != in(i, j+1) {
				e = append(e, vk(i, j))
			}
			switch len(e) {
			case 2:
				segs = append(segs, [2]int{e[0], e[1]})
			case 4:
				mid := (g.Z[j*nx+i]+g.Z[j*nx+i+1]+g.Z[(j+1)*nx+i]+g.Z[(j+1)*nx+i+1])/4 >= level
				if mid == in(i, j) { // corner 0 joins the centre: cut off corners 1 and 3
					segs = append(segs, [2]int{e[0], e[1]}, [2]int{e[2], e[3]})
				} else {
					segs = append(segs, [2]int{e[0], e[3]}, [2]int{e[1], e[2]})
				}
			}
		}
	}
	// Join segments sharing an edge point (each edge is shared by ≤ 2 cells).
	at := map[int][]int{}
	for s, sg := range segs {
		at[sg[0]] = append(at[sg[0]], s)
		at[sg[1]] = append(at[sg[1]], s)
	}
	used := make([]bool, len(segs))
	walk := func(start, key int) []int { // edge keys from key onwards
		chain := []int{key}
		s := start
		for {
			used[s] = true
			next := segs[s][0]
			if next == key {
				next = segs[s][1]
			}
			chain = append(chain, next)
			key = next
			s = -1
			for _, t := range at[key] {
				if !used[t] {
					s = t
				}
			}
			if s < 0 {
				return chain
			}
		}
	}
	var out []Line
	emit := func(chain []int) {
		l := Line{X: make([]float64, len(chain)), Y: make([]float64, len(chain))}
		for k, key := range chain {
			p := point(key)
			l.X[k], l.Y[k] = p[0], p[1]
		}
		out = append(out, l)
	}
	// Open curves start at an end (a key of one segment), then closed loops.
	for key, ss := range sortedKeys(at) {
		if len(ss) == 1 && !used[ss[0]] {
			emit(walk(ss[0], key))
		}
	}
	for s := range segs {
		if !used[s] {
			emit(walk(s, segs[s][0]))
		}
	}
	return out, nil
}

// sortedKeys iterates a map in key order (deterministic output).
func sortedKeys(m map[int][]int) func(func(int, []int) bool) {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return func(yield func(int, []int) bool) {
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
