package repro

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/hifm-go/hifm/cmd/internal/plot"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/experiments"
)

// ReportRow is one row of results.json (and of hifm reproduce --json): the
// paper's numbers beside ours. Pointers are null when a number is missing
// (the row did not run, or failed). TrainSeconds and EvalSeconds are the
// only wall-clock fields: two runs of the same row agree on everything else
// bit for bit.
type ReportRow struct {
	ID          string   `json:"id"`
	Method      string   `json:"method"`
	Projection  *bool    `json:"projection"`
	Hyperbolize *bool    `json:"hyperbolize"`
	Isotropic   *bool    `json:"isotropic"`
	Alpha       *float64 `json:"alpha,omitempty"`
	NLL         *float64 `json:"nll"` // null: the row failed or did not run
	NFE         *float64 `json:"nfe"`
	PaperNLL    float64  `json:"paper_nll"`
	PaperNFE    int      `json:"paper_nfe"`
	// Both LJ13 conventions, the standard error and the sampling NFE.
	NLLNormalized *float64 `json:"nll_normalized,omitempty"`
	NLLBgflow     *float64 `json:"nll_bgflow,omitempty"`
	SE            *float64 `json:"se,omitempty"`
	// NLLMinusOT is the mean over the test points of this row's NLL minus
	// the OT row's on the same point, NLLMinusOTSE its standard error: the
	// paired comparison removes the spread between test points that both
	// rows share, so it resolves differences far below SE. Null when either
	// row lacks per-point NLLs on the same points.
	NLLMinusOT   *float64 `json:"nll_minus_ot,omitempty"`
	NLLMinusOTSE *float64 `json:"nll_minus_ot_se,omitempty"`
	TestN        int      `json:"test_n,omitempty"`
	Steps        int64    `json:"steps,omitempty"`
	TrainSeconds float64  `json:"train_seconds,omitempty"` // timing
	EvalSeconds  float64  `json:"eval_seconds,omitempty"`  // timing
	Error        string   `json:"error,omitempty"`
	Ran          bool     `json:"ran"`
	// Table 2: median LJ13 energy (HIFM-MATH §4.2) of the row's generated
	// samples, and the same for the reference test data, beside it.
	SampleEnergyMedian *float64 `json:"sample_energy_median,omitempty"`
	DataEnergyMedian   *float64 `json:"data_energy_median,omitempty"`
}

// Report is results.json: every row of a table in the paper's order.
type Report struct {
	Table      string             `json:"table"`
	Convention string             `json:"convention"`
	PaperNote  string             `json:"paper_convention"`
	Budget     experiments.Budget `json:"budget"`
	Complete   bool               `json:"complete"`
	Rows       []ReportRow        `json:"rows"`
}

// Conventions states the NLL convention of our numbers and of the paper's.
func Conventions(table string) (ours, paper string) {
	if table == experiments.Table1 {
		return "nats per image (normalised) of MNIST pixels x/255 in [0,1], no dequantisation, base N(0,I), Hutchinson divergence (1 probe), rtol=atol=1e-2",
			"as printed in the paper (nats per image; its pixel scaling is not stated)"
	}
	return "nll = normalised NLL in nats of the density on the 36-dim zero-centre-of-mass subspace (DEM's convention, includes 1/2*36*ln(2*pi) = 33.08); nll_bgflow = nll - 33.08 (bgflow's mean-free prior without its constant); exact divergence, rtol=atol=1e-2",
		"as printed in the paper; its convention is not stated: values of ~25 nats fit the normalised convention (an untrained, near-identity flow already scores ~8.8 nats in bgflow's convention)"
}

