package autodiff

import (
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

// softplus is ln(1 + eˣ) computed without overflow.
func softplus(v float64) float64 { return max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))) }

// sigmoid is 1/(1 + e⁻ˣ) computed without overflow.
func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// Softplus is ln(1 + eˣ); its derivative is the sigmoid.
func Softplus(x *Node) *Node { return unary("Softplus", x, softplusVJP, softplus) }

func softplusVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, Sigmoid(n.in[0])))
	}
}

// Sigmoid is σ(x) = 1/(1 + e⁻ˣ).
func Sigmoid(x *Node) *Node { return unary("Sigmoid", x, sigmoidVJP, sigmoid) }

// sigmoidVJP: σ' = σ(1 − σ).
func sigmoidVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, Mul(n, AddScalar(Neg(n), 1))))
	}
}

// SiLU is x·σ(x).
func SiLU(x *Node) *Node {
	return unary("SiLU", x, siluVJP, func(v float64) float64 { return v * sigmoid(v) })
}

// siluVJP: (xσ)' = σ + xσ(1 − σ).
func siluVJP(n, gy *Node) {
	x := n.in[0]
	if !n.g.want(x) {
		return
	}
	s := Sigmoid(x)
	n.g.acc(x, Mul(gy, Add(s, Mul(Mul(x, s), AddScalar(Neg(s), 1)))))
}

// Tanh is tanh x.
func Tanh(x *Node) *Node { return unary("Tanh", x, tanhVJP, math.Tanh) }

// tanhVJP: tanh' = 1 − tanh².
func tanhVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, AddScalar(Neg(Square(n)), 1)))
	}
}

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
