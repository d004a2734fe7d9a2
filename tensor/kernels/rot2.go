package kernels

// Rot2 applies two plane rotations that share the row y: first
// [c1 s1; -s1 c1] to (x1, y), then [c2 s2; -s2 c2] to (x2, y). It gives
// the same bits as Rot(x1, y, c1, s1) followed by Rot(x2, y, c2, s2) in
// the same kernel set, but reads and writes y once: the Jacobi
// eigensolver's update of a row q by the two hot rows of a block
// (HIFM-MATH §2, Eq. 14). len(x2), len(y) >= len(x1).
func Rot2(x1, x2, y []float64, c1, s1, c2, s2 float64) {
	rot2Impl(x1, x2, y, c1, s1, c2, s2)
}

// rot2Impl follows the kernel set chosen at start-up (impl).
var rot2Impl = func() func(x1, x2, y []float64, c1, s1, c2, s2 float64) {
	if impl.name == generic.name {
		return rot2Generic
	}
	return rot2Accel()
}()

func rot2Generic(x1, x2, y []float64, c1, s1, c2, s2 float64) {
	x2, y = x2[:len(x1)], y[:len(x1)]
	for i := range x1 {
		a, b, v := x1[i], x2[i], y[i]
		x1[i] = c1*a - s1*v
		v = s1*a + c1*v
		x2[i] = c2*b - s2*v
		y[i] = s2*b + c2*v
	}
}

// rot2Variant is an assembly body of Rot2 with the Rot it must match.
type rot2Variant struct {
	name string
	rot  func(x, y []float64, c, s float64)
	rot2 func(x1, x2, y []float64, c1, s1, c2, s2 float64)
}
