package kernels

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices,
// op(X) = X or Xᵀ. op(A) is m×k, op(B) is k×n, C is m×n; lda, ldb, ldc are
// the row strides. beta == 0 overwrites C without reading it (NaN in C is
// not propagated), as in BLAS.
//
//	for i < m, j < n: C[i*ldc+j] = alpha*Σ_p opA(i,p)*opB(p,j) + beta*C[i*ldc+j]
func Gemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemmNaive(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmNaive is the reference triple loop.
func gemmNaive(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
