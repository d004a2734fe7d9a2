package rk45

// Products are wrapped in float64() so that no compiler may fuse them into
// FMAs (the Go spec allows fusing x*y + z otherwise).

// Summation orders of NumPy 1.24 with OpenBLAS 0.3.21 (Debian bookworm) on
// the AVX-512 x86-64 machine that produced the golden files, found by
// probing with cancelling inputs (see testdata/rk45/make_goldens.py, which
// records kernel samples that TestNumPyKernels checks bit for bit). The
// embedded error estimate Σ e_j K_j cancels almost completely, so at tight
// tolerances a one-ulp difference anywhere moves later step sizes far more
// than an ulp (sequential sums instead of these gave accepted times off by
// ~3e-9 relative at rtol = 1e-10); matching SciPy's accepted times to 1e-12
// needs these orders, not just any accurate sum.

// sum8 adds the products p as NumPy's 1-D dot (cblas_ddot) does: eight
// lanes fed in blocks of 8, the tail in blocks of 4, 2 and 1 into the low
// lanes, then ((l0+l2)+(l4+l6)) + ((l1+l3)+(l5+l7)).
func sum8(p []float64) float64 { return sum8From(0, p) }

// sum8From is sum8 with lane 0 starting at l0. NumPy's dot peels the first
// element when the second operand is 8 bytes off 16-byte alignment (the
// rows 1, 3, 5 of SciPy's 6×5 RK45.A): that is sum8From(p[0], p[1:]).
func sum8From(l0 float64, p []float64) float64 {
	var l1, l2, l3, l4, l5, l6, l7 float64
	i := 0
	for ; len(p)-i >= 8; i += 8 {
		q := p[i : i+8 : i+8]
		l0 += q[0]
		l1 += q[1]
		l2 += q[2]
		l3 += q[3]
		l4 += q[4]
		l5 += q[5]
		l6 += q[6]
		l7 += q[7]
	}
	if len(p)-i >= 4 {
		l0 += p[i]
		l1 += p[i+1]
		l2 += p[i+2]
		l3 += p[i+3]
		i += 4
	}
	if len(p)-i >= 2 {
		l0 += p[i]
		l1 += p[i+1]
		i += 2
	}
	if len(p)-i >= 1 {
		l0 += p[i]
	}
	return ((l0 + l2) + (l4 + l6)) + ((l1 + l3) + (l5 + l7))
}

// sumSq8 is x·x in sum8's order (np.linalg.norm(x)² for a 1-D x).
func sumSq8(x []float64) float64 {
	var l0, l1, l2, l3, l4, l5, l6, l7 float64
	i := 0
	for ; len(x)-i >= 8; i += 8 {
		q := x[i : i+8 : i+8]
		l0 += float64(q[0] * q[0])
		l1 += float64(q[1] * q[1])
		l2 += float64(q[2] * q[2])
		l3 += float64(q[3] * q[3])
		l4 += float64(q[4] * q[4])
		l5 += float64(q[5] * q[5])
		l6 += float64(q[6] * q[6])
		l7 += float64(q[7] * q[7])
	}
	if len(x)-i >= 4 {
		l0 += float64(x[i] * x[i])
		l1 += float64(x[i+1] * x[i+1])
		l2 += float64(x[i+2] * x[i+2])
		l3 += float64(x[i+3] * x[i+3])
		i += 4
	}
	if len(x)-i >= 2 {
		l0 += float64(x[i] * x[i])
		l1 += float64(x[i+1] * x[i+1])
		i += 2
	}
	if len(x)-i >= 1 {
		l0 += float64(x[i] * x[i])
	}
	return ((l0 + l2) + (l4 + l6)) + ((l1 + l3) + (l5 + l7))
}

// MatVecNumPy writes out = A·y for a row-major m×n matrix a in the order
// of NumPy's A @ y (OpenBLAS dgemv_t, see above): rows in pairs sum the
// even and the odd columns in two chains and add them; the last row of an
// odd m uses four lanes (tail blocks of 2 and 1), (l0+l2)+(l1+l3). Use it
// in right-hand sides that must reproduce SciPy runs bit for bit.
func MatVecNumPy(a []float64, m, n int, y, out []float64) {
	if m == 0 {
		return
	}
	_ = a[m*n-1]
	y = y[:n]
	out = out[:m]
	paired := m - m%2
	for r := 0; r < paired; r++ {
		row := a[r*n : (r+1)*n : (r+1)*n]
		var ev, od float64
		j := 0
		for ; j+1 < n; j += 2 {
			ev += float64(row[j] * y[j])
			od += float64(row[j+1] * y[j+1])
		}
		if j < n {
			ev += float64(row[j] * y[j])
		}
		out[r] = ev + od
	}
	if paired < m {
		row := a[paired*n : m*n : m*n]
		var l0, l1, l2, l3 float64
		j := 0
		for ; n-j >= 4; j += 4 {
			l0 += float64(row[j] * y[j])
			l1 += float64(row[j+1] * y[j+1])
			l2 += float64(row[j+2] * y[j+2])
			l3 += float64(row[j+3] * y[j+3])
		}
		if n-j >= 2 {
			l0 += float64(row[j] * y[j])
			l1 += float64(row[j+1] * y[j+1])
			j += 2
		}
		if n-j >= 1 {
			l0 += float64(row[j] * y[j])
		}
		out[paired] = (l0 + l2) + (l1 + l3)
	}
}