func finitePtr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// NewReport builds results.json from the results by row ID: every row of
// the table in the paper's order, those without a result marked not run.
// Complete says every row ran. ref are the reference test configurations
// of Table 2 (referenceN of the test set; nil: no energy medians).
func NewReport(table string, b experiments.Budget, res map[string]*experiments.Result, ref *dataset.Set) (Report, error) {
	rows, err := experiments.Rows(table)
	if err != nil {
		return Report{}, err
	}
	dataE := math.NaN()
	if table == experiments.Table2 && ref != nil && ref.N > 0 {
		es, _ := lj13Stats(energy.NewLJ13(), ref.Data, ref.Dim)
		dataE = Median(es)
	}
	ot := res[rowOT]
	ours, paper := Conventions(table)
	rep := Report{Table: table, Convention: ours, PaperNote: paper, Budget: b, Complete: true, Rows: make([]ReportRow, len(rows))}
	for i, r := range rows {
		o := ReportRow{ID: r.ID, Method: r.Method, Projection: r.Projection, Hyperbolize: r.Hyperbolize,
			Isotropic: r.Isotropic, PaperNLL: r.PaperNLL, PaperNFE: r.PaperNFE}
		if r.Alpha > 0 {
			a := r.Alpha
			o.Alpha = &a
		}
		if x := res[r.ID]; x != nil {
			o.Ran = true
			o.NLL, o.NFE, o.SE = finitePtr(x.NLL), finitePtr(x.NFE), finitePtr(x.SE)
			if table == experiments.Table2 {
				o.NLLNormalized, o.NLLBgflow = finitePtr(x.NLL), finitePtr(x.BgflowNLL)
			}
			o.TestN, o.Steps, o.Error = x.TestN, x.Steps, x.Error
			if ot != nil && x.Error == "" && ot.Error == "" {
				if d, se, ok := pairedDiff(x.TestNLL, ot.TestNLL); ok {
					o.NLLMinusOT, o.NLLMinusOTSE = finitePtr(d), finitePtr(se)
				}
			}
			o.TrainSeconds, o.EvalSeconds = round3(x.TrainSec), round3(x.EvalSec)
			if table == experiments.Table2 && len(x.Samples) > 0 && !math.IsNaN(dataE) {
				es, _ := lj13Stats(energy.NewLJ13(), x.Samples, ref.Dim)
				o.SampleEnergyMedian, o.DataEnergyMedian = finitePtr(round3(Median(es))), finitePtr(round3(dataE))
			}
		} else {
			rep.Complete = false
		}
		rep.Rows[i] = o
	}
	return rep, nil
}

// rowOT is the ID of both tables' OT row, the reference of NLLMinusOT.
const rowOT = "ot"

// pairedDiff returns the mean of a[i] − b[i] over the points where both
// are finite and its standard error (sample standard deviation / √n); ok is
// false when the slices differ in length or fewer than two points remain.
func pairedDiff(a, b []float64) (mean, se float64, ok bool) {
	if len(a) != len(b) {
		return 0, 0, false
	}
	d := make([]float64, 0, len(a))
	for i := range a {
		if x := a[i] - b[i]; !math.IsNaN(x) && !math.IsInf(x, 0) {
			d = append(d, x)
		}
	}
	if len(d) < 2 {
		return 0, 0, false
	}
	for _, x := range d {
		mean += x
	}
	mean /= float64(len(d))
	var ss float64
	for _, x := range d {
		ss += (x - mean) * (x - mean)
	}
	n := float64(len(d))
	return mean, math.Sqrt(ss / (n - 1) / n), true
}

