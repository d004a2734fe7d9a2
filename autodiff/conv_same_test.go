package autodiff

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/tensor"
)

// TestIm2colSame: the contiguous-shift im2col and col2im of "same"
// geometries (stride 1, 2·pad = kw − 1) give exactly the bits of the
// row-by-row references, on odd sizes and kernels up to 5×5 (windows
// wider than the image included).
func TestIm2colSame(t *testing.T) {
	r := tensor.NewRNG(7)
	cases := 0
	for _, k := range [][2]int{{1, 1}, {3, 3}, {5, 5}, {3, 1}, {1, 3}, {5, 3}} {
		for _, hw := range [][2]int{{1, 1}, {2, 3}, {4, 4}, {7, 5}, {28, 28}} {
			for pad := 0; pad <= 2; pad++ {
				xs := []int{2, 3, hw[0], hw[1]}
				ws := []int{4, 3, k[0], k[1]}
				if xs[2]+2*pad < k[0] || xs[3]+2*pad < k[1] {
					continue
				}
				x, w := NewGraph().Const(tensor.RandN(r, xs...)), NewGraph().Const(tensor.RandN(r, ws...))
				cg := convCheck(x, w, 1, pad)
				if !cg.same() {
					continue
				}
				cases++
				name := fmt.Sprintf("kernel %v pad %d on %v", k, pad, hw)
				xd := x.Value().Data[cg.c*cg.h*cg.w:] // second image
				got, want := make([]float64, cg.k*cg.p), make([]float64, cg.k*cg.p)
				for i := range got {
					got[i], want[i] = math.NaN(), math.NaN() // every entry must be written
				}
				cg.im2colSame(got, xd)
				cg.im2colRef(want, xd)
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("%s: im2col (-ref +same):\n%s", name, d)
				}
				cols := tensor.RandN(r, cg.k*cg.p).Data
				img := tensor.RandN(r, cg.c*cg.h*cg.w).Data
				gotX, wantX := append([]float64(nil), img...), append([]float64(nil), img...)
				cg.col2imRef(wantX, append([]float64(nil), cols...))
				cg.col2imSame(gotX, cols)
				if d := cmp.Diff(wantX, gotX); d != "" {
					t.Fatalf("%s: col2im (-ref +same):\n%s", name, d)
				}
			}
		}
	}
	if cases < 20 {
		t.Fatalf("only %d same geometries tested", cases)
	}
}
