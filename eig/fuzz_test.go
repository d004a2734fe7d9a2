package eig

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzSym: any n ≤ 12 and any float64 bits either give an error or a
// decomposition within the accuracy bounds, with every method; never a
// panic or a hang.
func FuzzSym(f *testing.F) {
	f.Add(uint8(3), []byte{})
	f.Add(uint8(2), binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN())))
	f.Add(uint8(4), binary.LittleEndian.AppendUint64(nil, math.Float64bits(1e300)))
	f.Add(uint8(5), binary.LittleEndian.AppendUint64(nil, math.Float64bits(-4.9e-324)))
	f.Fuzz(func(t *testing.T, nb uint8, data []byte) {
		n := int(nb % 13)
		a := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				v := 0.0
				if len(data) >= 8 {
					v = math.Float64frombits(binary.LittleEndian.Uint64(data))
					data = data[8:]
				} else if len(data) > 0 {
					v = float64(int8(data[0])) / 7
					data = data[1:]
				}
				a[i*n+j], a[j*n+i] = v, v
			}
		}
		for _, m := range methods {
			r, err := Sym(a, n, &Options{Method: m})
			if err != nil {
				return // NaN/Inf input; the message is covered by TestErrors
			}
			res, orth := residual(a, n, r)
			// As checkDecomposition, with ‖A‖₂ from the result, plus the
			// rounding of the residual's own products at the subnormal
			// granularity 2^-1074 (for subnormal A the relative bound
			// underflows to 0).
			if res > 1e-12*norm2(r)*float64(n)+16*float64(n)*0x1p-1074 || orth > 1e-13*float64(max(n, 1)) || math.IsNaN(res) {
				t.Fatalf("n=%d %v: residual %g, orthogonality %g, values %v", n, m, res, orth, r.Values)
			}
		}
	})
}
