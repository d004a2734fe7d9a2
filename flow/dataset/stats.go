package dataset

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/flow/energy"
)

// EnergyStats returns the mean and standard deviation of e over the samples
// of s (the "mean energy" statistic of the LJ13 experiments, HIFM-MATH §4.2,
// computed with the §4.2 energy energy.NewLJ13()). Sums are in sample order,
// so the result is deterministic.
func EnergyStats(s *Set, e energy.Energy) (mean, std float64, err error) {
	if s == nil || s.N < 1 {
		return 0, 0, fmt.Errorf("dataset: energy statistics of an empty set")
	}
	if s.Dim != e.Dim() {
		return 0, 0, fmt.Errorf("dataset: samples of dimension %d, energy of dimension %d", s.Dim, e.Dim())
	}
	var sum float64
	v := make([]float64, s.N)
	for i := range s.N {
		v[i] = e.Value(s.Row(i))
		sum += v[i]
	}
	mean = sum / float64(s.N)
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return mean, 0, fmt.Errorf("dataset: mean energy is %v (overlapping particles?)", mean)
	}
	return mean, math.Sqrt(ss / float64(s.N)), nil
}

// MeanEnergy returns the mean of the LJ13 energy of HIFM-MATH §4.2 over s.
func MeanEnergy(s *Set) (float64, error) {
	m, _, err := EnergyStats(s, lj13For(s))
	return m, err
}

func lj13For(s *Set) *energy.LJ13 {
	e := energy.NewLJ13()
	if s != nil && s.Particles > 0 && s.SpatialDim > 0 {
		e.Particles, e.SpatialDim = s.Particles, s.SpatialDim
	}
	return e
}

// Histogram is a normalised histogram of Bins equal-width bins over
// [Lo, Hi), with the mass outside the range kept in Under and Over so that
// total variation accounts for every value: Under + Σ P + Over = 1.
type Histogram struct {
	Lo, Hi float64
	P      []float64
	Under  float64
	Over   float64
	Count  int // number of values
}

// Centre returns the centre of bin k.
func (h *Histogram) Centre(k int) float64 {
	return h.Lo + (float64(k)+0.5)*(h.Hi-h.Lo)/float64(len(h.P))
}

// Default pair-distance histogram range: every pair distance in the LJ13
// reference files lies in [0.82, 6.2], r_m = 1; 0.05-wide bins over
// [0.5, 4.5) resolve the first-neighbour peak (width ≈ 0.1) and keep the
// sampling noise of TV between the two 10 000-sample reference files at 0.004.
const (
	PairHistLo   = 0.5
	PairHistHi   = 4.5
	PairHistBins = 80
)

// PairDistanceHistogram returns the histogram of all pair distances
// ||y_i − y_j||, i < j, over the samples of particle set s, with bins
// equal-width bins over [lo, hi).
func PairDistanceHistogram(s *Set, lo, hi float64, bins int) (*Histogram, error) {
	if s == nil || s.N < 1 || s.Particles < 2 || s.SpatialDim < 1 || s.Particles*s.SpatialDim != s.Dim {
		return nil, fmt.Errorf("dataset: pair distances need a non-empty particle set")
	}
	if bins < 1 || !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil, fmt.Errorf("dataset: histogram of %d bins over [%v, %v)", bins, lo, hi)
	}
	h := &Histogram{Lo: lo, Hi: hi, P: make([]float64, bins)}
	counts := make([]int, bins+2) // under, bins…, over
	p, sd := s.Particles, s.SpatialDim
	w := float64(bins) / (hi - lo)
	for n := range s.N {
		y := s.Row(n)
		for i := range p {
			for j := i + 1; j < p; j++ {
				var r2 float64
				for k := range sd {
					d := y[i*sd+k] - y[j*sd+k]
					r2 += d * d
				}
				r := math.Sqrt(r2)
				switch {
				case math.IsNaN(r):
					return nil, fmt.Errorf("dataset: sample %d has a NaN coordinate", n)
				case r < lo:
					counts[0]++
				case r >= hi:
					counts[bins+1]++
				default:
					counts[1+min(int((r-lo)*w), bins-1)]++
				}
			}
		}
	}
	total := s.N * p * (p - 1) / 2
	h.Count = total
	inv := 1 / float64(total)
	h.Under = float64(counts[0]) * inv
	h.Over = float64(counts[bins+1]) * inv
	for k := range bins {
		h.P[k] = float64(counts[k+1]) * inv
	}
	return h, nil
}

// TotalVariation returns ½ Σ |a_k − b_k| over the bins and the under- and
// overflow of two histograms with the same binning.
func TotalVariation(a, b *Histogram) (float64, error) {
	if a.Lo != b.Lo || a.Hi != b.Hi || len(a.P) != len(b.P) {
		return 0, fmt.Errorf("dataset: histograms over [%v, %v)/%d and [%v, %v)/%d bins differ",
			a.Lo, a.Hi, len(a.P), b.Lo, b.Hi, len(b.P))
	}
	tv := math.Abs(a.Under-b.Under) + math.Abs(a.Over-b.Over)
	for k := range a.P {
		tv += math.Abs(a.P[k] - b.P[k])
	}
	return tv / 2, nil
}
