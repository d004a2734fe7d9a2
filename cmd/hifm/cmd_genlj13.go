package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor/npy"
)

const genLJ13Help = `
Generate LJ13 configurations (13 particles × 3 coordinates, centre of mass
removed) by parallel Hamiltonian Monte Carlo on the LJ13 target (HIFM-MATH
§4.2), so that hifm runs without downloaded data. The sampled law is the one
of the reference files in ../shared/data/lj13 (the pair term counted over
ordered pairs, as in bgflow/DEM; see dataset.SamplingLJ13); statistics are
reported with the §4.2 energy.

Writes FILE (an (n, 39) float64 .npy, atomically) and FILE.json (every
setting, the seed, the hifm version and the sample statistics). The output
depends on -seed, -chains, -burnin, -thin, -leapfrog and -step, never on
-threads: the same seed gives the same bits on any machine.

Progress goes to stderr; Ctrl-C stops without writing anything.

examples:
  hifm gen-lj13 -n 10000 -seed 1 -out lj13.npy
  hifm gen-lj13 -n 1000 -seed 7 -out small.npy -threads 1 --json
`

func init() {
	register(&command{
		name:    "gen-lj13",
		summary: "generate LJ13 configurations by parallel HMC (.npy + config JSON)",
		run:     runGenLJ13,
	})
}

// genLJ13Report is the config JSON written next to the output and printed by --json.
type genLJ13Report struct {
	Command     string          `json:"command"`
	HifmVersion string          `json:"hifm_version"`
	GoVersion   string          `json:"go_version"`
	Output      string          `json:"output"`
	Settings    genLJ13Settings `json:"settings"`
	Threads     int             `json:"threads"` // does not affect the output
	Stats       genLJ13Stats    `json:"stats"`
	Reference   *genLJ13Ref     `json:"reference,omitempty"`
}

type genLJ13Settings struct {
	N            int     `json:"n"`
	Seed         uint64  `json:"seed"`
	Chains       int     `json:"chains"`
	BurnIn       int     `json:"burnin"`
	Thin         int     `json:"thin"`
	Leapfrog     int     `json:"leapfrog"`
	StepSize     float64 `json:"step_size"`
	TargetAccept float64 `json:"target_accept"`
	Sampler      string  `json:"sampler"`
	Particles    int     `json:"particles"`
	SpatialDim   int     `json:"spatial_dim"`
	EpsilonLJ    float64 `json:"epsilon_lj"`
	Rm           float64 `json:"rm"`
	Oscillator   float64 `json:"oscillator"`
	Target       string  `json:"target"`
}

type genLJ13Stats struct {
	MeanEnergy     float64 `json:"mean_energy"`
	EnergySD       float64 `json:"energy_sd"`
	EnergyDef      string  `json:"energy_definition"`
	AcceptRate     float64 `json:"accept_rate"`
	StepSizeMean   float64 `json:"step_size_mean"`
	Trajectories   int64   `json:"trajectories"`
	Gradients      int64   `json:"gradient_evaluations"`
	Seconds        float64 `json:"seconds"`
	PairDistLo     float64 `json:"pair_hist_lo"`
	PairDistHi     float64 `json:"pair_hist_hi"`
	PairDistBins   int     `json:"pair_hist_bins"`
	PairDistCentre float64 `json:"pair_dist_mean"`
}

type genLJ13Ref struct {
	Dir        string  `json:"dir"`
	N          int     `json:"n"`
	MeanEnergy float64 `json:"mean_energy"`
	PairDistTV float64 `json:"pair_dist_tv"`
}

