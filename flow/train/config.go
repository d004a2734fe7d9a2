// Package train fits a velocity network v_θ(y, s) by flow matching
// (Algorithm 1, HIFM-MATH §5) and checkpoints the run. Test likelihoods
// (§6) and samples of the trained network are package infer's:
// Config.Inference gives what it needs.
//
// Training is deterministic: every random number of step k comes from PCG
// streams seeded by (Config.Seed, k, chunk), the batch is split into fixed
// chunks of Config.Chunk samples whatever the number of threads, and the
// chunks' gradients are summed in chunk order. The same config therefore
// gives bit-identical parameters for any GOMAXPROCS or Threads, and a run
// resumed from a checkpoint continues exactly as the uninterrupted run.
package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/model"
)

// Hessian sources of the HI-FM spectrum cache (Algorithm 1's precompute).
const (
	// HessianFormation: H = ∇²V(y1) of the formation energy, Eq. 25, at its
	// minimum y1 (closed form ½RᵀR, HIFM-MATH §4.1): particle data (LJ13).
	HessianFormation = "formation"
	// HessianIsotropic: H = λI (HIFM-MATH §3.1, MNIST's choice); the
	// spectrum is built per batch, as it costs O(n).
	HessianIsotropic = "isotropic"
	// HessianEnergy: H = ∇²V(y1) of the named toy energy (Config.Energy)
	// at the sample itself, by autodiff; V must be convex at the data
	// (the "well").
	HessianEnergy = "energy"
	// HessianEnergyMin: H = ∇²V(m) by autodiff at the minimum m of V
	// nearest to y1 (ring: m = y1/‖y1‖, where H = 8mmᵀ has its null
	// direction): Boltzmann samples off the minima may have negative
	// curvature, which the spectrum pipeline rejects (HIFM-MATH §4).
	HessianEnergyMin = "energy-min"
)

// Config is everything that determines a training run's result. Threads
// and checkpoint cadence are in RunOptions: they do not change the result.
type Config struct {
	Flow  flow.Config       `json:"flow"`
	Net   model.NetConfig   `json:"net"`
	Optim model.AdamWConfig `json:"optim"`

	// Hessian selects the HI-FM spectrum source: "formation", "isotropic",
	// "energy" or "energy-min" ("" chooses formation for particle data,
	// else isotropic).
	Hessian string `json:"hessian"`
	// IsoLambda is λ of H = λI for the isotropic Hessian (before the
	// priority scaling, which for the interpolant and data priorities
	// makes its value irrelevant).
	IsoLambda float64 `json:"iso_lambda,omitempty"`
	// Energy names the toy energy of the "energy" and "energy-min"
	// Hessian sources ("well" or "ring", energy.NewToy).
	Energy string `json:"energy,omitempty"`

	// Particles and SpatialDim describe particle data (0 otherwise):
	// particle data use the zero-centre-of-mass base (HIFM-MATH §4).
	Particles  int `json:"particles,omitempty"`
	SpatialDim int `json:"spatial_dim,omitempty"`

	// Steps is the number of optimiser steps; Batch the batch size.
	Steps int64 `json:"steps"`
	Batch int   `json:"batch"`
	// Chunk is the number of samples per gradient chunk (the unit of
	// parallelism); the batch splits into ⌈Batch/Chunk⌉ fixed chunks.
	Chunk int `json:"chunk"`
	// Seed seeds the network's initialisation and every training draw.
	Seed uint64 `json:"seed"`

	// Data identifies the training set the run was started on (filled by
	// New; Resume refuses different data, which would change the batches).
	Data *DataID `json:"data,omitempty"`
}

// DataID fingerprints a training set: its size and the SHA-256 of its
// float64 values (little-endian, row-major).
type DataID struct {
	N      int    `json:"n"`
	Dim    int    `json:"dim"`
	SHA256 string `json:"sha256"`
}

// Paper defaults (HIFM-MATH §5), read through DefaultConfig.
const (
	defaultBatch = 256
	defaultChunk = 32
	defaultSteps = 10000
)

