package infer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"

	"github.com/hifm-go/hifm/flow/internal/splitmix"
	"github.com/hifm-go/hifm/rk45"
)

// Sample draws n samples by integrating v_θ forward from base draws over
// Model.Interval (HIFM-MATH §6). Base draw i comes from the PCG stream (Seed, i),
// so the samples do not depend on the worker count. It returns the samples
// (n×Dim, row-major) and the NFE of each solve.
func Sample(ctx context.Context, m Model, count int, opt Options) ([]float64, []int, error) {
	base, t0, t1, err := m.setup()
	if err != nil {
		return nil, nil, err
	}
	net := m.Net
	if count < 1 {
		return nil, nil, fmt.Errorf("infer: sample count %d < 1", count)
	}
	if opt.RTol == 0 && opt.ATol == 0 {
		opt.RTol, opt.ATol = 1e-2, 1e-2
	}
	n := net.Dim()
	// One allocation for all base draws; one PCG reseeded per draw (Seed
	// gives the state of a fresh rand.NewPCG).
	y0s, y0Flat := make([][]float64, count), make([]float64, count*n)
	pcg := rand.NewPCG(0, 0)
	rng := rand.New(pcg)
	for i := range y0s {
		y0s[i] = y0Flat[i*n : (i+1)*n : (i+1)*n]
		pcg.Seed(splitmix.Mix2(opt.Seed, 0x73616d706c65), uint64(i))
		base.Sample(rng, y0s[i])
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, count)
	fields := make([]*netField, workers)
	for w := range fields {
		if fields[w], err = newNetField(m, DivExact); err != nil {
			return nil, nil, err
		}
	}
	res, err := rk45.SolveBatch(func(w, _ int, s float64, y, dy []float64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fields[w].Velocity(s, y, dy)
	}, t0, t1, y0s, rk45.Options{RTol: opt.RTol, ATol: opt.ATol, MaxSteps: opt.MaxSteps}, workers)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("infer: sampling solve: %w", err)
	}
	out := make([]float64, count*n)
	nfe := make([]int, count)
	for i := range res {
		copy(out[i*n:], res[i].Y)
		nfe[i] = res[i].NFE
	}
	return out, nfe, nil
}
