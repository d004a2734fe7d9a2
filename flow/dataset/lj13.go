package dataset

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/hifm-go/hifm/flow/internal/com"
	"github.com/hifm-go/hifm/tensor/npy"
)

// LJ13DirEnv names the environment variable that overrides the LJ13 data
// directory searched by DefaultLJ13Dir.
const LJ13DirEnv = "HIFM_LJ13_DIR"

// comTol is the centre-of-mass norm above which LoadLJ13 reports that it
// recentred the data (Set.Recentred). The reference files are mean-free to
// float32 rounding (|COM| ≈ 4e-7); 1e-4 leaves room for float32 data of any
// sensible scale while flagging files that were never centred.
const comTol = 1e-4

// ErrNoLJ13Data is returned (wrapped) by DefaultLJ13Dir when no LJ13 data
// directory is found.
var ErrNoLJ13Data = errors.New("LJ13 reference data not found")

// LJ13 reference file names, as listed in shared/data/lj13/README.md.
const (
	LJ13TrainFile = "val_split_LJ13-1000.npy"  // training data
	LJ13TestFile  = "test_split_LJ13-1000.npy" // held-out test data
)

// DefaultLJ13Dir returns the LJ13 reference directory: $HIFM_LJ13_DIR when
// set (it must exist), else the first <ancestor>/shared/data/lj13 found
// walking up from the working directory (for the repository at
// /work/main that is /work/shared/data/lj13, i.e. ../shared/data/lj13 beside
// the repository). The error wraps ErrNoLJ13Data and says how to fix it.
func DefaultLJ13Dir() (string, error) {
	if d := os.Getenv(LJ13DirEnv); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("%w: %s=%q is not a directory", ErrNoLJ13Data, LJ13DirEnv, d)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoLJ13Data, err)
	}
	for dir := wd; ; {
		c := filepath.Join(dir, "shared", "data", "lj13")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			break
		}
		dir = up
	}
	return "", fmt.Errorf("%w: no shared/data/lj13 above %s; set %s to the directory holding %s and %s, or generate data with 'hifm gen-lj13'",
		ErrNoLJ13Data, wd, LJ13DirEnv, LJ13TrainFile, LJ13TestFile)
}

// LJ13Split returns the path of a reference split in DefaultLJ13Dir:
// "train" → val_split_LJ13-1000.npy, "test" → test_split_LJ13-1000.npy
// (the data README's assignment). The file must exist.
func LJ13Split(split string) (string, error) {
	var name string
	switch split {
	case "train":
		name = LJ13TrainFile
	case "test":
		name = LJ13TestFile
	default:
		return "", fmt.Errorf("dataset: unknown LJ13 split %q (want train or test)", split)
	}
	dir, err := DefaultLJ13Dir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoLJ13Data, err)
	}
	return p, nil
}

// LoadLJ13Split loads a reference split ("train" or "test") with LoadLJ13.
func LoadLJ13Split(split string) (*Set, error) {
	p, err := LJ13Split(split)
	if err != nil {
		return nil, err
	}
	return LoadLJ13(p)
}

// LoadLJ13 reads particle configurations in 3-D from a .npy file
// (float32 or float64, C order): shape (N, 3P) — (N, 39) for LJ13 — or
// (N, P, 3), P ≥ 2. Every value must be finite. The centre of mass of every
// configuration is removed (the invariant base of HIFM-MATH §4 lives on the
// zero-COM subspace); Set.MaxCOM and Set.Recentred tell whether that changed
// the data beyond float32 rounding (|COM| > 1e-4), so callers can say so.
func LoadLJ13(path string) (*Set, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: LJ13 data %s: %w", path, err)
	}
	s, err := particleSet(a.Shape, a.Data, 3)
	if err != nil {
		return nil, fmt.Errorf("dataset: LJ13 data %s: %w", path, err)
	}
	return s, nil
}

// particleSet validates shape and values and recentres in place.
func particleSet(shape []int, data []float64, sd int) (*Set, error) {
	var n, p int
	switch {
	case len(shape) == 2 && shape[1]%sd == 0:
		n, p = shape[0], shape[1]/sd
	case len(shape) == 3 && shape[2] == sd:
		n, p = shape[0], shape[1]
	default:
		return nil, fmt.Errorf("shape %v is not (N, %d·P) or (N, P, %d) particle data (LJ13 is (N, 39))", shape, sd, sd)
	}
	if n < 1 || p < 2 {
		return nil, fmt.Errorf("shape %v: need at least one sample of at least 2 particles", shape)
	}
	dim := p * sd
	if len(data) != n*dim {
		return nil, fmt.Errorf("shape %v does not match %d values", shape, len(data))
	}
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("sample %d, coordinate %d is %v (data must be finite)", i/dim, i%dim, v)
		}
	}
	s := &Set{N: n, Dim: dim, Data: data, Particles: p, SpatialDim: sd}
	for i := range n {
		c := com.Remove(s.Row(i), sd)
		s.MaxCOM = math.Max(s.MaxCOM, c)
	}
	s.Recentred = s.MaxCOM > comTol
	return s, nil
}
