package dataset

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hifm-go/hifm/tensor/golden"
	"github.com/hifm-go/hifm/tensor/npy"
)

var _ = golden.Update

func writeNPY(t *testing.T, shape []int, data []float64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.npy")
	if err := npy.WriteFile(p, &npy.Array{Shape: shape, Data: data}); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadLJ13Recentres(t *testing.T) {
	// Two samples of 13 particles; the second is shifted by (1, 2, 3).
	data := make([]float64, 2*39)
	for i := range 39 {
		data[i] = float64(i%7) - 3
		data[39+i] = data[i] + float64(i%3+1)
	}
	var c0 [3]float64 // COM of sample 0; sample 1 has c0 + (1, 2, 3)
	for i := range 39 {
		c0[i%3] += data[i] / 13
	}
	wantMax := math.Max(math.Hypot(math.Hypot(c0[0], c0[1]), c0[2]),
		math.Hypot(math.Hypot(c0[0]+1, c0[1]+2), c0[2]+3))
	s, err := LoadLJ13(writeNPY(t, []int{2, 39}, data))
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 2 || s.Dim != 39 || s.Particles != 13 || s.SpatialDim != 3 {
		t.Fatalf("got N=%d Dim=%d P=%d sd=%d", s.N, s.Dim, s.Particles, s.SpatialDim)
	}
	if !s.Recentred || math.Abs(s.MaxCOM-wantMax) > 1e-12 {
		t.Errorf("Recentred=%v MaxCOM=%v, want true and %v", s.Recentred, s.MaxCOM, wantMax)
	}
	// Both rows are now mean-free and equal (the shift is gone); values are
	// small integers ± a mean, so 1e-12 covers the rounding of the mean.
	for i := range 2 {
		for k := range 3 {
			var c float64
			for p := range 13 {
				c += s.Row(i)[p*3+k]
			}
			if math.Abs(c) > 1e-12 {
				t.Errorf("sample %d: COM component %d = %v", i, k, c)
			}
		}
	}
	if d := cmp.Diff(s.Row(0), s.Row(1), cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Errorf("recentred rows differ:\n%s", d)
	}

	// (N, P, 3) is accepted too; a mean-free file is not flagged.
	s2, err := LoadLJ13(writeNPY(t, []int{1, 13, 3}, append([]float64(nil), s.Row(0)...)))
	if err != nil {
		t.Fatal(err)
	}
	if s2.Recentred || s2.Dim != 39 {
		t.Errorf("mean-free (1,13,3): Recentred=%v Dim=%d", s2.Recentred, s2.Dim)
	}
}

func TestLoadLJ13Errors(t *testing.T) {
	nan := make([]float64, 39)
	nan[5] = math.NaN()
	for _, tc := range []struct {
		name  string
		shape []int
		data  []float64
		want  string
	}{
		{"1-D", []int{39}, make([]float64, 39), "shape"},
		{"not 3P columns", []int{2, 40}, make([]float64, 80), "shape"},
		{"one particle", []int{2, 3}, make([]float64, 6), "at least 2 particles"},
		{"no samples", []int{0, 39}, nil, "at least one sample"},
		{"NaN", []int{1, 39}, nan, "finite"},
	} {
		_, err := LoadLJ13(writeNPY(t, tc.shape, tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadLJ13(filepath.Join(t.TempDir(), "missing.npy")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestDefaultLJ13Dir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(LJ13DirEnv, dir)
	got, err := DefaultLJ13Dir()
	if err != nil || got != dir {
		t.Fatalf("with %s set: %q, %v", LJ13DirEnv, got, err)
	}
	// The split file does not exist there: an ErrNoLJ13Data error.
	if _, err := LJ13Split("train"); !errors.Is(err, ErrNoLJ13Data) {
		t.Errorf("missing split file: err = %v, want ErrNoLJ13Data", err)
	}
	if err := os.WriteFile(filepath.Join(dir, LJ13TestFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := LJ13Split("test"); err != nil || p != filepath.Join(dir, LJ13TestFile) {
		t.Errorf("LJ13Split(test) = %q, %v", p, err)
	}
	if _, err := LJ13Split("validation"); err == nil || !strings.Contains(err.Error(), "train or test") {
		t.Errorf("bad split: err = %v", err)
	}
	t.Setenv(LJ13DirEnv, filepath.Join(dir, "nope"))
	if _, err := DefaultLJ13Dir(); !errors.Is(err, ErrNoLJ13Data) {
		t.Errorf("bad %s: err = %v, want ErrNoLJ13Data", LJ13DirEnv, err)
	}
	// Upward search from a working directory below a shared/data/lj13 tree.
	t.Setenv(LJ13DirEnv, "")
	root := t.TempDir()
	want := filepath.Join(root, "shared", "data", "lj13")
	deep := filepath.Join(root, "main", "flow", "dataset")
	for _, d := range []string{want, deep} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(deep)
	if got, err := DefaultLJ13Dir(); err != nil || got != want {
		t.Errorf("upward search: %q, %v; want %q", got, err, want)
	}
}

// referenceSets loads both LJ13 reference files, or skips.
func referenceSets(t *testing.T) (train, test *Set) {
	t.Helper()
	train, err := LoadLJ13Split("train")
	if errors.Is(err, ErrNoLJ13Data) {
		t.Skipf("LJ13 reference data absent, skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	test, err = LoadLJ13Split("test")
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func TestReferenceFiles(t *testing.T) {
	train, test := referenceSets(t)
	for _, s := range []*Set{train, test} {
		if s.N != 10000 || s.Dim != 39 || s.Recentred {
			t.Errorf("reference set: N=%d Dim=%d Recentred=%v (MaxCOM %g)", s.N, s.Dim, s.Recentred, s.MaxCOM)
		}
		// README: mean energy ≈ −17.0; the sample SD is 4.1, so 10 000
		// samples give a standard error of 0.04 and ±0.2 is 5 SE.
		m, err := MeanEnergy(s)
		if err != nil || math.Abs(m+17.0) > 0.2 {
			t.Errorf("reference mean energy %v, %v; want −17.0 ± 0.2", m, err)
		}
	}
}

func TestHistogramAndTV(t *testing.T) {
	// Three particles in 1-D at 0, 1, 3: distances 1, 2, 3.
	s := &Set{N: 1, Dim: 3, Data: []float64{0, 1, 3}, Particles: 3, SpatialDim: 1}
	h, err := PairDistanceHistogram(s, 0.5, 2.5, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := &Histogram{Lo: 0.5, Hi: 2.5, P: []float64{1.0 / 3, 1.0 / 3}, Over: 1.0 / 3, Count: 3}
	if d := cmp.Diff(want, h, cmpopts.EquateApprox(0, 1e-15)); d != "" {
		t.Errorf("histogram (-want +got):\n%s", d)
	}
	if tv, _ := TotalVariation(h, h); tv != 0 {
		t.Errorf("TV(h, h) = %v", tv)
	}
	// Disjoint support: TV = 1.
	s2 := &Set{N: 1, Dim: 2, Data: []float64{0, 0.1}, Particles: 2, SpatialDim: 1}
	h2, _ := PairDistanceHistogram(s2, 0.5, 2.5, 2)
	if tv, _ := TotalVariation(h, h2); math.Abs(tv-1) > 1e-15 {
		t.Errorf("TV of disjoint histograms = %v, want 1", tv)
	}
	h3, _ := PairDistanceHistogram(s, 0.5, 2.5, 3)
	if _, err := TotalVariation(h, h3); err == nil {
		t.Error("TV of different binnings: no error")
	}
	if _, err := PairDistanceHistogram(s, 1, 1, 3); err == nil {
		t.Error("empty range: no error")
	}
	if _, err := PairDistanceHistogram(&Set{N: 1, Dim: 784, Data: make([]float64, 784)}, 0, 1, 3); err == nil {
		t.Error("non-particle set: no error")
	}
}
