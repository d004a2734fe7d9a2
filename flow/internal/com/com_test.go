package com

import "testing"

// TestRemove: three particles in 2-D with mean (1, −2): Mean finds it,
// Remove subtracts it (values exact in binary) and returns its norm √5.
func TestRemove(t *testing.T) {
	y := []float64{0, -1, 1, -3, 2, -2}
	m := make([]float64, 2)
	Mean(y, 2, m)
	if m[0] != 1 || m[1] != -2 {
		t.Errorf("mean %v, want [1 -2]", m)
	}
	if n := Remove(y, 2); n*n < 5-1e-15 || n*n > 5+1e-15 {
		t.Errorf("removed norm %v, want √5", n)
	}
	want := []float64{-1, 1, 0, -1, 1, 0}
	for i := range y {
		if y[i] != want[i] {
			t.Fatalf("after Remove %v, want %v", y, want)
		}
	}
	if n := Remove(y, 2); n != 0 {
		t.Errorf("second Remove moved the mean by %v", n)
	}
}
