package autodiff

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

// naiveConv is the textbook 7-loop cross-correlation with zero padding.
func naiveConv(x, w *tensor.Tensor, stride, pad int) *tensor.Tensor {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	o, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	ho, wo := (h+2*pad-kh)/stride+1, (wd+2*pad-kw)/stride+1
	y := tensor.New(n, o, ho, wo)
	for b := 0; b < n; b++ {
		for oc := 0; oc < o; oc++ {
			for oy := 0; oy < ho; oy++ {
				for ox := 0; ox < wo; ox++ {
					var s float64
					for ci := 0; ci < c; ci++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								iy, ix := oy*stride-pad+i, ox*stride-pad+j
								if iy >= 0 && iy < h && ix >= 0 && ix < wd {
									s += x.At(b, ci, iy, ix) * w.At(oc, ci, i, j)
								}
							}
						}
					}
					y.Set(s, b, oc, oy, ox)
				}
			}
		}
	}
	return y
}

// TestConv2dGeometries compares Conv2d with the direct sum over many
// strides, paddings and kernel sizes (the im2col edge cases), and its
// gradients with finite differences on the odd ones.
func TestConv2dGeometries(t *testing.T) {
	r := tensor.NewRNG(21)
	// same products summed in a different order: 1e-13 relative
	approx := cmpopts.EquateApprox(1e-13, 1e-13)
	for stride := 1; stride <= 3; stride++ {
		for pad := 0; pad <= 2; pad++ {
			for _, k := range [][2]int{{1, 1}, {2, 3}, {3, 3}, {3, 1}} {
				h, w := 5+r.IntN(3), 4+r.IntN(4)
				if h+2*pad < k[0] || w+2*pad < k[1] {
					continue
				}
				x, wt := tensor.RandN(r, 2, 2, h, w), tensor.RandN(r, 3, 2, k[0], k[1])
				g := NewGraph()
				got := Conv2d(g.Const(x), g.Const(wt), stride, pad).Value()
				want := naiveConv(x, wt, stride, pad)
				name := fmt.Sprintf("stride %d pad %d kernel %v on %dx%d", stride, pad, k, h, w)
				if !tensor.SameShape(got.Shape, want.Shape) {
					t.Errorf("%s: shape %v, want %v", name, got.Shape, want.Shape)
					continue
				}
				if d := cmp.Diff(want.Data, got.Data, approx); d != "" {
					t.Errorf("%s (-direct +Conv2d):\n%s", name, d)
				}
			}
		}
	}
}
