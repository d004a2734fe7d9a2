package autodiff

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// convGeom is the geometry of a 2-D convolution, NCHW.
type convGeom struct {
	n, c, h, w  int // input
	o, kh, kw   int // filters
	stride, pad int
	ho, wo      int // output
	k, p        int // im2col rows (c·kh·kw) and columns (ho·wo)
}

func (cg *convGeom) store(y *Node) {
	y.iarg = [8]int{cg.n, cg.c, cg.h, cg.w, cg.o, cg.kh, cg.kw, cg.stride}
	y.farg = float64(cg.pad)
}

func loadGeom(y *Node) convGeom {
	a := y.iarg
	cg := convGeom{n: a[0], c: a[1], h: a[2], w: a[3], o: a[4], kh: a[5], kw: a[6], stride: a[7], pad: int(y.farg)}
	cg.ho = (cg.h+2*cg.pad-cg.kh)/cg.stride + 1
	cg.wo = (cg.w+2*cg.pad-cg.kw)/cg.stride + 1
	cg.k, cg.p = cg.c*cg.kh*cg.kw, cg.ho*cg.wo
	return cg
}

func convCheck(x, w *Node, stride, pad int) convGeom {
	xs, ws := x.val.Shape, w.val.Shape
	if len(xs) != 4 || len(ws) != 4 || xs[1] != ws[1] {
		panic(shapeErr("Conv2d", "want x (N, C, H, W) and w (O, C, kh, kw)", xs, ws))
	}
	if stride < 1 || pad < 0 || ws[2] < 1 || ws[3] < 1 || xs[2]+2*pad < ws[2] || xs[3]+2*pad < ws[3] {
		panic(shapeErr("Conv2d", fmt.Sprintf("stride %d, padding %d do not fit", stride, pad), xs, ws))
	}
	var y Node
	cg := convGeom{n: xs[0], c: xs[1], h: xs[2], w: xs[3], o: ws[0], kh: ws[2], kw: ws[3], stride: stride, pad: pad}
	cg.store(&y)
	return loadGeom(&y)
}

// span returns the output columns [lo, hi) whose input column
// ox·stride − pad + j lies inside [0, w).
func (cg *convGeom) span(j int) (lo, hi int) {
	s, off := cg.stride, j-cg.pad
	lo = 0
	if off < 0 {
		lo = min((-off+s-1)/s, cg.wo) // a tap may miss the image (kernel wider than it)
	}
	hi = cg.wo
	if last := cg.w - 1 - off; last < 0 {
		hi = 0
	} else {
		hi = min(hi, last/s+1)
	}
	return lo, max(lo, hi)
}

// im2col writes the patches of one image x (c, h, w) as columns:
// cols[(ci·kh+i)·kw+j, oy·wo+ox] = x[ci, oy·s−p+i, ox·s−p+j] (0 outside).
func (cg *convGeom) im2col(cols, x []float64) {
	if cg.same() {
		cg.im2colSame(cols, x)
		return
	}
	cg.im2colRef(cols, x)
}

// im2colRef is im2col row by row, for any geometry (the reference).
func (cg *convGeom) im2colRef(cols, x []float64) {
	for ci := 0; ci < cg.c; ci++ {
		for i := 0; i < cg.kh; i++ {
			for j := 0; j < cg.kw; j++ {
				row := cols[((ci*cg.kh+i)*cg.kw+j)*cg.p:][:cg.p]
				lo, hi := cg.span(j)
				for oy := 0; oy < cg.ho; oy++ {
					iy := oy*cg.stride - cg.pad + i
					r := row[oy*cg.wo : (oy+1)*cg.wo]
					if iy < 0 || iy >= cg.h {
						clear(r)
						continue
					}
					src := x[(ci*cg.h+iy)*cg.w:][:cg.w]
					clear(r[:lo])
					clear(r[hi:])
					if lo == hi {
						continue
					}
					if cg.stride == 1 {
						copy(r[lo:hi], src[lo-cg.pad+j:])
						continue
					}
					for ox := lo; ox < hi; ox++ {
						r[ox] = src[ox*cg.stride-cg.pad+j]
					}
				}
			}
		}
	}
}

// col2im adds the columns back into the image (the adjoint of im2col).
// cols is scratch: it may be overwritten.
func (cg *convGeom) col2im(x, cols []float64) {
	if cg.same() {
		cg.col2imSame(x, cols)
		return
	}
	cg.col2imRef(x, cols)
}

