package autodiff

import "github.com/hifm-go/hifm/tensor/kernels"

// same reports a stride-1 geometry whose output rows are as wide as the
// input's (2·pad = kw − 1, the UNet's 3×3/pad 1 and 1×1/pad 0). Then row
// (ci, i, j) of im2col is the image plane ci shifted by a constant offset:
// cols[r, q] = x[ci, q + (i − pad)·w + j − pad] for every valid (oy, ox),
// so it is one contiguous copy, plus zeros where the window leaves the
// image (the first and last rows, and the columns that wrap around from
// one row to the next). im2colRef does the same row by row; the results
// are identical (data movement only).
func (cg *convGeom) same() bool { return cg.stride == 1 && cg.wo == cg.w }

// sameSpan returns, for kernel tap (i, j), the valid output rows [oy0, oy1)
// and columns [lo, hi), and the offset of output q in the input plane.
func (cg *convGeom) sameSpan(i, j int) (oy0, oy1, lo, hi, off int) {
	oy0, oy1 = max(0, cg.pad-i), min(cg.ho, cg.h+cg.pad-i)
	lo, hi = cg.span(j)
	return oy0, oy1, lo, hi, (i-cg.pad)*cg.w + j - cg.pad
}

func (cg *convGeom) im2colSame(cols, x []float64) {
	wo, plane := cg.wo, cg.h*cg.w
	for ci := 0; ci < cg.c; ci++ {
		src := x[ci*plane : (ci+1)*plane]
		for i := 0; i < cg.kh; i++ {
			for j := 0; j < cg.kw; j++ {
				row := cols[((ci*cg.kh+i)*cg.kw+j)*cg.p:][:cg.p]
				oy0, oy1, lo, hi, off := cg.sameSpan(i, j)
				if oy0 >= oy1 || lo >= hi {
					clear(row)
					continue
				}
				d0, d1 := oy0*wo+lo, (oy1-1)*wo+hi
				clear(row[:d0])
				clear(row[d1:])
				copy(row[d0:d1], src[d0+off:d1+off])
				// Columns that wrapped into the neighbouring row.
				for oy := oy0; oy < oy1-1; oy++ {
					for q := oy*wo + hi; q < (oy+1)*wo+lo; q++ {
						row[q] = 0
					}
				}
			}
		}
	}
}

// col2imSame adds every valid entry of cols into x (col2imRef's sums in
// the same order) with one long add per kernel tap, after zeroing the
// wrapped columns of cols: they add 0 to pixels of the neighbouring row.
func (cg *convGeom) col2imSame(x, cols []float64) {
	wo, plane := cg.wo, cg.h*cg.w
	for ci := 0; ci < cg.c; ci++ {
		dst := x[ci*plane : (ci+1)*plane]
		for i := 0; i < cg.kh; i++ {
			for j := 0; j < cg.kw; j++ {
				row := cols[((ci*cg.kh+i)*cg.kw+j)*cg.p:][:cg.p]
				oy0, oy1, lo, hi, off := cg.sameSpan(i, j)
				if oy0 >= oy1 || lo >= hi {
					continue
				}
				for oy := oy0; oy < oy1-1; oy++ {
					for q := oy*wo + hi; q < (oy+1)*wo+lo; q++ {
						row[q] = 0
					}
				}
				d0, d1 := oy0*wo+lo, (oy1-1)*wo+hi
				d := dst[d0+off : d1+off]
				kernels.Add(d, d, row[d0:d1])
			}
		}
	}
}
