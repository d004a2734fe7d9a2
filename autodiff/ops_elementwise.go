package autodiff

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/kernels"
)

func shapeErr(op, msg string, shapes ...[]int) *tensor.ShapeError {
	return &tensor.ShapeError{Op: "autodiff." + op, Shapes: shapes, Msg: msg}
}

// broadcastOK reports whether b combines with a under tensor's rules: same
// shape, b's shape a suffix of a's (a row broadcast over leading axes), or b
// a single element.
func broadcastOK(a, b []int) bool {
	if tensor.SameShape(a, b) {
		return true
	}
	if sizeOf(b) == 1 && len(b) <= 1 {
		return true
	}
	return len(b) < len(a) && tensor.SameShape(a[len(a)-len(b):], b)
}

func binaryCheck(op string, a, b *Node) {
	if !broadcastOK(a.val.Shape, b.val.Shape) {
		panic(shapeErr(op, "second operand must match the first or its trailing axes", a.val.Shape, b.val.Shape))
	}
}

// Add is a + b, b broadcast over a's leading axes (or a single element).
func Add(a, b *Node) *Node {
	binaryCheck("Add", a, b)
	y := a.g.newNode("Add", a.val.Shape, addVJP, a, b)
	tensor.Add(&y.val, &a.val, &b.val)
	return y
}

func addVJP(n, gy *Node) {
	a, b := n.in[0], n.in[1]
	if n.g.want(a) {
		n.g.acc(a, gy)
	}
	if n.g.want(b) {
		n.g.acc(b, SumTo(gy, b.val.Shape))
	}
}

// Sub is a − b with Add's broadcasting.
func Sub(a, b *Node) *Node {
	binaryCheck("Sub", a, b)
	y := a.g.newNode("Sub", a.val.Shape, subVJP, a, b)
	tensor.Sub(&y.val, &a.val, &b.val)
	return y
}

func subVJP(n, gy *Node) {
	a, b := n.in[0], n.in[1]
	if n.g.want(a) {
		n.g.acc(a, gy)
	}
	if n.g.want(b) {
		n.g.acc(b, Neg(SumTo(gy, b.val.Shape)))
	}
}

// Mul is a ⊙ b with Add's broadcasting.
func Mul(a, b *Node) *Node {
	binaryCheck("Mul", a, b)
	y := a.g.newNode("Mul", a.val.Shape, mulVJP, a, b)
	tensor.Mul(&y.val, &a.val, &b.val)
	return y
}

func mulVJP(n, gy *Node) {
	a, b := n.in[0], n.in[1]
	if n.g.want(a) {
		n.g.acc(a, Mul(gy, b))
	}
	if n.g.want(b) {
		n.g.acc(b, SumTo(Mul(gy, a), b.val.Shape))
	}
}

// Div is a ⊘ b with Add's broadcasting.
func Div(a, b *Node) *Node {
	binaryCheck("Div", a, b)
	y := a.g.newNode("Div", a.val.Shape, divVJP, a, b)
	tensor.Div(&y.val, &a.val, &b.val)
	return y
}

// divVJP: ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b² = −y/b.
func divVJP(n, gy *Node) {
	a, b := n.in[0], n.in[1]
	if n.g.want(a) {
		n.g.acc(a, Div(gy, b))
	}
	if n.g.want(b) {
		n.g.acc(b, Neg(SumTo(Div(Mul(gy, n), b), b.val.Shape)))
	}
}

// unary makes the node of an elementwise function f of x.
func unary(op string, x *Node, vjp vjpFunc, f func(float64) float64) *Node {
	y := x.g.newNode(op, x.val.Shape, vjp, x)
	yd := y.data()
	for i, v := range x.data() {
		yd[i] = f(v)
	}
	return y
}

// Neg is −x.
func Neg(x *Node) *Node { return Scale(x, -1) }

// Scale is c·x for a constant c.
func Scale(x *Node, c float64) *Node {
	y := x.g.newNode("Scale", x.val.Shape, scaleVJP, x)
	y.farg = c
	tensor.Scale(&y.val, c, &x.val)
	return y
}

func scaleVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Scale(gy, n.farg))
	}
}

// AddScalar is x + c for a constant c.
func AddScalar(x *Node, c float64) *Node {
	y := x.g.newNode("AddScalar", x.val.Shape, passVJP, x)
	yd := y.data()
	for i, v := range x.data() {
		yd[i] = v + c
	}
	return y
}

// passVJP passes the gradient through unchanged (identity Jacobian).
func passVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], gy)
	}
}

// Square is x².
func Square(x *Node) *Node {
	y := x.g.newNode("Square", x.val.Shape, squareVJP, x)
	kernels.Mul(y.data(), x.data(), x.data())
	return y
}

func squareVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, Scale(n.in[0], 2)))
	}
}

// Sqrt is √x.
func Sqrt(x *Node) *Node { return unary("Sqrt", x, sqrtVJP, math.Sqrt) }

func sqrtVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Div(Scale(gy, 0.5), n))
	}
}

// Exp is eˣ.
func Exp(x *Node) *Node { return unary("Exp", x, expVJP, math.Exp) }

func expVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, n))
	}
}

// Log is ln x.
func Log(x *Node) *Node { return unary("Log", x, logVJP, math.Log) }

func logVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Div(gy, n.in[0]))
	}
}

// Pow is xᵖ for a constant exponent p.
func Pow(x *Node, p float64) *Node {
	y := unary("Pow", x, powVJP, func(v float64) float64 { return math.Pow(v, p) })
	y.farg = p
	return y
}

func powVJP(n, gy *Node) {
	x, p := n.in[0], n.farg
	if !n.g.want(x) {
		return
	}
	if p == 1 {
		n.g.acc(x, gy)
		return
	}
	n.g.acc(x, Mul(gy, Scale(Pow(x, p-1), p)))
}

// Smooth activations. Every derivative of tanh is a polynomial in tanh and
// every derivative of σ a polynomial in σ (d/dx P(t) = P'(t)·(1 − t²),
// d/dx Q(s) = Q'(s)·s(1 − s)); softplus' = σ and (xσ)⁽ᵏ⁾ = xσ⁽ᵏ⁾ + kσ⁽ᵏ⁻¹⁾.
// So the VJP of an activation is one fused op, gy ⊙ f⁽ᵏ⁾(x) (derivMul),
// whose own VJP is derivMul of order k + 1: one pass per sweep at any order.

type activation uint8

const (
	actTanh activation = iota
	actSigmoid
	actSoftplus
	actSiLU
)

var (
	actNames      = [...]string{"Tanh", "Sigmoid", "Softplus", "SiLU"}
	actCacheNames = [...]string{"TanhCache", "SigmoidCache", "SoftplusCache", "SiLUCache"}
	actDerivNames = [...]string{"TanhDeriv", "SigmoidDeriv", "SoftplusDeriv", "SiLUDeriv"}
)

// maxOrder bounds the derivative order of the activations (the polynomial
// coefficients live in fixed arrays).
const maxOrder = 12

// poly is a polynomial's coefficients, lowest degree first.
type poly struct {
	c [maxOrder + 3]float64
	n int // number of coefficients
}

func (p *poly) eval(x float64) float64 {
	var s float64
	for i := p.n - 1; i >= 0; i-- {
		s = s*x + p.c[i]
	}
	return s
}

// derivPoly returns the polynomial D_k with dᵏ/dxᵏ f = D_k(f(x)) for f = tanh
// (tanh' = 1 − tanh²) or f = σ (σ' = σ − σ²); D_0 is the identity.
func derivPoly(tanh bool, k int) poly {
	if k > maxOrder {
		panic(shapeErr("derivative", fmt.Sprintf("activation derivatives of order %d > %d are not supported", k, maxOrder)))
	}
	var p poly
	p.c[1], p.n = 1, 2
	for ; k > 0; k-- {
		var q poly
		for i := 1; i < p.n; i++ { // q = P'·m, m = 1 − t² or s − s²
			d := float64(i) * p.c[i]
			if tanh {
				q.c[i-1] += d
				q.c[i+1] -= d
			} else {
				q.c[i] += d
				q.c[i+1] -= d
			}
		}
		q.n = p.n + 1
		p = q
	}
	return p
}

// softplus is ln(1 + eˣ) computed without overflow.
func softplus(v float64) float64 {
	e := math.Exp(-math.Abs(v))
	w := 1 + e
	return max(v, 0) + log1pFrom(e, w, 1/w)
}

// log1pFrom is ln(1 + e) for e ∈ [0, 1] given w = fl(1 + e) and r = 1/w:
// ln w plus Goldberg's first-order correction (e − (w − 1))/w for the
// rounding of 1 + e; a few ulps from math.Log1p and much faster.
func log1pFrom(e, w, r float64) float64 { return logOnePlus(w) + (e-(w-1))*r }

// sigmoid is 1/(1 + e⁻ˣ) computed without overflow: with e = e^−|x|, σ is
// 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0, selected by the sign bit
// without a branch (the signs of activations are unpredictable).
func sigmoid(v float64) float64 {
	e := math.Exp(-math.Abs(v))
	r := 1 / (1 + e)
	mask := -(math.Float64bits(v) >> 63) // all ones when v < 0
	return math.Float64frombits(math.Float64bits(r)&^mask | math.Float64bits(r*e)&mask)
}

// actForward writes y = f(x) and the cache c = tanh x (Tanh) or σ(x) (the
// others), from which every derivative follows without another exp.
func actForward(kind activation, y, c, x []float64) {
	x, c = x[:len(y)], c[:len(y)]
	switch kind {
	case actTanh:
		for i, v := range x {
			y[i] = math.Tanh(v)
		}
	case actSigmoid:
		for i, v := range x {
			y[i] = sigmoid(v)
		}
	case actSoftplus: // e = e^−|x| gives both ln(1 + eˣ) and σ(x)
		for i, v := range x {
			e := math.Exp(-math.Abs(v))
			w := 1 + e
			r := 1 / w
			mask := -(math.Float64bits(v) >> 63)
			c[i] = math.Float64frombits(math.Float64bits(r)&^mask | math.Float64bits(r*e)&mask)
			y[i] = max(v, 0) + log1pFrom(e, w, r)
		}
	case actSiLU:
		for i, v := range x {
			s := sigmoid(v)
			c[i], y[i] = s, v*s
		}
	}
}

