package rk45

import "math"

// fifthDelta is float64(0.2) − 1/5: the float exponents ±0.2 that SciPy
// uses (error_exponent = -1/5 and 1/(order+1)) are ±(1/5 + fifthDelta).
const fifthDelta = 1.1102230246251565404236316680908203125e-17

// powFifth returns x**0.2 (neg = false) or x**-0.2 (neg = true) for the
// float64 exponent ±0.2, correctly rounded, as glibc's pow (which Python
// calls) is except in rare near-halfway cases (glibc's bound is 0.52 ulp;
// the samples in the golden file differ only for |ln x| ≳ 30). Go's
// math.Pow is often an ulp or two off, which would change SciPy's step
// sizes in the last bits; here a fifth root is refined with an exact
// (double-double) residual and the exponent's offset from 1/5 is applied.
func powFifth(x float64, neg bool) float64 {
	e := 0.2
	if neg {
		e = -0.2
	}
	if !(x > 0) || math.IsInf(x, 1) {
		return math.Pow(x, e)
	}
	// x = m·2^(5q) with m in [0.5, 16): the root scales exactly by 2^q and
	// m^5-sized intermediates cannot overflow.
	m, k := math.Frexp(x)
	q := k / 5
	r0 := k - 5*q
	if r0 < 0 {
		r0 += 5
		q--
	}
	m = math.Ldexp(m, r0)
	u := math.Pow(m, e) // a few ulps from the root
	// w = u^5 (double-double, via exact products).
	u2h, u2l := twoProd(u, u)
	u4h, u4l := ddMul(u2h, u2l, u2h, u2l)
	u5h, u5l := ddMul(u4h, u4l, u, 0)
	var rel float64 // true root = u·(1 + rel)
	if neg {
		// want u^5·m = 1
		wh, wl := ddMul(u5h, u5l, m, 0)
		r := (1 - wh) - wl // 1 − wh is exact (Sterbenz)
		rel = r / 5
	} else {
		// want u^5 = m
		r := ((m - u5h) - u5l) / m
		rel = r / 5
	}
	// x^(±(1/5+δ)) = root·x^(±δ) ≈ root·(1 ± δ·ln x). ln x from the
	// normalised m: math.Log is wrong for subnormal x on amd64 (Go 1.26).
	c := fifthDelta * (math.Log(m) + float64(5*q)*math.Ln2)
	if neg {
		c = -c
	}
	res := u + float64(u*(rel+c)) // unfused: the final rounding decides
	if neg {
		return math.Ldexp(res, -q)
	}
	return math.Ldexp(res, q)
}

// twoProd returns p + e = a·b exactly.
func twoProd(a, b float64) (p, e float64) {
	p = a * b
	return p, math.FMA(a, b, -p)
}

// ddMul multiplies double-double numbers (to about 2^-104 relative).
func ddMul(ah, al, bh, bl float64) (float64, float64) {
	p, e := twoProd(ah, bh)
	e += ah*bl + al*bh
	s := p + e
	return s, e - (s - p)
}
