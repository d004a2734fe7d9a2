package repro

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/experiments"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// TestMark: Table 2's options print as in the paper; the first row of
// Table 2 is Form. ✗✓✗, OT has none of the options.
func TestMark(t *testing.T) {
	t2, _ := experiments.Rows(experiments.Table2)
	got := []string{Mark(t2[0].Projection) + Mark(t2[0].Hyperbolize) + Mark(t2[0].Isotropic), Mark(t2[5].Projection), shortLabel(t2[0]), shortLabel(t2[5])}
	if diff := cmp.Diff([]string{"✗✓✗", "–", "Form. ✗✓✗", "OT"}, got); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
}

// TestShardRows: every row of a table is in exactly one of n shards, row k
// (paper's order) in shard k mod n + 1, whatever the selection.
func TestShardRows(t *testing.T) {
	all, _ := experiments.Rows(experiments.Table2)
	for n := 1; n <= 11; n++ {
		seen := map[string]int{}
		for i := 1; i <= n; i++ {
			rs, err := ShardRows(experiments.Table2, all, Shard{i, n})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				seen[r.ID]++
				if k := slices.IndexFunc(all, func(x experiments.Row) bool { return x.ID == r.ID }); k%n != i-1 {
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
	sel := []experiments.Row{all[5], all[0]} // any order in, table order out
	if rs, _ := ShardRows(experiments.Table2, sel, Shard{1, 1}); len(rs) != 2 || rs[0].ID != all[0].ID || rs[1].ID != all[5].ID {
		t.Errorf("selection: %v", rs)
	}
	for _, s := range []Shard{{0, 3}, {4, 3}, {1, 0}} {
		if _, err := ShardRows(experiments.Table2, all, s); err == nil {
			t.Errorf("shard %s accepted", s)
		}
	}
}

// TestSavedResultRoundTrip: a row's numbers survive rows/ID.json bit for
// bit, NaN and ±Inf included.
func TestSavedResultRoundTrip(t *testing.T) {
	all, _ := experiments.Rows(experiments.Table2)
	cfg, err := experiments.Config(experiments.Table2, all[0], experiments.Budget{Steps: 1, Batch: 1, Chunk: 1}, experiments.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := &experiments.Result{Row: all[0], Config: cfg, NLL: 0.1 + 0.2, SE: math.NaN(), BgflowNLL: math.Inf(-1), NFE: math.Inf(1),
		LogNormalizer: 33.08, TestN: 3, TestNLL: []float64{0.1, math.NaN(), -3e300}, Loss: 1e-300, Steps: 7, SampleNFE: 5e-324, TrainSec: 1.5, Error: "x",
		Curve: []experiments.Point{{Step: 1, Epoch: 0.5, Loss: 2, NLL: math.NaN(), BgflowNLL: -1, NFE: 3}}}
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
	if diff := cmp.Diff(r, got, bits, cmpopts.IgnoreUnexported(experiments.Row{})); diff != "" {
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
	res := map[string]*experiments.Result{
		"ot":            {TestNLL: ot, TestN: len(ot)},
		"form-p0-h1-i0": {TestNLL: form, TestN: len(form)},
		"int":           {TestNLL: ot[:4], TestN: 4},                        // other points: no comparison
		"form-p1-h1-i0": {TestNLL: form, TestN: len(form), Error: "failed"}, // failed row: none either
	}
	rep, err := NewReport(experiments.Table2, experiments.Budget{}, res, nil)
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
	if m := Median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median = %v, want 2.5", m)
	}
}
