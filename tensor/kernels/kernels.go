// Package kernels holds the float64 vector and matrix kernels every hifm
// package stands on: a generic Go reference for each, and AVX2+FMA assembly
// twins on amd64. The set is chosen once at start-up (see dispatch.go):
// "avx2fma" when the CPU and OS support AVX2 and FMA, else "generic".
// HIFM_KERNELS=generic forces the generic set and the purego build tag
// compiles no assembly at all. On AVX-512 machines the avx2fma set uses a
// 6×16 AVX-512 GEMM micro-kernel that gives the same bits as its 6×8 AVX2
// one (HIFM_KERNELS=avx2fma keeps the AVX2 one).
//
// Gemm is a packed, cache-blocked (Goto/BLIS) product around a register-
// blocked micro-kernel, spread over Threads() goroutines in tiles of C that
// depend on the shape only; small products read their operands in place
// instead of packing, matrix-vector shapes use Dot/Axpy, tiny ones a plain
// loop.
//
// Slices are used as given: the kernels do not check lengths beyond what
// the doc comment states, exactly like BLAS level-1 routines. Callers in
// package tensor validate shapes first. The assembly never touches memory
// outside the slices it is given (the Go wrappers reslice first).
//
// Rounding: Scal, Add and Mul are single IEEE operations and give the same
// bits in every set. Axpy and Rot use fused multiply-adds in the avx2fma set
// (one rounding instead of two: within 2 ulps of the operands' magnitude of
// the generic loop), and Dot and Gemm sum in a different order (within the
// usual γ_n·Σ|x_i y_i| bound). Within one set every result is reproducible,
// and Gemm gives the same bits for any thread count.
package kernels

// Dot returns Σ x[i]*y[i] over i < len(x); len(y) >= len(x).
//
//	for i, v := range x { s += v * y[i] }
func Dot(x, y []float64) float64 { return impl.dot(x, y) }

// Axpy computes y[i] += alpha*x[i] for i < len(x); len(y) >= len(x).
//
//	for i, v := range x { y[i] += alpha * v }
func Axpy(alpha float64, x, y []float64) { impl.axpy(alpha, x, y) }

// Scal computes x[i] *= alpha.
//
//	for i := range x { x[i] *= alpha }
func Scal(alpha float64, x []float64) { impl.scal(alpha, x) }

// Add computes dst[i] = x[i] + y[i] for i < len(dst).
//
//	for i := range dst { dst[i] = x[i] + y[i] }
func Add(dst, x, y []float64) { impl.add(dst, x, y) }

// Mul computes dst[i] = x[i] * y[i] for i < len(dst).
//
//	for i := range dst { dst[i] = x[i] * y[i] }
func Mul(dst, x, y []float64) { impl.mul(dst, x, y) }

// Rot applies the plane rotation [c s; -s c] to the pairs (x[i], y[i]):
// the Jacobi eigensolver's row update (the Hessian eigendecomposition
// H = Q diag(λ) Qᵀ of HIFM-MATH §2, Eq. 14).
//
//	for i := range x { x[i], y[i] = c*x[i]-s*y[i], s*x[i]+c*y[i] }
func Rot(x, y []float64, c, s float64) { impl.rot(x, y, c, s) }

// kernelSet is one complete implementation of the kernels.
type kernelSet struct {
	name string
	dot  func(x, y []float64) float64
	axpy func(alpha float64, x, y []float64)
	scal func(alpha float64, x []float64)
	add  func(dst, x, y []float64)
	mul  func(dst, x, y []float64)
	rot  func(x, y []float64, c, s float64)
	gemm func(k int, a, b, c []float64, ldc int, alpha, beta float64) // 6×nr micro-kernel
	nr   int                                                          // gemm's block width: 8 or 16
	// gemmName describes gemm for reports.
	gemmName string
	// sup is the 6×8 kernel on unpacked (strided) operands for small
	// products, or nil; it must give the same bits as gemm.
	sup supKernel
	// sup16 is the 6×16 strided kernel (AVX-512), or nil.
	sup16 supKernel
	// packA6 and packB are the GEMM packing loops for non-transposed
	// operands (see packA6Generic, packBRowsGeneric).
	packA6 func(dst, src []float64, lda, kc int)
	packB  func(dst, src []float64, ldb, rows, nr int)
	packBT func(dst, src []float64, ldb, kc, nr int) // transposed B
}

var generic = kernelSet{
	name:     "generic",
	dot:      dotGeneric,
	axpy:     axpyGeneric,
	scal:     scalGeneric,
	add:      addGeneric,
	mul:      mulGeneric,
	rot:      rotGeneric,
	gemm:     gemmKernelGeneric,
	nr:       8,
	gemmName: "go 6x8",
	packA6:   packA6Generic,
	packB:    packBRowsGeneric,
	packBT:   packBTGeneric,
}

func dotGeneric(x, y []float64) float64 {
	var s float64
	y = y[:len(x)]
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func axpyGeneric(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scalGeneric(alpha float64, x []float64) {
	for i := range x {
		x[i] *= alpha
	}
}

func addGeneric(dst, x, y []float64) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

func mulGeneric(dst, x, y []float64) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

func rotGeneric(x, y []float64, c, s float64) {
	y = y[:len(x)]
	for i := range x {
		xi, yi := x[i], y[i]
		x[i] = c*xi - s*yi
		y[i] = s*xi + c*yi
	}
}
