package dataset

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/idx"
)

// MNISTOptions selects the pixel scaling of LoadMNIST. The zero value gives
// x/255 ∈ [0, 1] from the GoMNIST module in the Go module cache.
type MNISTOptions struct {
	// Dequantize replaces x/255 by (x + u)/256, u ~ U[0, 1) drawn from Seed:
	// uniform dequantisation (Theis et al. 2016), which makes the pixels a
	// continuous density on [0, 1) so that NLL in bits/dim is meaningful
	// (HIFM-MATH §6).
	Dequantize bool
	Seed       uint64
	// Symmetric maps the [0, 1] value v to 2v − 1 ∈ [−1, 1].
	Symmetric bool
	// Dir is the directory of the IDX files (default idx.FindMNIST()).
	Dir string
}

// LoadMNIST loads the MNIST "train" (60 000) or "test" (10 000) split as an
// N×784 set with the digits in Set.Labels. Pixels x ∈ {0, …, 255} become
// x/255 ∈ [0, 1] by default; see MNISTOptions for dequantisation and
// [−1, 1]. The IDX files come from the GoMNIST Go module; when it is not in
// the module cache the error says how to fetch it (idx.FetchMNIST).
func LoadMNIST(split string, opt MNISTOptions) (*Set, error) {
	if split != "train" && split != "test" {
		return nil, fmt.Errorf("dataset: unknown MNIST split %q (want train or test)", split)
	}
	dir := opt.Dir
	if dir == "" {
		d, err := idx.FindMNIST()
		if err != nil {
			return nil, fmt.Errorf("dataset: MNIST: %w (fetch the data with: %s)", err, idx.FetchMNIST)
		}
		dir = d
	}
	img, labels, err := idx.LoadMNIST(dir, split)
	if err != nil {
		return nil, fmt.Errorf("dataset: MNIST %s from %s: %w (fetch the data with: %s)", split, dir, err, idx.FetchMNIST)
	}
	n := len(labels)
	if n == 0 || len(img) != n*idx.Pixels {
		return nil, fmt.Errorf("dataset: MNIST %s: %d images of %d values for %d labels", split, len(img), idx.Pixels, n)
	}
	if opt.Dequantize {
		rng := tensor.NewRNG(opt.Seed)
		for i, v := range img {
			// idx scaled by 1/255; recover the integer exactly by rounding.
			x := float64(int(v*255 + 0.5))
			img[i] = (x + rng.Float64()) / 256
		}
	}
	if opt.Symmetric {
		for i, v := range img {
			img[i] = 2*v - 1
		}
	}
	return &Set{N: n, Dim: idx.Pixels, Data: img, Labels: labels}, nil
}
