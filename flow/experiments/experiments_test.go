package experiments

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// TestRows checks the tables against the paper (§4.4): row counts, unique
// ids, rows in the paper's order (ascending NLL) and the printed numbers of
// a few rows.
func TestRows(t *testing.T) {
	for _, tc := range []struct {
		table string
		n     int
	}{{Table1, 7}, {Table2, 10}} {
		rs, err := Rows(tc.table)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != tc.n {
			t.Fatalf("%s: %d rows, want %d", tc.table, len(rs), tc.n)
		}
		seen := map[string]bool{}
		for i, r := range rs {
			if seen[r.ID] {
				t.Errorf("%s: duplicate id %q", tc.table, r.ID)
			}
			seen[r.ID] = true
			if i > 0 && r.PaperNLL < rs[i-1].PaperNLL {
				t.Errorf("%s: row %d (%s) out of the paper's order", tc.table, i, r.Label())
			}
		}
	}
	t2, _ := Rows(Table2)
	// The first row is Form. ✗✓✗ (Projection, Hyperbolize, Isotropic); OT
	// has none of the options (nil, printed "–").
	got := []any{*t2[0].Projection, *t2[0].Hyperbolize, *t2[0].Isotropic, t2[3].Method, t2[5].Method, t2[5].Projection == nil}
	if diff := cmp.Diff([]any{false, true, false, "Int.", "OT", true}, got); diff != "" {
		t.Errorf("Table 2 rows (-want +got):\n%s", diff)
	}
	if t2[9].PaperNLL != 27.134 || t2[3].PaperNFE != 32 {
		t.Errorf("Table 2 paper numbers: %+v, %+v", t2[9], t2[3])
	}
	t1, _ := Rows(Table1)
	if t1[5].Label() != "Data α=1.5" || t1[5].PaperNLL != -1862.86 || t1[5].PaperNFE != 254 {
		t.Errorf("Table 1 row 6: %s %v %d", t1[5].Label(), t1[5].PaperNLL, t1[5].PaperNFE)
	}
	if _, err := Rows("table3"); !errors.Is(err, ErrOption) {
		t.Errorf("Rows(table3) error %v, want ErrOption", err)
	}
}

// TestConfig checks that every row of every budget gives a valid training
// config that carries the row's options.
func TestConfig(t *testing.T) {
	o := DefaultOptions()
	o.Condition = 7
	for _, table := range []string{Table1, Table2} {
		rs, _ := Rows(table)
		for _, bn := range []string{BudgetSmoke, BudgetSmall, BudgetPaper} {
			b, err := Budgets(table, bn)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				c, err := Config(table, r, b, o)
				if err != nil {
					t.Fatalf("%s/%s %s: %v", table, bn, r.Label(), err)
				}
				if c.Steps != b.Steps || c.Batch != b.Batch {
					t.Errorf("%s/%s %s: steps %d batch %d", table, bn, r.Label(), c.Steps, c.Batch)
				}
				if (r.ID == "ot") != (c.Flow.Kind == flow.PathOT) {
					t.Errorf("%s %s: path %s", table, r.ID, c.Flow.Kind)
				}
				if r.Method == "Form." {
					want := [4]any{*r.Projection, *r.Hyperbolize, *r.Isotropic, 7.0}
					got := [4]any{c.Flow.Project, c.Flow.Hyperbolize, c.Flow.Stationary == flow.StationaryIsotropic, c.Flow.Condition}
					if want != got || c.Hessian != train.HessianFormation {
						t.Errorf("%s: config %v (hessian %s), want %v", r.ID, got, c.Hessian, want)
					}
				}
				if r.Alpha > 0 && c.Flow.Alpha != r.Alpha {
					t.Errorf("%s: α = %v", r.ID, c.Flow.Alpha)
				}
			}
		}
	}
	if _, err := Budgets(Table2, "huge"); !errors.Is(err, ErrOption) {
		t.Errorf("unknown budget: %v", err)
	}
	bad := DefaultOptions()
	bad.Condition = 0.5
	if err := bad.Validate(); !errors.Is(err, ErrOption) {
		t.Errorf("K = 0.5: %v", err)
	}
}

