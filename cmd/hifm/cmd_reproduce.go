package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hifm-go/hifm/cmd/hifm/internal/plot"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/experiments"
	"github.com/hifm-go/hifm/flow/train"
)

const reproduceHelp = `
Reproduce Table 1 (MNIST, UNet) or Table 2 (LJ13, EGNN) of the HI-FM paper
(§4.4): train every row, evaluate the test NLL and NFE at rtol = atol = 1e-2
(HIFM-MATH §6), and print our table beside the paper's, in the paper's row
order. Into -out it writes results.csv, results.json, config.json (budget,
options and the training config of every row), the NLL-vs-progress plot
(Fig. 3 / Fig. 4) and pictures of generated samples: LJ13 energy and
interatomic-distance histograms against the test data, MNIST digit grids.
Results are written after every row, so an interrupted run (Ctrl-C) keeps
the rows it finished.

Budgets: smoke (seconds: only shows that every stage runs), small (< 45 min
per table on 2 cores), paper (the paper's settings, many hours).

Table 2 NLL convention: "nll" is the normalised NLL of the density on the
36-dim zero-centre-of-mass subspace (DEM's convention, ½·36·ln 2π ≈ 33.08
nats included); bgflow's convention (without that constant) is printed
beside it. Table 1: nats per image of x/255 ∈ [0, 1], no dequantisation,
Hutchinson divergence.

examples:
  hifm reproduce table2 -budget smoke
  hifm reproduce table2 -budget small -out out/table2 -threads 2
  hifm reproduce table1 -budget small --json > table1.json
  hifm reproduce table2 -rows ot,form-p0-h1-i0 -condition 100
`

func init() {
	register(&command{name: "reproduce", summary: "reproduce the paper's Table 1 (MNIST) or Table 2 (LJ13) with figures", run: runReproduce})
}

// reproRow is one row of the --json output and of results.json.
type reproRow struct {
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
	TestN         int      `json:"test_n,omitempty"`
	Steps         int64    `json:"steps,omitempty"`
	TrainSeconds  float64  `json:"train_seconds,omitempty"`
	EvalSeconds   float64  `json:"eval_seconds,omitempty"`
	Error         string   `json:"error,omitempty"`
	Ran           bool     `json:"ran"`
	// Table 2: median LJ13 energy (HIFM-MATH §4.2) of the row's generated
	// samples, and the same for the test data, beside it for comparison.
	SampleEnergyMedian *float64 `json:"sample_energy_median,omitempty"`
	DataEnergyMedian   *float64 `json:"data_energy_median,omitempty"`
}

type reproDoc struct {
	Table      string             `json:"table"`
	Convention string             `json:"convention"`
	PaperNote  string             `json:"paper_convention"`
	Budget     experiments.Budget `json:"budget"`
	Complete   bool               `json:"complete"`
	Rows       []reproRow         `json:"rows"`
}

type reproConfig struct {
	ProducedBy string              `json:"produced_by"`
	Command    []string            `json:"command"`
	Table      string              `json:"table"`
	Budget     experiments.Budget  `json:"budget"`
	Options    experiments.Options `json:"options"`
	Data       string              `json:"data"`
	// DataFiles are the data files read, with their sha256 (LJ13 splits).
	DataFiles []reproFile `json:"data_files,omitempty"`
	// Revision is the git revision the binary was built from ("unknown"
	// without build info), Modified whether its tree had local changes.
	Revision    string                  `json:"revision"`
	Modified    bool                    `json:"modified"`
	Threads     int                     `json:"threads"`
	WallSeconds float64                 `json:"wall_seconds"`
	Rows        map[string]train.Config `json:"rows"`
	Outputs     []string                `json:"outputs"`
}

type reproFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// buildRevision returns the VCS revision the Go tool embedded in the binary.
func buildRevision() (rev string, modified bool) {
	rev = "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	return rev, modified
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func reproConvention(table string) (ours, paper string) {
	if table == experiments.Table1 {
		return "nats per image (normalised) of MNIST pixels x/255 in [0,1], no dequantisation, base N(0,I), Hutchinson divergence (1 probe), rtol=atol=1e-2",
			"as printed in the paper (nats per image; its pixel scaling is not stated)"
	}
	return "nll = normalised NLL in nats of the density on the 36-dim zero-centre-of-mass subspace (DEM's convention, includes 1/2*36*ln(2*pi) = 33.08); nll_bgflow = nll - 33.08 (bgflow's mean-free prior without its constant); exact divergence, rtol=atol=1e-2",
		"as printed in the paper; its convention is not stated: values of ~25 nats fit the normalised convention (an untrained, near-identity flow already scores ~8.8 nats in bgflow's convention)"
}

func ptr[T any](v T) *T { return &v }

func reproFinite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func reproRows(table string, rows []experiments.Row, res map[string]*experiments.Result, dataEnergy float64) []reproRow {
	out := make([]reproRow, len(rows))
	for i, r := range rows {
		o := reproRow{ID: r.ID, Method: r.Method, Projection: r.Projection, Hyperbolize: r.Hyperbolize,
			Isotropic: r.Isotropic, PaperNLL: r.PaperNLL, PaperNFE: r.PaperNFE}
		if r.Alpha > 0 {
			o.Alpha = ptr(r.Alpha)
		}
		if x := res[r.ID]; x != nil {
			o.Ran = true
			o.NLL, o.NFE, o.SE = reproFinite(x.NLL), reproFinite(x.NFE), reproFinite(x.SE)
			if table == experiments.Table2 {
				o.NLLNormalized, o.NLLBgflow = reproFinite(x.NLL), reproFinite(x.BgflowNLL)
			}
			o.TestN, o.Steps, o.Error = x.TestN, x.Steps, x.Error
			o.TrainSeconds, o.EvalSeconds = round3(x.TrainSec), round3(x.EvalSec)
			if table == experiments.Table2 && len(x.Samples) > 0 && !math.IsNaN(dataEnergy) {
				es, _ := reproLJStats(energy.NewLJ13(), x.Samples, reproLJDim)
				o.SampleEnergyMedian, o.DataEnergyMedian = reproFinite(round3(median(es))), reproFinite(round3(dataEnergy))
			}
		}
		out[i] = o
	}
	return out
}

// reproComplete reports whether every row of the table ran.
func reproComplete(rows []experiments.Row, res map[string]*experiments.Result) bool {
	for _, r := range rows {
		if res[r.ID] == nil {
			return false
		}
	}
	return true
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func runReproduce(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reproduce table1|table2", reproduceHelp, stderr)
	budgetName := fs.String("budget", experiments.BudgetSmall, "compute budget: smoke, small or paper")
	out := fs.String("out", "", "output directory (default ./out/<table>)")
	threads := fs.Int("threads", 0, "worker goroutines (0: GOMAXPROCS); results do not depend on it")
	asJSON := fs.Bool("json", false, "print the table as JSON on stdout instead of text")
	def := experiments.DefaultOptions()
	cond := fs.Float64("condition", def.Condition, "condition number K enforced on the Form. rows' Hessians (Table 2; the paper's value is lost)")
	sigma := fs.Float64("sigma", def.Sigma, "stationary σ of the HI-FM paths (final covariance σ²I)")
	seed := fs.Uint64("seed", def.Seed, "seed of the networks, training draws and NLL probes")
	nullSpace := fs.String("null-space", string(def.NullSpace), "Table 2: reading of the kept null space in the Form. rows without Hyperbolize: invariant, conjugate or projected (docs/MATH.md §4)")
	rowsFlag := fs.String("rows", "", "comma-separated row ids to run (default all; see results.csv for ids)")
	steps := fs.Int64("steps", 0, "override the budget's optimiser steps per row (0: the budget's)")
	lr := fs.Float64("lr", 0, "override the budget's AdamW learning rate (0: the budget's)")
	ema := fs.Float64("ema", -1, "override the budget's parameter EMA decay, in [0, 1) (0: off; -1: the budget's)")
	dataDir := fs.String("data", "", "Table 2: LJ13 directory with the reference .npy splits (default: the shared data, else generated)")

	var table string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		table, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v (see 'hifm reproduce -h')", err)
	}
	if table == "" && fs.NArg() > 0 {
		table = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return usageError("%v (see 'hifm reproduce -h')", err)
		}
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q (see 'hifm reproduce -h')", fs.Arg(0))
	}
	if table != experiments.Table1 && table != experiments.Table2 {
		if table == "" {
			return usageError("which table? 'hifm reproduce table1' (MNIST) or 'hifm reproduce table2' (LJ13)")
		}
		return usageError("unknown table %q: want table1 or table2", table)
	}
	budget, err := experiments.Budgets(table, *budgetName)
	if err != nil {
		return usageError("%v", err)
	}
	if *steps < 0 {
		return usageError("-steps %d: want ≥ 0", *steps)
	}
	if *steps > 0 {
		budget.Steps = *steps
	}
	if !(*lr >= 0) || math.IsInf(*lr, 0) {
		return usageError("-lr %v: want a finite rate ≥ 0", *lr)
	}
	if *lr > 0 {
		budget.LR = *lr
	}
	if *ema != -1 {
		if !(*ema >= 0 && *ema < 1) {
			return usageError("-ema %v: want a decay in [0, 1), or -1 for the budget's", *ema)
		}
		budget.EMA = *ema
	}
	if *threads < 0 {
		return usageError("-threads %d: want ≥ 0", *threads)
	}
	opt := experiments.Options{Condition: *cond, Sigma: *sigma, NullSpace: flow.NullSpace(*nullSpace), Seed: *seed, Threads: *threads}
	if err := opt.Validate(); err != nil {
		return usageError("%v", err)
	}
	all, _ := experiments.Rows(table)
	rows := all
	if *rowsFlag != "" {
		rows = nil
		for _, id := range strings.Split(*rowsFlag, ",") {
			id = strings.TrimSpace(id)
			i := slices.IndexFunc(all, func(r experiments.Row) bool { return r.ID == id })
			if i < 0 {
				ids := make([]string, len(all))
				for k, r := range all {
					ids[k] = r.ID
				}
				return usageError("-rows: unknown row %q: want some of %s", id, strings.Join(ids, ","))
			}
			rows = append(rows, all[i])
		}
	}
	if *out == "" {
		*out = filepath.Join("out", table)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	nthreads := *threads
	if nthreads == 0 {
		nthreads = runtime.GOMAXPROCS(0)
	}

	ctx, stop := withInterrupt(context.Background())
	defer stop()

	data, dataNote, err := reproLoadData(ctx, table, *dataDir, budget, *seed, stderr)
	if err != nil {
		if interrupted(ctx, err) {
			return errors.New("interrupted while preparing the data")
		}
		return err
	}
	fmt.Fprintf(stderr, "reproduce %s: budget %s (%d steps, batch %d, %d train, %d test points), %d rows, data: %s\n",
		table, budget.Name, budget.Steps, budget.Batch, min(budget.TrainN, data.Train.N), min(budget.TestN, data.Test.N), len(rows), dataNote)

	cfgDoc := reproConfig{ProducedBy: "hifm reproduce " + hifmReproVersion(), Command: append([]string{"hifm", "reproduce", table}, args...),
		Table: table, Budget: budget, Options: opt, Data: dataNote, Threads: nthreads, Rows: map[string]train.Config{}}
	cfgDoc.Revision, cfgDoc.Modified = buildRevision()
	for _, path := range data.Files {
		sum, err := fileSHA256(path)
		if err != nil {
			return err
		}
		cfgDoc.DataFiles = append(cfgDoc.DataFiles, reproFile{Path: path, SHA256: sum})
	}
	start := time.Now()
	for _, r := range rows {
		c, err := experiments.Config(table, r, budget, opt)
		if err != nil {
			return err
		}
		cfgDoc.Rows[r.ID] = c
	}
	results := map[string]*experiments.Result{}
	var done []*experiments.Result
	write := func(complete bool) error {
		cfgDoc.WallSeconds = math.Round(time.Since(start).Seconds())
		return reproWriteOutputs(*out, table, all, budget, results, done, data, &cfgDoc, complete)
	}
	if err := write(false); err != nil {
		return err
	}

	var prog *progress
	ro := experiments.RunOptions{Options: opt, Budget: budget, Rows: rows}
	label := func(i int) string {
		return fmt.Sprintf("row %d/%d %s", i+1, len(rows), reproLabel(rows[i]))
	}
	ro.Hooks.Stage = func(i int, s string) {
		switch s {
		case "train":
			prog = newProgress(stderr, label(i)+" train", budget.Steps)
		case "nll":
			if prog != nil {
				prog.finish(budget.Steps, math.NaN(), -1)
				prog = nil
			}
			fmt.Fprintf(stderr, "%s: test NLL on %d points\n", label(i), min(budget.TestN, data.Test.N))
		case "sample":
			fmt.Fprintf(stderr, "%s: sampling %d\n", label(i), budget.SampleN)
		}
	}
	ro.Hooks.Step = func(i int, info train.StepInfo) {
		if prog != nil {
			prog.update(info.Step, info.Loss, info.Step*int64(budget.Batch))
		}
	}
	ro.Hooks.Eval = func(i int, p experiments.Point) {
		// One progress line per row: on a terminal the evaluation goes on
		// its own line below the redrawn progress.
		if prog != nil && prog.tty {
			fmt.Fprintln(stderr)
		}
		fmt.Fprintf(stderr, "%s: step %d (epoch %.3g): test NLL %.4g, NFE %.3g\n", label(i), p.Step, p.Epoch, p.NLL, p.NFE)
	}
	_, err = experiments.Run(ctx, table, data, ro, func(r experiments.Result) error {
		rc := r
		results[r.Row.ID] = &rc
		done = append(done, &rc)
		if rc.Error != "" {
			fmt.Fprintf(stderr, "%s: FAILED: %s\n", reproLabel(r.Row), rc.Error)
		} else {
			fmt.Fprintf(stderr, "%s: NLL %.4f ± %.3f, NFE %.1f (train %.0fs, NLL %.0fs)\n", reproLabel(r.Row), rc.NLL, rc.SE, rc.NFE, rc.TrainSec, rc.EvalSec)
		}
		return write(false)
	})
	if prog != nil {
		prog.abort()
	}
	if err != nil {
		_ = write(false)
		if interrupted(ctx, err) {
			reproPrint(stdout, table, all, budget, opt, results, reproDataEnergy(table, data, budget), *asJSON)
			return fmt.Errorf("%w after %d of %d rows; partial results in %s", errInterrupted, len(done), len(rows), *out)
		}
		return err
	}
	if err := write(true); err != nil {
		return err
	}
	reproPrint(stdout, table, all, budget, opt, results, reproDataEnergy(table, data, budget), *asJSON)
	if !*asJSON {
		fmt.Fprintf(stdout, "\nwritten to %s: %s\n", *out, strings.Join(cfgDoc.Outputs, ", "))
	}
	return nil
}

func hifmReproVersion() string { return runtime.Version() }

func reproLabel(r experiments.Row) string {
	if r.Projection != nil {
		return fmt.Sprintf("%s P%s H%s I%s", r.Method, experiments.Mark(r.Projection), experiments.Mark(r.Hyperbolize), experiments.Mark(r.Isotropic))
	}
	return r.Label()
}

// reproShort is a compact row name for legends: "Form. ✗✓✓", "OT".
func reproShort(r experiments.Row) string {
	if r.Projection != nil {
		return r.Method + " " + experiments.Mark(r.Projection) + experiments.Mark(r.Hyperbolize) + experiments.Mark(r.Isotropic)
	}
	return r.Label()
}

// reproLoadData loads the table's data: LJ13 from dir, the shared
// reference data or, when there is none, generated by HMC; MNIST from the
// GoMNIST module.
func reproLoadData(ctx context.Context, table, dir string, b experiments.Budget, seed uint64, stderr io.Writer) (experiments.Data, string, error) {
	var d experiments.Data
	var err error
	if table == experiments.Table1 {
		if d.Train, err = dataset.LoadMNIST("train", dataset.MNISTOptions{}); err != nil {
			return d, "", err
		}
		if d.Test, err = dataset.LoadMNIST("test", dataset.MNISTOptions{}); err != nil {
			return d, "", err
		}
		return d, "MNIST (GoMNIST module), x/255", nil
	}
	explicit := dir != ""
	if !explicit {
		dir, err = dataset.DefaultLJ13Dir()
	}
	if err == nil {
		trainFile, testFile := filepath.Join(dir, dataset.LJ13TrainFile), filepath.Join(dir, dataset.LJ13TestFile)
		if d.Train, err = dataset.LoadLJ13(trainFile); err == nil {
			d.Test, err = dataset.LoadLJ13(testFile)
		}
		d.Files = []string{trainFile, testFile}
		if err == nil {
			return d, "LJ13 reference splits in " + dir, nil
		}
		if explicit || !errors.Is(err, os.ErrNotExist) {
			return d, "", err
		}
	}
	// No reference data: generate both splits (HMC on the files' law).
	ntr, nte := b.TrainN, b.TestN
	if ntr <= 0 {
		ntr = 1000
	}
	if nte <= 0 {
		nte = 1000
	}
	fmt.Fprintf(stderr, "reproduce: no LJ13 reference data (%v); generating %d + %d configurations by HMC\n", err, ntr, nte)
	if d.Train, _, err = dataset.GenerateContext(ctx, ntr, seed, dataset.GenOptions{}); err != nil {
		return d, "", err
	}
	if d.Test, _, err = dataset.GenerateContext(ctx, nte, seed+1000003, dataset.GenOptions{}); err != nil {
		return d, "", err
	}
	return d, fmt.Sprintf("LJ13 generated by HMC (seeds %d, %d)", seed, seed+1000003), nil
}

// reproPrint prints our table beside the paper's (text or --json).
func reproPrint(w io.Writer, table string, rows []experiments.Row, b experiments.Budget, opt experiments.Options, res map[string]*experiments.Result, dataE float64, asJSON bool) {
	ours, paper := reproConvention(table)
	if asJSON {
		doc := reproDoc{Table: table, Convention: ours, PaperNote: paper, Budget: b, Rows: reproRows(table, rows, res, dataE)}
		doc.Complete = reproComplete(rows, res)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(doc)
		return
	}
	if table == experiments.Table1 {
		fmt.Fprintf(w, "Table 1 (MNIST, UNet): budget %s, %d steps of batch %d, NLL on %d test images\n", b.Name, b.Steps, b.Batch, b.TestN)
	} else {
		fmt.Fprintf(w, "Table 2 (LJ13, EGNN): budget %s, %d steps of batch %d, NLL on %d test configurations; K = %g, σ = %g\n",
			b.Name, b.Steps, b.Batch, b.TestN, opt.Condition, opt.Sigma)
	}
	fmt.Fprintf(w, "ours:  %s\npaper: %s\n\n", ours, paper)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	f := func(x float64, prec int) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "–"
		}
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	if table == experiments.Table1 {
		fmt.Fprintln(tw, "Method\tNLL\t±SE\tNFE\t\tpaper NLL\tpaper NFE\t")
	} else {
		fmt.Fprintln(tw, "Meth.\tProj.\tHyp.\tIso.\tNLL\tbgflow\t±SE\tNFE\t\tpaper NLL\tpaper NFE\t")
	}
	for _, r := range rows {
		nll, bg, se, nfe := "not run", "", "", ""
		if x := res[r.ID]; x != nil {
			if x.Error != "" {
				nll = "failed"
			} else {
				nll, bg, se, nfe = f(x.NLL, 3), f(x.BgflowNLL, 3), f(x.SE, 3), f(x.NFE, 1)
			}
		}
		if table == experiments.Table1 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t%.2f\t%d\t\n", r.Label(), nll, se, nfe, r.PaperNLL, r.PaperNFE)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t%.3f\t%d\t\n", r.Method, experiments.Mark(r.Projection),
				experiments.Mark(r.Hyperbolize), experiments.Mark(r.Isotropic), nll, bg, se, nfe, r.PaperNLL, r.PaperNFE)
		}
	}
	tw.Flush()
	for _, r := range rows {
		if x := res[r.ID]; x != nil && x.Error != "" {
			fmt.Fprintf(w, "%s failed: %s\n", reproLabel(r), x.Error)
		}
	}
}