// col2imRef is col2im row by row, for any geometry (the reference).
func (cg *convGeom) col2imRef(x, cols []float64) {
	for ci := 0; ci < cg.c; ci++ {
		for i := 0; i < cg.kh; i++ {
			for j := 0; j < cg.kw; j++ {
				row := cols[((ci*cg.kh+i)*cg.kw+j)*cg.p:][:cg.p]
				lo, hi := cg.span(j)
				for oy := 0; oy < cg.ho; oy++ {
					iy := oy*cg.stride - cg.pad + i
					if iy < 0 || iy >= cg.h || lo == hi {
						continue
					}
					dst := x[(ci*cg.h+iy)*cg.w:][:cg.w]
					r := row[oy*cg.wo : (oy+1)*cg.wo]
					if cg.stride == 1 {
						d := dst[lo-cg.pad+j : hi-cg.pad+j]
						kernels.Add(d, d, r[lo:hi])
						continue
					}
					for ox := lo; ox < hi; ox++ {
						dst[ox*cg.stride-cg.pad+j] += r[ox]
					}
				}
			}
		}
	}
}

// Conv2d is the 2-D cross-correlation of x (N, C, H, W) with filters
// w (O, C, kh, kw), stride and zero padding, as PyTorch's conv2d without
// bias; output (N, O, Ho, Wo), Ho = (H + 2·pad − kh)/stride + 1. Each image
// is unfolded (im2col) and multiplied by w as an (O, C·kh·kw) matrix.
func Conv2d(x, w *Node, stride, pad int) *Node {
	cg := convCheck(x, w, stride, pad)
	y := x.g.newNode("Conv2d", []int{cg.n, cg.o, cg.ho, cg.wo}, conv2dVJP, x, w)
	cg.store(y)
	cols := x.g.alloc(cg.k * cg.p)
	xd, yd := x.data(), y.data()
	for i := 0; i < cg.n; i++ {
		cg.im2col(cols, xd[i*cg.c*cg.h*cg.w:])
		kernels.Gemm(false, false, cg.o, cg.p, cg.k, 1, w.val.Data, cg.k, cols, cg.p, 0, yd[i*cg.o*cg.p:], cg.p)
	}
	x.g.release(cols)
	return y
}

func conv2dVJP(n, gy *Node) {
	x, w := n.in[0], n.in[1]
	if n.g.want(x) {
		n.g.acc(x, convBackX(gy, w, n))
	}
	if n.g.want(w) {
		n.g.acc(w, convBackW(x, gy, n))
	}
}

// convBackX is ∂⟨gy, conv(x, w)⟩/∂x: wᵀ·gy per image, folded back (col2im).
// It is linear in gy and w; geometry comes from the conv node geo.
func convBackX(gy, w, geo *Node) *Node {
	cg := loadGeom(geo)
	y := gy.g.newNode("Conv2dBackX", []int{cg.n, cg.c, cg.h, cg.w}, convBackXVJP, gy, w)
	cg.store(y)
	cols := gy.g.alloc(cg.k * cg.p)
	gd, yd := gy.data(), y.data()
	clear(yd)
	for i := 0; i < cg.n; i++ {
		kernels.Gemm(true, false, cg.k, cg.p, cg.o, 1, w.val.Data, cg.k, gd[i*cg.o*cg.p:], cg.p, 0, cols, cg.p)
		cg.col2im(yd[i*cg.c*cg.h*cg.w:], cols)
	}
	gy.g.release(cols)
	return y
}

// convBackXVJP: ⟨u, convBackX(gy, w)⟩ = ⟨gy, conv(u, w)⟩.
func convBackXVJP(n, u *Node) {
	gy, w := n.in[0], n.in[1]
	if n.g.want(gy) {
		n.g.acc(gy, Conv2d(u, w, n.iarg[7], int(n.farg)))
	}
	if n.g.want(w) {
		n.g.acc(w, convBackW(u, gy, n))
	}
}

// convBackW is ∂⟨gy, conv(x, w)⟩/∂w = Σ_images gy·im2col(x)ᵀ.
func convBackW(x, gy, geo *Node) *Node {
	cg := loadGeom(geo)
	y := x.g.newNode("Conv2dBackW", []int{cg.o, cg.c, cg.kh, cg.kw}, convBackWVJP, x, gy)
	cg.store(y)
	cols := x.g.alloc(cg.k * cg.p)
	xd, gd, yd := x.data(), gy.data(), y.data()
	clear(yd)
	for i := 0; i < cg.n; i++ {
		cg.im2col(cols, xd[i*cg.c*cg.h*cg.w:])
		kernels.Gemm(false, true, cg.o, cg.k, cg.p, 1, gd[i*cg.o*cg.p:], cg.p, cols, cg.p, 1, yd, cg.k)
	}
	x.g.release(cols)
	return y
}

