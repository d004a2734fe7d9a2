// Package com is the one centre-of-mass code of the flow packages: particle
// data y are particles of dim coordinates, y[i·dim+k] coordinate k of
// particle i, and the zero-centre-of-mass subspace (HIFM-MATH §4) is where
// the mean particle is 0. flow.RemoveCOM, the zero-CoM base, the LJ13
// energy's oscillator and the data sets all use it.
package com

import "math"

// Mean sets m[:dim] to the mean particle of y: for each coordinate, the sum
// over particles in index order divided by their number.
func Mean(y []float64, dim int, m []float64) {
	p := len(y) / dim
	for k := range dim {
		var c float64
		for i := range p {
			c += y[i*dim+k]
		}
		m[k] = c / float64(p)
	}
}

// Remove subtracts the mean particle from y and returns the Euclidean norm
// of the mean it removed.
func Remove(y []float64, dim int) float64 {
	p := len(y) / dim
	var nrm float64
	for k := range dim {
		var c float64
		for i := range p {
			c += y[i*dim+k]
		}
		c /= float64(p)
		for i := range p {
			y[i*dim+k] -= c
		}
		nrm += c * c
	}
	return math.Sqrt(nrm)
}