// actDeriv writes dst[i] = gy[i]·f⁽ᵏ⁾(x[i]), k ≥ 1, from the cache c.
func actDeriv(kind activation, k int, dst, x, c, gy []float64) {
	x, c, gy = x[:len(dst)], c[:len(dst)], gy[:len(dst)]
	if k == 1 { // the first-order sweeps of training: closed forms
		switch kind {
		case actTanh:
			for i, t := range c {
				dst[i] = gy[i] * (1 - t*t)
			}
		case actSigmoid:
			for i, s := range c {
				dst[i] = gy[i] * (s - s*s)
			}
		case actSoftplus:
			kernels.Mul(dst, gy, c)
		case actSiLU:
			for i, s := range c {
				dst[i] = gy[i] * (x[i]*(s-s*s) + s)
			}
		}
		return
	}
	switch kind {
	case actTanh, actSigmoid:
		p := derivPoly(kind == actTanh, k)
		for i, s := range c {
			dst[i] = gy[i] * p.eval(s)
		}
	case actSoftplus:
		p := derivPoly(false, k-1)
		for i, s := range c {
			dst[i] = gy[i] * p.eval(s)
		}
	case actSiLU: // (xσ)⁽ᵏ⁾ = xσ⁽ᵏ⁾ + kσ⁽ᵏ⁻¹⁾
		p, p1 := derivPoly(false, k), derivPoly(false, k-1)
		fk := float64(k)
		for i, s := range c {
			dst[i] = gy[i] * (x[i]*p.eval(s) + fk*p1.eval(s))
		}
	}
}

// activate makes the node of an activation. Its aux node holds the cache
// (the output itself for Tanh and Sigmoid), a constant for differentiation:
// derivatives flow through x and the derivative order instead.
func activate(kind activation, x *Node) *Node {
	y := x.g.newNode(actNames[kind], x.val.Shape, actVJP, x)
	y.iarg[0] = int(kind)
	y.aux = y
	if kind == actSoftplus || kind == actSiLU {
		y.aux = x.g.newNode(actCacheNames[kind], x.val.Shape, nil)
	}
	actForward(kind, y.data(), y.aux.data(), x.data())
	return y
}

func actVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], derivMul(gy, n.in[0], n.aux, activation(n.iarg[0]), 1))
	}
}

// derivMul is gy ⊙ f⁽ᵏ⁾(x) for the activation f, k ≥ 1, with the cache c.
func derivMul(gy, x, c *Node, kind activation, k int) *Node {
	y := x.g.newNode(actDerivNames[kind], x.val.Shape, derivMulVJP, gy, x)
	y.iarg[0], y.iarg[1] = int(kind), k
	y.aux = c
	actDeriv(kind, k, y.data(), x.data(), c.data(), gy.data())
	return y
}

func derivMulVJP(n, u *Node) {
	gy, x := n.in[0], n.in[1]
	kind, k := activation(n.iarg[0]), n.iarg[1]
	if n.g.want(gy) {
		n.g.acc(gy, derivMul(u, x, n.aux, kind, k))
	}
	if n.g.want(x) {
		n.g.acc(x, derivMul(Mul(u, gy), x, n.aux, kind, k+1))
	}
}

// Softplus is ln(1 + eˣ) (PyTorch's softplus without its x > 20 cut-off).
func Softplus(x *Node) *Node { return activate(actSoftplus, x) }

// Sigmoid is σ(x) = 1/(1 + e⁻ˣ).
func Sigmoid(x *Node) *Node { return activate(actSigmoid, x) }

// SiLU is x·σ(x).
func SiLU(x *Node) *Node { return activate(actSiLU, x) }

// Tanh is tanh x.
func Tanh(x *Node) *Node { return activate(actTanh, x) }

// ReLU is max(x, 0) (derivative 0 at 0, as in PyTorch).
func ReLU(x *Node) *Node {
	return unary("ReLU", x, reluVJP, func(v float64) float64 { return max(v, 0) })
}

func reluVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, step(n.in[0])))
	}
}

// step is the Heaviside function 1[x > 0], a constant for differentiation
// (its derivative is zero almost everywhere).
func step(x *Node) *Node {
	y := x.g.newNode("Step", x.val.Shape, nil)
	yd := y.data()
	for i, v := range x.data() {
		if v > 0 {
			yd[i] = 1
		} else {
			yd[i] = 0
		}
	}
	return y
}

// Sin is sin x.
func Sin(x *Node) *Node { return unary("Sin", x, sinVJP, math.Sin) }

func sinVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, Cos(n.in[0])))
	}
}

// Cos is cos x.
func Cos(x *Node) *Node { return unary("Cos", x, cosVJP, math.Cos) }

func cosVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Neg(Mul(gy, Sin(n.in[0]))))
	}
}