// DefaultConfig returns the paper's settings for LJ13 with the EGNN: HI-FM
// path (flow.Default), one EGNN layer of width 64, AdamW lr 1e-4, batch 256.
func DefaultConfig() Config {
	return Config{
		Flow:       flow.Default(),
		Net:        model.NetConfig{Kind: model.KindEGNN, Particles: 13},
		Optim:      model.DefaultAdamW(),
		Particles:  13,
		SpatialDim: 3,
		Steps:      defaultSteps,
		Batch:      defaultBatch,
		Chunk:      defaultChunk,
		Seed:       1,
	}
}

// ErrConfig marks an invalid training configuration.
var ErrConfig = errors.New("train: invalid config")

func cfgErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// withDefaults fills the derived fields (net defaults, Hessian source).
func (c Config) withDefaults() Config {
	c.Net = c.Net.WithDefaults()
	if c.Hessian == "" {
		if c.Particles > 0 {
			c.Hessian = HessianFormation
		} else {
			c.Hessian = HessianIsotropic
		}
	}
	if c.Hessian == HessianIsotropic && c.IsoLambda == 0 {
		c.IsoLambda = 1
	}
	if c.Chunk == 0 {
		c.Chunk = defaultChunk
	}
	return c
}

// Validate reports the first invalid option.
func (c Config) Validate() error {
	if err := c.Flow.Validate(); err != nil {
		return err
	}
	if err := c.Net.WithDefaults().Validate(); err != nil {
		return err
	}
	if err := c.Optim.Validate(); err != nil {
		return err
	}
	switch {
	case c.Steps < 0:
		return cfgErr("steps %d < 0", c.Steps)
	case c.Batch < 1:
		return cfgErr("batch %d < 1", c.Batch)
	case c.Chunk < 0:
		return cfgErr("chunk %d < 0", c.Chunk)
	case c.Particles < 0 || c.SpatialDim < 0 || (c.Particles > 0) != (c.SpatialDim > 0):
		return cfgErr("particles %d and spatial_dim %d must both be > 0 (particle data) or both 0", c.Particles, c.SpatialDim)
	case c.Particles == 1:
		return cfgErr("particle data need ≥ 2 particles")
	}
	switch c.Hessian {
	case "", HessianIsotropic:
		if c.IsoLambda < 0 || math.IsNaN(c.IsoLambda) || math.IsInf(c.IsoLambda, 0) {
			return cfgErr("iso_lambda %v must be a finite number > 0", c.IsoLambda)
		}
	case HessianFormation:
		if c.Particles == 0 {
			return cfgErr("the formation Hessian (Eq. 25) needs particle data")
		}
	case HessianEnergy, HessianEnergyMin:
		e, err := energy.NewToy(c.Energy)
		if err != nil {
			return cfgErr("hessian %q: %v", c.Hessian, err)
		}
		if d := c.Net.WithDefaults().Dim; d != e.Dim() {
			return cfgErr("energy %q is %d-dimensional, the network %d", c.Energy, e.Dim(), d)
		}
	default:
		return cfgErr("hessian %q: want %q, %q, %q or %q", c.Hessian, HessianFormation, HessianIsotropic, HessianEnergy, HessianEnergyMin)
	}
	n := c.Net.WithDefaults().Dim
	if c.Particles > 0 && n != c.Particles*c.SpatialDim {
		return cfgErr("network dimension %d ≠ particles·spatial_dim = %d", n, c.Particles*c.SpatialDim)
	}
	if c.Flow.Scheme == flow.SchemeInfinite && c.Flow.Kind == flow.PathHIFM && c.Flow.Priority == flow.PriorityNone {
		return cfgErr("the infinite scheme needs a common κ (priority interpolant or data, not none) for its likelihood interval")
	}
	return nil
}

// Inference returns the inference model of net trained with c: the
// network, its path and the particle layout (package infer: NLL, Sample).
func (c Config) Inference(net model.Net) infer.Model {
	return infer.Model{Net: net, Flow: c.Flow, Particles: c.Particles, SpatialDim: c.SpatialDim}
}
