package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/energy"
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
	got := []string{Mark(t2[0].Projection) + Mark(t2[0].Hyperbolize) + Mark(t2[0].Isotropic), t2[3].Method, t2[5].Method, Mark(t2[5].Projection)}
	if diff := cmp.Diff([]string{"✗✓✗", "Int.", "OT", "–"}, got); diff != "" {
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

// TestShardRows: every row of a table is in exactly one of n shards, row k
// (paper's order) in shard k mod n + 1, whatever the selection.
func TestShardRows(t *testing.T) {
	all, _ := Rows(Table2)
	for n := 1; n <= 11; n++ {
		seen := map[string]int{}
		for i := 1; i <= n; i++ {
			rs, err := ShardRows(Table2, all, Shard{i, n})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				seen[r.ID]++
				if k := slices.IndexFunc(all, func(x Row) bool { return x.ID == r.ID }); k%n != i-1 {
					t.Errorf("n=%d: row %d (%s) in shard %d", n, k, r.ID, i)
				}
			}
		}
		for _, r := range all {
			if seen[r.ID] != 1 {
				t.Errorf("n=%d: row %s in %d shards", n, r.ID, seen[r.ID])
			}
		}
	}
	sel := []Row{all[5], all[0]} // any order in, table order out
	if rs, _ := ShardRows(Table2, sel, Shard{1, 1}); len(rs) != 2 || rs[0].ID != all[0].ID || rs[1].ID != all[5].ID {
		t.Errorf("selection: %v", rs)
	}
	for _, s := range []Shard{{0, 3}, {4, 3}, {1, 0}} {
		if _, err := ShardRows(Table2, all, s); err == nil {
			t.Errorf("shard %s accepted", s)
		}
	}
}

// TestSavedResultRoundTrip: a row's numbers survive rows/ID.json bit for
// bit, NaN and ±Inf included.
func TestSavedResultRoundTrip(t *testing.T) {
	all, _ := Rows(Table2)
	cfg, err := Config(Table2, all[0], Budget{Steps: 1, Batch: 1, Chunk: 1}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := &Result{Row: all[0], Config: cfg, NLL: 0.1 + 0.2, SE: math.NaN(), BgflowNLL: math.Inf(-1), NFE: math.Inf(1),
		LogNormalizer: 33.08, TestN: 3, TestNLL: []float64{0.1, math.NaN(), -3e300}, Loss: 1e-300, Steps: 7, SampleNFE: 5e-324, TrainSec: 1.5, Error: "x",
		Curve: []Point{{Step: 1, Epoch: 0.5, Loss: 2, NLL: math.NaN(), BgflowNLL: -1, NFE: 3}}}
	b, err := json.Marshal(toSaved(r))
	if err != nil {
		t.Fatal(err)
	}
	var s savedResult
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	got := s.result(r.Row, r.Config)
	bits := cmp.Comparer(func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	})
	if diff := cmp.Diff(r, got, bits, cmpopts.IgnoreUnexported(Row{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", diff, b)
	}
}

// TestPairedNLL: NLLMinusOT is the mean and standard error of the
// per-point differences, over the points both rows solved. Two rows that
// differ by a constant 0.25 plus a ±0.01 alternation on four points have
// mean difference 0.25 and SE sqrt(4·0.01²/3)/2 = 0.0057735 (exact
// arithmetic; 1e-12 relative absorbs the rounding of the sums), far below
// the rows' own SE (their points spread over ±10).
func TestPairedNLL(t *testing.T) {
	ot := []float64{-10, 0, 10, 3, 7}
	form := []float64{-10 + 0.26, 0 + 0.24, 10 + 0.26, 3 + 0.24, math.NaN()} // the NaN point is left out
	res := map[string]*Result{
		"ot":            {TestNLL: ot, TestN: len(ot)},
		"form-p0-h1-i0": {TestNLL: form, TestN: len(form)},
		"int":           {TestNLL: ot[:4], TestN: 4},                        // other points: no comparison
		"form-p1-h1-i0": {TestNLL: form, TestN: len(form), Error: "failed"}, // failed row: none either
	}
	rep, err := NewReport(Table2, Budget{}, res, nil)
	if err != nil {
		t.Fatal(err)
	}
	type pair struct{ D, SE *float64 }
	f := func(x float64) *float64 { return &x }
	want := map[string]pair{
		"ot":            {f(0), f(0)},
		"form-p0-h1-i0": {f(0.25), f(math.Sqrt(4 * 0.01 * 0.01 / 3 / 4))},
		"int":           {},
		"form-p1-h1-i0": {},
	}
	got := map[string]pair{}
	for _, r := range rep.Rows {
		if _, ok := want[r.ID]; ok {
			got[r.ID] = pair{r.NLLMinusOT, r.NLLMinusOTSE}
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(1e-12, 1e-15)); diff != "" {
		t.Errorf("paired differences (-want +got):\n%s", diff)
	}
	if _, _, ok := pairedDiff([]float64{1}, []float64{2}); ok {
		t.Error("one point gave a standard error")
	}
}

// TestLJ13Stats: one energy per configuration (the LJ13 energy's own
// value) and its 78 pair distances, the first of them |x_0 − x_1|.
func TestLJ13Stats(t *testing.T) {
	set := dataset.JitteredClusters(2, 13, 7)
	e := energy.NewLJ13()
	es, ds := lj13Stats(e, set.Data, set.Dim)
	if len(es) != 2 || len(ds) != 2*78 {
		t.Fatalf("%d energies, %d distances; want 2 and 156", len(es), len(ds))
	}
	for i := range 2 {
		if want := e.Value(set.Row(i)); es[i] != want {
			t.Errorf("energy %d = %v, want %v", i, es[i], want)
		}
	}
	y := set.Row(1)
	want := math.Sqrt((y[0]-y[3])*(y[0]-y[3]) + (y[1]-y[4])*(y[1]-y[4]) + (y[2]-y[5])*(y[2]-y[5]))
	if ds[78] != want {
		t.Errorf("first distance of configuration 1 = %v, want %v", ds[78], want)
	}
	if m := median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median = %v, want 2.5", m)
	}
}