// WriteCSV writes the report's rows as results.csv.
func (rep Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	opt := func(b *bool) string {
		if b == nil {
			return ""
		}
		return strconv.FormatBool(*b)
	}
	num := func(x *float64) string {
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'g', 8, 64)
	}
	_ = cw.Write([]string{"id", "method", "projection", "hyperbolize", "isotropic", "alpha", "nll", "nll_bgflow", "se", "nfe",
		"nll_minus_ot", "nll_minus_ot_se", "paper_nll", "paper_nfe", "test_n", "steps", "train_seconds", "eval_seconds", "error"})
	for _, r := range rep.Rows {
		_ = cw.Write([]string{r.ID, r.Method, opt(r.Projection), opt(r.Hyperbolize), opt(r.Isotropic), num(r.Alpha),
			num(r.NLL), num(r.NLLBgflow), num(r.SE), num(r.NFE), num(r.NLLMinusOT), num(r.NLLMinusOTSE), strconv.FormatFloat(r.PaperNLL, 'g', -1, 64),
			strconv.Itoa(r.PaperNFE), strconv.Itoa(r.TestN), strconv.FormatInt(r.Steps, 10),
			strconv.FormatFloat(r.TrainSeconds, 'g', -1, 64), strconv.FormatFloat(r.EvalSeconds, 'g', -1, 64), r.Error})
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(path string, v any) error {
	return plot.WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// Mark renders a Table 2 option (Row.Projection, Hyperbolize, Isotropic)
// as the paper prints it: ✓, ✗, or – when the row has no such option.
func Mark(b *bool) string {
	switch {
	case b == nil:
		return "–"
	case *b:
		return "✓"
	default:
		return "✗"
	}
}

// shortLabel is a compact row name for legends: "Form. ✗✓✓", "OT".
func shortLabel(r experiments.Row) string {
	if r.Projection != nil {
		return r.Method + " " + Mark(r.Projection) + Mark(r.Hyperbolize) + Mark(r.Isotropic)
	}
	return r.Label()
}

// referenceN is the number of test configurations (the first ones) the
// LJ13 histograms draw as the reference: at least 1000, at least SampleN.
func referenceN(b experiments.Budget, testN int) int { return min(testN, max(b.SampleN, 1000)) }

// Reference returns the reference configurations of Table 2's histograms
// and energy medians: the first referenceN of the test set (nil for
// Table 1 or without a test set).
func Reference(table string, b experiments.Budget, test *dataset.Set) *dataset.Set {
	if table != experiments.Table2 || test == nil {
		return nil
	}
	n := referenceN(b, test.N)
	return &dataset.Set{N: n, Dim: test.Dim, Particles: test.Particles, SpatialDim: test.SpatialDim, Data: test.Data[:n*test.Dim]}
}

// writeFigures draws the progress plots (Fig. 3 / Fig. 4) and the sample
// pictures of the results done (in the order given) into dir and returns
// the file names written. ref holds the LJ13 reference configurations of
// the histograms (Table 2; referenceN of the test set), rows of ref.Dim.
func writeFigures(dir, table string, done []*experiments.Result, ref *dataset.Set, b experiments.Budget) ([]string, error) {
	var names []string
	add := func(name string) string {
		names = append(names, name)
		return filepath.Join(dir, name)
	}
	nll := plot.Figure{XLabel: "epoch", YLabel: "test NLL (nats)"}
	nfe := plot.Figure{XLabel: "epoch", YLabel: "NFE", Title: "Fig. 3 (ours): NFE of the test likelihood solves against training"}
	if table == experiments.Table1 {
		nll.Title = "Fig. 3 (ours): MNIST test NLL against training"
	} else {
		nll.Title = "Fig. 4 (ours): LJ13 test NLL (normalised) against training"
	}
	for _, r := range done {
		var s, t plot.Series
		s.Name, t.Name = shortLabel(r.Row), shortLabel(r.Row)
		for _, p := range r.Curve {
			s.X, s.Y = append(s.X, p.Epoch), append(s.Y, p.NLL)
			t.X, t.Y = append(t.X, p.Epoch), append(t.Y, p.NFE)
		}
		nll.Series, nfe.Series = append(nll.Series, s), append(nfe.Series, t)
	}
	if table == experiments.Table1 {
		if err := plot.WriteFile(add("fig3_nll.svg"), nll.SVG); err != nil {
			return names, err
		}
		if err := plot.WriteFile(add("fig3_nfe.svg"), nfe.SVG); err != nil {
			return names, err
		}
		for _, r := range done {
			if err := writeDigits(add, r); err != nil {
				return names, err
			}
		}
		return names, nil
	}
	if err := plot.WriteFile(add("fig4_nll.svg"), nll.SVG); err != nil {
		return names, err
	}
	if err := plot.WriteFile(add("fig4_nfe.svg"), nfe.SVG); err != nil {
		return names, err
	}
	chosen := histogramRows(done)
	if len(chosen) == 0 || ref == nil || ref.N == 0 {
		return names, nil
	}
	ef, df := lj13Histograms(chosen, ref, b.SampleN)
	if err := plot.WriteFile(add("energy_hist.svg"), ef.SVG); err != nil {
		return names, err
	}
	return names, plot.WriteFile(add("distance_hist.svg"), df.SVG)
}

// writeDigits draws a row's MNIST samples as a grid of 28×28 images.
func writeDigits(add func(string) string, r *experiments.Result) error {
	if len(r.Samples) == 0 {
		return nil
	}
	n := r.Config.Net.Dim
	if n == 0 {
		n = 784
	}
	imgs := make([][]float64, len(r.Samples)/n)
	for i := range imgs {
		im := make([]float64, n)
		for j, v := range r.Samples[i*n : (i+1)*n] {
			im[j] = min(1, max(0, v))
		}
		imgs[i] = im
	}
	perRow := int(math.Ceil(math.Sqrt(float64(len(imgs)))))
	return plot.WriteFile(add("samples_"+r.Row.ID+".png"), func(w io.Writer) error {
		return plot.Grid(w, imgs, 28, 28, perRow)
	})
}

// histogramRows picks the rows pictured in the LJ13 histograms: the best
// Form. row (lowest NLL, the first on ties), Int. and OT.
func histogramRows(done []*experiments.Result) []*experiments.Result {
	pick := map[string]*experiments.Result{}
	var best *experiments.Result
	for _, r := range done {
		if r.Error != "" || len(r.Samples) == 0 {
			continue
		}
		switch r.Row.Method {
		case "Form.":
			if best == nil || r.NLL < best.NLL {
				best = r
			}
		default:
			pick[r.Row.ID] = r
		}
	}
	var chosen []*experiments.Result
	if best != nil {
		chosen = append(chosen, best)
	}
	for _, id := range []string{"int", "ot"} {
		if r := pick[id]; r != nil {
			chosen = append(chosen, r)
		}
	}
	return chosen
}

// lj13Histograms returns the energy and pair-distance histogram figures
// of the rows' samples against the reference configurations ref.
func lj13Histograms(rows []*experiments.Result, ref *dataset.Set, sampleN int) (ef, df plot.Figure) {
	e := energy.NewLJ13()
	refE, refD := lj13Stats(e, ref.Data, ref.Dim)
	lo, hi := energyRange(refE)
	ef = plot.Figure{Title: "LJ13 energy, samples vs test data", XLabel: fmt.Sprintf("energy E (HIFM-MATH §4.2); (n off): samples of %d off the axis", sampleN), YLabel: "density",
		Series: []plot.Series{plot.Histogram(fmt.Sprintf("test data (%d)", ref.N), refE, lo, hi, 50)}}
	df = plot.Figure{Title: "LJ13 pair distances, samples vs test data", XLabel: "distance (Form. marks: Proj. Hyp. Iso.)", YLabel: "density",
		Series: []plot.Series{plot.Histogram(fmt.Sprintf("test data (%d)", ref.N), refD, dataset.PairHistLo, dataset.PairHistHi, dataset.PairHistBins)}}
	for _, r := range rows {
		es, ds := lj13Stats(e, r.Samples, ref.Dim)
		out := 0
		for _, v := range es {
			if !(v >= lo && v < hi) {
				out++
			}
		}
		name := shortLabel(r.Row)
		ef.Series = append(ef.Series, plot.Histogram(fmt.Sprintf("%s (%d off)", name, out), es, lo, hi, 50))
		df.Series = append(df.Series, plot.Histogram(name, ds, dataset.PairHistLo, dataset.PairHistHi, dataset.PairHistBins))
	}
	return ef, df
}

// lj13Stats returns the LJ13 energies (HIFM-MATH §4.2) and all pair
// distances of the configurations in xs (rows of length dim).
func lj13Stats(e *energy.LJ13, xs []float64, dim int) (es, ds []float64) {
	p := dim / 3
	for k := 0; k+dim <= len(xs); k += dim {
		y := xs[k : k+dim]
		es = append(es, e.Value(y))
		for i := range p {
			for j := i + 1; j < p; j++ {
				dx, dy, dz := y[3*i]-y[3*j], y[3*i+1]-y[3*j+1], y[3*i+2]-y[3*j+2]
				ds = append(ds, math.Sqrt(dx*dx+dy*dy+dz*dz))
			}
		}
	}
	return es, ds
}

// Median returns the median of xs (NaN when empty); xs is not modified.
// hifm bench eig reports its timings with it too.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	w := slices.Clone(xs)
	slices.Sort(w)
	if n := len(w); n%2 == 0 {
		return (w[n/2-1] + w[n/2]) / 2
	}
	return w[len(w)/2]
}

// energyRange is the energy histogram's range: the data's range widened by
// half its width below and its full width above (generated samples have
// higher energies, from close contacts, when the flow is undertrained).
func energyRange(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range xs {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if !(hi > lo) {
		return lo - 1, lo + 1
	}
	w := hi - lo
	return lo - w/2, hi + w
}