// reproWriteOutputs (re)writes every output file from the rows done so far.
func reproWriteOutputs(dir, table string, rows []experiments.Row, b experiments.Budget, res map[string]*experiments.Result,
	done []*experiments.Result, data experiments.Data, cfg *reproConfig, complete bool) error {
	ours, paper := reproConvention(table)
	cfg.Outputs = cfg.Outputs[:0]
	add := func(name string) string {
		cfg.Outputs = append(cfg.Outputs, name)
		return filepath.Join(dir, name)
	}
	doc := reproDoc{Table: table, Convention: ours, PaperNote: paper, Budget: b, Complete: complete && reproComplete(rows, res), Rows: reproRows(table, rows, res, reproDataEnergy(table, data, b))}
	if err := reproWriteJSON(add("results.json"), doc); err != nil {
		return err
	}
	if err := plot.WriteFile(add("results.csv"), func(w io.Writer) error { return reproCSV(w, table, doc.Rows) }); err != nil {
		return err
	}
	if len(done) > 0 {
		if err := reproFigures(dir, table, done, data, b, add); err != nil {
			return err
		}
	}
	cfg.Outputs = append(cfg.Outputs, "config.json")
	return reproWriteJSON(filepath.Join(dir, "config.json"), cfg)
}

func reproWriteJSON(path string, v any) error {
	return plot.WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

func reproCSV(w io.Writer, table string, rows []reproRow) error {
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
		"paper_nll", "paper_nfe", "test_n", "steps", "train_seconds", "eval_seconds", "error"})
	for _, r := range rows {
		_ = cw.Write([]string{r.ID, r.Method, opt(r.Projection), opt(r.Hyperbolize), opt(r.Isotropic), num(r.Alpha),
			num(r.NLL), num(r.NLLBgflow), num(r.SE), num(r.NFE), strconv.FormatFloat(r.PaperNLL, 'g', -1, 64),
			strconv.Itoa(r.PaperNFE), strconv.Itoa(r.TestN), strconv.FormatInt(r.Steps, 10),
			strconv.FormatFloat(r.TrainSeconds, 'g', -1, 64), strconv.FormatFloat(r.EvalSeconds, 'g', -1, 64), r.Error})
	}
	cw.Flush()
	return cw.Error()
}