// convBackWVJP: ⟨v, convBackW(x, gy)⟩ = ⟨gy, conv(x, v)⟩.
func convBackWVJP(n, v *Node) {
	x, gy := n.in[0], n.in[1]
	if n.g.want(x) {
		n.g.acc(x, convBackX(gy, v, n))
	}
	if n.g.want(gy) {
		n.g.acc(gy, Conv2d(x, v, n.iarg[7], int(n.farg)))
	}
}

// channelCheck returns (N, C, inner) for x of shape (N, C, ...) and a
// per-channel vector c of length C.
func channelCheck(op string, x, c *Node) (int, int, int) {
	xs := x.val.Shape
	if len(xs) < 2 || (c != nil && (len(c.val.Shape) != 1 || c.val.Shape[0] != xs[1])) {
		var cs []int
		if c != nil {
			cs = c.val.Shape
		}
		panic(shapeErr(op, "want x (N, C, ...) and a vector of length C", xs, cs))
	}
	return xs[0], xs[1], sizeOf(xs[2:])
}

// AddChannel adds b[c] to channel c of x (N, C, ...): a convolution bias.
func AddChannel(x, b *Node) *Node {
	n, c, inner := channelCheck("AddChannel", x, b)
	y := x.g.newNode("AddChannel", x.val.Shape, addChannelVJP, x, b)
	xd, yd, bd := x.data(), y.data(), b.data()
	for i := 0; i < n*c; i++ {
		v := bd[i%c]
		for j, xv := range xd[i*inner : (i+1)*inner] {
			yd[i*inner+j] = xv + v
		}
	}
	return y
}

func addChannelVJP(n, gy *Node) {
	x, b := n.in[0], n.in[1]
	if n.g.want(x) {
		n.g.acc(x, gy)
	}
	if n.g.want(b) {
		n.g.acc(b, ChannelSum(gy))
	}
}

// MulChannel multiplies channel c of x (N, C, ...) by s[c].
func MulChannel(x, s *Node) *Node {
	n, c, inner := channelCheck("MulChannel", x, s)
	y := x.g.newNode("MulChannel", x.val.Shape, mulChannelVJP, x, s)
	xd, yd, sd := x.data(), y.data(), s.data()
	for i := 0; i < n*c; i++ {
		v := sd[i%c]
		for j, xv := range xd[i*inner : (i+1)*inner] {
			yd[i*inner+j] = xv * v
		}
	}
	return y
}

func mulChannelVJP(n, gy *Node) {
	x, s := n.in[0], n.in[1]
	if n.g.want(x) {
		n.g.acc(x, MulChannel(gy, s))
	}
	if n.g.want(s) {
		n.g.acc(s, ChannelSum(Mul(gy, x)))
	}
}

// ChannelSum sums x (N, C, ...) over everything but the channel axis.
func ChannelSum(x *Node) *Node {
	n, c, inner := channelCheck("ChannelSum", x, nil)
	y := x.g.newNode("ChannelSum", []int{c}, channelSumVJP, x)
	xd, yd := x.data(), y.data()
	clear(yd)
	for i := 0; i < n*c; i++ {
		var s float64
		for _, v := range xd[i*inner : (i+1)*inner] {
			s += v
		}
		yd[i%c] += s
	}
	return y
}

func channelSumVJP(n, gy *Node) {
	x := n.in[0]
	if n.g.want(x) {
		n.g.acc(x, channelBroadcast(gy, x.val.Shape))
	}
}

// channelBroadcast repeats v (C) over x-shaped (N, C, ...): ChannelSum's adjoint.
func channelBroadcast(v *Node, shape []int) *Node {
	y := v.g.newNode("ChannelBroadcast", shape, channelBroadcastVJP, v)
	n, c, inner := shape[0], shape[1], sizeOf(shape[2:])
	yd, vd := y.data(), v.data()
	for i := 0; i < n*c; i++ {
		val := vd[i%c]
		for j := range yd[i*inner : (i+1)*inner] {
			yd[i*inner+j] = val
		}
	}
	return y
}

func channelBroadcastVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], ChannelSum(gy))
	}
}