func runGenLJ13(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gen-lj13", genLJ13Help, stderr)
	n := fs.Int("n", 10000, "number of configurations (the reference files hold 10000 each)")
	seed := fs.Uint64("seed", 1, "master seed; chain c uses a stream derived from (seed, c)")
	out := fs.String("out", "", "output .npy file (required); the config goes to FILE.json")
	chains := fs.Int("chains", dataset.DefaultChains, "independent HMC chains (sample i comes from chain i mod chains)")
	burnin := fs.Int("burnin", dataset.DefaultBurnIn, "HMC trajectories per chain before the first sample (step size adapted here only)")
	thin := fs.Int("thin", dataset.DefaultThin, "HMC trajectories between kept samples (≈ 1 energy autocorrelation time at 20)")
	leapfrog := fs.Int("leapfrog", dataset.DefaultLeapfrog, "leapfrog steps per HMC trajectory")
	step := fs.Float64("step", dataset.DefaultStepSize, "initial leapfrog step size (adapted during burn-in)")
	threads := fs.Int("threads", 0, "worker goroutines (0: GOMAXPROCS); does not change the output")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *out == "":
		return usageError("-out FILE.npy is required")
	case *n <= 0:
		return usageError("-n %d: the number of configurations must be ≥ 1", *n)
	case *n > 1<<26:
		return usageError("-n %d: at most %d configurations per file", *n, 1<<26)
	case *chains < 1:
		return usageError("-chains %d: must be ≥ 1", *chains)
	case *burnin < 0:
		return usageError("-burnin %d: must be ≥ 0", *burnin)
	case *thin < 1:
		return usageError("-thin %d: must be ≥ 1", *thin)
	case *leapfrog < 1:
		return usageError("-leapfrog %d: must be ≥ 1", *leapfrog)
	case !(*step > 0) || math.IsInf(*step, 0):
		return usageError("-step %v: must be a finite number > 0", *step)
	case *threads < 0:
		return usageError("-threads %d: must be ≥ 0 (0: GOMAXPROCS)", *threads)
	}
	if err := checkWritable(*out); err != nil {
		return err
	}
	th := *threads
	if th == 0 {
		th = runtime.GOMAXPROCS(0)
	}
	opt := dataset.GenOptions{Chains: *chains, BurnIn: *burnin, Thin: *thin, Leapfrog: *leapfrog,
		StepSize: *step, Threads: th, Energy: dataset.SamplingLJ13()}

	ctx, stop := withInterrupt(context.Background())
	defer stop()
	// Total trajectories as GenerateContext counts them: burn-in per used
	// chain plus thin per sample.
	total := int64(min(*chains, *n))*int64(*burnin) + int64(*thin)*int64(*n)
	prog := newProgress(stderr, "gen-lj13", total)
	prog.rateUnit = "traj/s"
	opt.Progress = func(done, _ int64) { prog.update(done, math.NaN(), done) }
	t0 := time.Now()
	set, st, err := dataset.GenerateContext(ctx, *n, *seed, opt)
	if err != nil {
		if interrupted(ctx, err) {
			prog.abort()
			return fmt.Errorf("%w; nothing written", errInterrupted)
		}
		return err
	}
	el := time.Since(t0)
	prog.finish(st.Trajectories, math.NaN(), st.Trajectories)

	rep, err := genLJ13Summary(set, st, opt, *n, *seed, *out, el)
	if err != nil {
		return err
	}
	if err := npy.WriteFile(*out, &npy.Array{Shape: []int{set.N, set.Dim}, Data: set.Data}); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	if printed, err := writeSidecar(stdout, *out+".json", rep, *asJSON); err != nil || printed {
		return err
	}
	s := rep.Stats
	fmt.Fprintf(stdout, "wrote %s: %d LJ13 configurations (%d×%d float64), config %s.json\n", *out, set.N, set.N, set.Dim, *out)
	fmt.Fprintf(stdout, "mean energy %.3f (SD %.3f, HIFM-MATH §4.2 E)  acceptance %.3f  step %.4g\n", s.MeanEnergy, s.EnergySD, s.AcceptRate, s.StepSizeMean)
	fmt.Fprintf(stdout, "%d trajectories, %d gradient evaluations in %.1f s on %d threads\n", s.Trajectories, s.Gradients, s.Seconds, th)
	if r := rep.Reference; r != nil {
		fmt.Fprintf(stdout, "reference %s (train split, %d samples): mean energy %.3f, pair-distance TV %.4f\n", r.Dir, r.N, r.MeanEnergy, r.PairDistTV)
	}
	return nil
}

// genLJ13Summary computes the statistics of the generated set and, when the
// reference files are present, compares with them.
func genLJ13Summary(set *dataset.Set, st dataset.GenStats, opt dataset.GenOptions, n int, seed uint64, out string, el time.Duration) (*genLJ13Report, error) {
	e := opt.Energy
	rep := &genLJ13Report{
		Command: "gen-lj13", HifmVersion: hifmBuildVersion(), GoVersion: runtime.Version(), Output: out,
		Settings: genLJ13Settings{N: n, Seed: seed, Chains: opt.Chains, BurnIn: opt.BurnIn, Thin: opt.Thin,
			Leapfrog: opt.Leapfrog, StepSize: opt.StepSize, TargetAccept: dataset.DefaultTargetAccept,
			Sampler: "hmc", Particles: e.Particles, SpatialDim: e.SpatialDim,
			EpsilonLJ: e.Epsilon, Rm: e.Rm, Oscillator: e.Oscillator,
			Target: "exp(-E'), E' = sum over ordered pairs of the LJ term + oscillator (dataset.SamplingLJ13)"},
		Threads: opt.Threads,
	}
	mean, sd, err := dataset.EnergyStats(set, energyFor(set))
	if err != nil {
		return nil, err
	}
	h, err := dataset.PairDistanceHistogram(set, dataset.PairHistLo, dataset.PairHistHi, dataset.PairHistBins)
	if err != nil {
		return nil, err
	}
	var stepMean, centre float64
	for _, x := range st.StepSizes {
		stepMean += x / float64(len(st.StepSizes))
	}
	for k, p := range h.P {
		centre += p * h.Centre(k)
	}
	rep.Stats = genLJ13Stats{MeanEnergy: mean, EnergySD: sd, EnergyDef: "HIFM-MATH §4.2 E (unique pairs)",
		AcceptRate: st.AcceptRate, StepSizeMean: stepMean, Trajectories: st.Trajectories, Gradients: st.Gradients,
		Seconds: el.Seconds(), PairDistLo: h.Lo, PairDistHi: h.Hi, PairDistBins: len(h.P), PairDistCentre: centre}
	if dir, err := dataset.DefaultLJ13Dir(); err == nil {
		if ref, err := dataset.LoadLJ13(filepath.Join(dir, dataset.LJ13TrainFile)); err == nil && ref.Dim == set.Dim {
			rm, _ := dataset.MeanEnergy(ref)
			rh, err1 := dataset.PairDistanceHistogram(ref, h.Lo, h.Hi, len(h.P))
			if err1 == nil {
				tv, _ := dataset.TotalVariation(h, rh)
				rep.Reference = &genLJ13Ref{Dir: dir, N: ref.N, MeanEnergy: rm, PairDistTV: tv}
			}
		}
	}
	return rep, nil
}

// energyFor returns the HIFM-MATH §4.2 energy (statistics use §4.2's E,
// not the sampled E′) for the particle layout of s.
func energyFor(s *dataset.Set) *energy.LJ13 {
	e := energy.NewLJ13()
	e.Particles, e.SpatialDim = s.Particles, s.SpatialDim
	return e
}

// hifmBuildVersion identifies the hifm build for config files: the module
// version and, for builds from a git checkout, the VCS revision (+dirty).
func hifmBuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, mod string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				mod = "+dirty"
			}
		}
	}
	if rev != "" {
		v += " " + rev[:min(12, len(rev))] + mod
	}
	return v
}