// reproFigures draws the progress plot (Fig. 3 / Fig. 4) and the sample
// pictures of the rows done.
func reproFigures(dir, table string, done []*experiments.Result, data experiments.Data, b experiments.Budget, add func(string) string) error {
	nll := plot.Figure{XLabel: "epoch", YLabel: "test NLL (nats)"}
	nfe := plot.Figure{XLabel: "epoch", YLabel: "NFE", Title: "Fig. 3 (ours): NFE of the test likelihood solves against training"}
	if table == experiments.Table1 {
		nll.Title = "Fig. 3 (ours): MNIST test NLL against training"
	} else {
		nll.Title = "Fig. 4 (ours): LJ13 test NLL (normalised) against training"
	}
	for _, r := range done {
		var s, t plot.Series
		s.Name, t.Name = reproShort(r.Row), reproShort(r.Row)
		for _, p := range r.Curve {
			s.X, s.Y = append(s.X, p.Epoch), append(s.Y, p.NLL)
			t.X, t.Y = append(t.X, p.Epoch), append(t.Y, p.NFE)
		}
		nll.Series, nfe.Series = append(nll.Series, s), append(nfe.Series, t)
	}
	if table == experiments.Table1 {
		if err := plot.WriteFile(add("fig3_nll.svg"), nll.SVG); err != nil {
			return err
		}
		if err := plot.WriteFile(add("fig3_nfe.svg"), nfe.SVG); err != nil {
			return err
		}
		for _, r := range done {
			if len(r.Samples) == 0 {
				continue
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
			if err := plot.WriteFile(add("samples_"+r.Row.ID+".png"), func(w io.Writer) error {
				return plot.Grid(w, imgs, 28, 28, perRow)
			}); err != nil {
				return err
			}
		}
		return nil
	}
	if err := plot.WriteFile(add("fig4_nll.svg"), nll.SVG); err != nil {
		return err
	}
	if err := plot.WriteFile(add("fig4_nfe.svg"), nfe.SVG); err != nil {
		return err
	}
	// Histograms: the test data against OT, Int. and the best Form. row.
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
	chosen := []*experiments.Result{}
	if best != nil {
		chosen = append(chosen, best)
	}
	for _, id := range []string{"int", "ot"} {
		if r := pick[id]; r != nil {
			chosen = append(chosen, r)
		}
	}
	if len(chosen) == 0 {
		return nil
	}
	e := energy.NewLJ13()
	ref := data.Test
	nref := min(ref.N, max(b.SampleN, 1000))
	refE, refD := reproLJStats(e, ref.Data[:nref*ref.Dim], ref.Dim)
	lo, hi := reproRange(refE)
	ef := plot.Figure{Title: "LJ13 energy, samples vs test data", XLabel: fmt.Sprintf("energy E (HIFM-MATH §4.2); (n off): samples of %d off the axis", b.SampleN), YLabel: "density",
		Series: []plot.Series{plot.Histogram(fmt.Sprintf("test data (%d)", nref), refE, lo, hi, 50)}}
	df := plot.Figure{Title: "LJ13 pair distances, samples vs test data", XLabel: "distance (Form. marks: Proj. Hyp. Iso.)", YLabel: "density",
		Series: []plot.Series{plot.Histogram(fmt.Sprintf("test data (%d)", nref), refD, dataset.PairHistLo, dataset.PairHistHi, dataset.PairHistBins)}}
	for _, r := range chosen {
		es, ds := reproLJStats(e, r.Samples, ref.Dim)
		out := 0
		for _, v := range es {
			if !(v >= lo && v < hi) {
				out++
			}
		}
		name := reproShort(r.Row)
		ef.Series = append(ef.Series, plot.Histogram(fmt.Sprintf("%s (%d off)", name, out), es, lo, hi, 50))
		df.Series = append(df.Series, plot.Histogram(name, ds, dataset.PairHistLo, dataset.PairHistHi, dataset.PairHistBins))
	}
	if err := plot.WriteFile(add("energy_hist.svg"), ef.SVG); err != nil {
		return err
	}
	return plot.WriteFile(add("distance_hist.svg"), df.SVG)
}

// reproLJDim is the length of one LJ13 configuration (13 particles in 3-D).
const reproLJDim = 39

// median returns the median of xs (NaN when empty); xs is not modified.
func median(xs []float64) float64 {
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

// reproDataEnergy is the median LJ13 energy of the test configurations
// the figures compare against (Table 2; NaN for Table 1).
func reproDataEnergy(table string, data experiments.Data, b experiments.Budget) float64 {
	if table != experiments.Table2 || data.Test == nil {
		return math.NaN()
	}
	nref := min(data.Test.N, max(b.SampleN, 1000))
	es, _ := reproLJStats(energy.NewLJ13(), data.Test.Data[:nref*data.Test.Dim], data.Test.Dim)
	return median(es)
}

// reproLJStats returns the LJ13 energies and all pair distances of the
// configurations in xs (rows of length dim).
func reproLJStats(e *energy.LJ13, xs []float64, dim int) (es, ds []float64) {
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

// reproRange is the energy histogram's range: the data's range widened by
// half its width below and its full width above (generated samples have
// higher energies, from close contacts, when the flow is undertrained).
func reproRange(xs []float64) (lo, hi float64) {
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