func poolCheck(op string, x *Node, k int) (outer, h, w int) {
	xs := x.val.Shape
	if len(xs) < 2 || k < 1 {
		panic(shapeErr(op, fmt.Sprintf("want (..., H, W) and factor ≥ 1, got %d", k), xs))
	}
	return sizeOf(xs[:len(xs)-2]), xs[len(xs)-2], xs[len(xs)-1]
}

// AvgPool2d averages non-overlapping k×k windows of x (..., H, W), H and W
// divisible by k (PyTorch's avg_pool2d(x, k)).
func AvgPool2d(x *Node, k int) *Node { return pool(x, k, 1/float64(k*k)) }

// Upsample2d repeats every pixel of x (..., H, W) k×k times (nearest
// neighbour, PyTorch's interpolate(scale_factor=k, mode="nearest")).
func Upsample2d(x *Node, k int) *Node { return upsample(x, k, 1) }

// pool is scale·(sum over k×k windows); its adjoint is upsample with the same scale.
func pool(x *Node, k int, scale float64) *Node {
	outer, h, w := poolCheck("AvgPool2d", x, k)
	if h%k != 0 || w%k != 0 {
		panic(shapeErr("AvgPool2d", fmt.Sprintf("H and W must be divisible by %d", k), x.val.Shape))
	}
	var buf [8]int
	shape := append(buf[:0], x.val.Shape...)
	shape[len(shape)-2], shape[len(shape)-1] = h/k, w/k
	y := x.g.newNode("Pool", shape, poolVJP, x)
	y.iarg[0], y.farg = k, scale
	ho, wo := h/k, w/k
	xd, yd := x.data(), y.data()
	clear(yd)
	for o := 0; o < outer; o++ {
		src, dst := xd[o*h*w:(o+1)*h*w], yd[o*ho*wo:(o+1)*ho*wo]
		for i := 0; i < h; i++ {
			drow := dst[(i/k)*wo : (i/k+1)*wo]
			for j, v := range src[i*w : (i+1)*w] {
				drow[j/k] += v
			}
		}
		for i := range dst {
			dst[i] *= scale
		}
	}
	return y
}

func poolVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], upsample(gy, n.iarg[0], n.farg))
	}
}

// upsample is scale·(nearest-neighbour k× upsampling); adjoint of pool.
func upsample(x *Node, k int, scale float64) *Node {
	outer, h, w := poolCheck("Upsample2d", x, k)
	var buf [8]int
	shape := append(buf[:0], x.val.Shape...)
	shape[len(shape)-2], shape[len(shape)-1] = h*k, w*k
	y := x.g.newNode("Upsample", shape, upsampleVJP, x)
	y.iarg[0], y.farg = k, scale
	ho, wo := h*k, w*k
	xd, yd := x.data(), y.data()
	for o := 0; o < outer; o++ {
		src, dst := xd[o*h*w:(o+1)*h*w], yd[o*ho*wo:(o+1)*ho*wo]
		for i := 0; i < ho; i++ {
			srow, drow := src[(i/k)*w:(i/k+1)*w], dst[i*wo:(i+1)*wo]
			for j := range drow {
				drow[j] = scale * srow[j/k]
			}
		}
	}
	return y
}

func upsampleVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], pool(gy, n.iarg[0], n.farg))
	}
}

// GroupNorm normalises x (N, C, ...) over each group of C/groups channels
// and the spatial axes, (x − μ)/√(σ² + eps) with the biased variance, then
// applies the per-channel affine map gamma·x̂ + beta (either may be nil),
// as PyTorch's group_norm. It is built from graph ops, so it is
// differentiable to any order.
func GroupNorm(x *Node, groups int, gamma, beta *Node, eps float64) *Node {
	xs := x.val.Shape
	if len(xs) < 2 || groups < 1 || xs[1]%groups != 0 {
		panic(shapeErr("GroupNorm", fmt.Sprintf("%d groups must divide the channels", groups), xs))
	}
	m := x.val.Size() / (xs[0] * groups)
	xr := Reshape(x, xs[0]*groups, m)
	xc := Sub(xr, ExpandAxis(MeanAxis(xr, 1), 1, m))
	inv := Pow(AddScalar(MeanAxis(Square(xc), 1), eps), -0.5)
	y := Reshape(Mul(xc, ExpandAxis(inv, 1, m)), xs...)
	if gamma != nil {
		y = MulChannel(y, gamma)
	}
	if beta != nil {
		y = AddChannel(y, beta)
	}
	return y
}