// TestRunDeterministic runs two rows of Table 2 at the smoke budget on a
// small generated LJ13 set with 1 and 2 threads: every number is finite,
// the progress curve has its points, the samples their size, and the
// results are bit-identical across thread counts (train and NLL promise
// it; compared exactly, tolerance 0).
func TestRunDeterministic(t *testing.T) {
	set, err := dataset.Generate(40, 3, dataset.GenOptions{Chains: 4, BurnIn: 30, Thin: 2})
	if err != nil {
		t.Fatal(err)
	}
	trainSet, _ := set.Subset(32)
	test := &dataset.Set{N: 8, Dim: set.Dim, Data: set.Data[32*set.Dim:], Particles: 13, SpatialDim: 3}
	b, _ := Budgets(Table2, BudgetSmoke)
	b.EMA = 0.5 // evaluate the parameter EMA (a copy of the network)
	all, _ := Rows(Table2)
	rows := []Row{all[0], all[5]} // Form. ✗✓✗ and OT
	var runs [2][]Result
	for k, threads := range []int{1, 2} {
		o := DefaultOptions()
		o.Threads = threads
		n := 0
		res, err := Run(context.Background(), Table2, Data{Train: trainSet, Test: test},
			RunOptions{Options: o, Budget: b, Rows: rows}, func(Result) error { n++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if n != len(rows) || len(res) != len(rows) {
			t.Fatalf("%d callbacks, %d results for %d rows", n, len(res), len(rows))
		}
		for _, r := range res {
			if r.Error != "" || math.IsNaN(r.NLL) || math.IsInf(r.NLL, 0) || r.NFE <= 0 {
				t.Errorf("%s: NLL %v NFE %v error %q", r.Row.ID, r.NLL, r.NFE, r.Error)
			}
			// LJ13: bgflow's convention drops ½·36·ln 2π (HIFM-MATH §6).
			if d := r.NLL - r.BgflowNLL - 18*math.Log(2*math.Pi); math.Abs(d) > 1e-9 {
				t.Errorf("%s: normalised − bgflow − 33.08 = %v", r.Row.ID, d)
			}
			if len(r.Curve) != b.EvalPoints || r.Curve[len(r.Curve)-1].Step != b.Steps {
				t.Errorf("%s: curve %+v", r.Row.ID, r.Curve)
			}
			if len(r.Samples) != b.SampleN*39 || r.TestN != b.TestN {
				t.Errorf("%s: %d sample values, test_n %d", r.Row.ID, len(r.Samples), r.TestN)
			}
		}
		runs[k] = res
	}
	for i := range rows {
		a, c := runs[0][i], runs[1][i]
		if a.NLL != c.NLL || a.NFE != c.NFE || a.Loss != c.Loss || !cmp.Equal(a.Samples, c.Samples) {
			t.Errorf("%s: 1 thread NLL %v NFE %v loss %v, 2 threads %v %v %v", rows[i].ID, a.NLL, a.NFE, a.Loss, c.NLL, c.NFE, c.Loss)
		}
	}
}

// TestRunCancel: a cancelled context stops the run with ctx.Err().
func TestRunCancel(t *testing.T) {
	set, err := dataset.Generate(20, 4, dataset.GenOptions{Chains: 2, BurnIn: 10, Thin: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, _ := Budgets(Table2, BudgetSmoke)
	res, err := Run(ctx, Table2, Data{Train: set, Test: set}, RunOptions{Options: DefaultOptions(), Budget: b}, nil)
	if !errors.Is(err, context.Canceled) || len(res) != 0 {
		t.Errorf("cancelled run: %d results, error %v", len(res), err)
	}
}

// TestNullSpaceOption: Options.NullSpace reaches the Form. rows' path
// configs and nothing else; an unknown reading is an error.
func TestNullSpaceOption(t *testing.T) {
	b, err := Budgets(Table2, BudgetSmoke)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.NullSpace = flow.NullSpaceConjugate
	rows, _ := Rows(Table2)
	for _, r := range rows {
		c, err := Config(Table2, r, b, o)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		want := flow.NullSpaceInvariant
		if r.Method == "Form." {
			want = flow.NullSpaceConjugate
		}
		if c.Flow.NullSpace != want {
			t.Errorf("%s: null space %q, want %q", r.ID, c.Flow.NullSpace, want)
		}
	}
	o.NullSpace = "orbit"
	if _, err := Config(Table2, rows[0], b, o); !errors.Is(err, ErrOption) {
		t.Errorf("null space %q: err = %v, want ErrOption", o.NullSpace, err)
	}
}
