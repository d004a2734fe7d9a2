package repro

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/hifm-go/hifm/cmd/internal/plot"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/experiments"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/tensor/npy"
)

// Format names the layout of an output directory (config.json "format").
const Format = "hifm-reproduce/1"

// ErrMerge marks output directories that cannot be merged. Its text
// predates the move out of flow/experiments and is kept, so that the
// messages of hifm reproduce merge do not change.
var ErrMerge = errors.New("experiments: cannot merge")

// Shard is part i of n (1 ≤ Index ≤ Count) of a table's rows: the row at
// position k (0-based) of the paper's order belongs to shard k mod n + 1.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Valid reports whether 1 ≤ Index ≤ Count.
func (s Shard) Valid() bool { return s.Count >= 1 && s.Index >= 1 && s.Index <= s.Count }

// ShardRows returns the rows of selected (a subset of the table, any order)
// that belong to shard s, in the paper's order. Membership depends only on
// a row's position in the table, not on the selection.
func ShardRows(table string, selected []experiments.Row, s Shard) ([]experiments.Row, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("%w: shard %s: want 1 ≤ i ≤ n", experiments.ErrOption, s)
	}
	all, err := experiments.Rows(table)
	if err != nil {
		return nil, err
	}
	var out []experiments.Row
	for k, r := range all {
		if k%s.Count == s.Index-1 && slices.ContainsFunc(selected, func(x experiments.Row) bool { return x.ID == r.ID }) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Revision is the VCS revision the binary was built from, and whether its
// tree had local changes: Go embeds both when it builds inside a git clone
// (-buildvcs=auto; not in a git worktree); "unknown" without them (go test,
// go run, builds outside a clone).
func Revision() (rev string, modified bool) {
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

// DataFile is a data file read, with its SHA-256.
type DataFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
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

// DataSHA256 identifies the data of a run by content: the SHA-256 of each
// split's shape (two little-endian uint64: N, Dim) and values (float64
// little-endian, row-major) as loaded, before any subset.
type DataSHA256 struct {
	Train string `json:"train"`
	Test  string `json:"test"`
}

// SetSHA256 is the content hash of one split, as in DataSHA256 ("" for
// nil); hifm nll records it for its test set too.
func SetSHA256(s *dataset.Set) string {
	if s == nil {
		return ""
	}
	h := sha256.New()
	var buf [8 << 10]byte
	binary.LittleEndian.PutUint64(buf[0:], uint64(s.N))
	binary.LittleEndian.PutUint64(buf[8:], uint64(s.Dim))
	h.Write(buf[:16])
	for i := 0; i < len(s.Data); i += len(buf) / 8 {
		chunk := s.Data[i:min(len(s.Data), i+len(buf)/8)]
		for j, v := range chunk {
			binary.LittleEndian.PutUint64(buf[8*j:], math.Float64bits(v))
		}
		h.Write(buf[:8*len(chunk)])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// dataHash returns the content hashes of the data.
func dataHash(d experiments.Data) DataSHA256 {
	return DataSHA256{Train: SetSHA256(d.Train), Test: SetSHA256(d.Test)}
}

// RunConfig is config.json: everything a run used, so that its directory
// describes itself and directories of shards can be checked against each
// other before a merge. Threads, WallSeconds and Command do not change any
// number; everything else must agree between shards.
type RunConfig struct {
	Format     string `json:"format"`
	ProducedBy string `json:"produced_by"`
	// Revision is the git revision of the binary ("unknown" without build
	// info), Modified whether its tree had local changes.
	Revision string              `json:"revision"`
	Modified bool                `json:"modified"`
	Command  []string            `json:"command"`
	Table    string              `json:"table"`
	Budget   experiments.Budget  `json:"budget"`
	Options  experiments.Options `json:"options"`
	// Data describes the source, DataFiles are the files read (LJ13
	// splits) with their sha256; DataSHA256 identifies the content.
	Data       string     `json:"data"`
	DataFiles  []DataFile `json:"data_files,omitempty"`
	DataSHA256 DataSHA256 `json:"data_sha256"`
	Threads    int        `json:"threads"`
	// WallSeconds is the run's wall time so far (timing).
	WallSeconds float64 `json:"wall_seconds"`
	// Selection are the rows asked for (-rows; all rows by default) and
	// Shard the part of them this run does; Rows the configs of the rows
	// it runs (its shard of the selection).
	Selection []string                `json:"selection"`
	Shard     Shard                   `json:"shard"`
	Rows      map[string]train.Config `json:"rows"`
	// Finished are the rows done so far (table order): a merge reads only
	// their rows/ID.json, never a stale file of an earlier run.
	Finished []string `json:"finished"`
	// MergedFrom lists the shard directories of a merged result.
	MergedFrom []MergedShard `json:"merged_from,omitempty"`
	Outputs    []string      `json:"outputs"`
}

// MergedShard records one merged directory.
type MergedShard struct {
	Dir         string   `json:"dir"`
	Shard       Shard    `json:"shard"`
	Rows        []string `json:"rows"`
	Threads     int      `json:"threads"`
	WallSeconds float64  `json:"wall_seconds"`
	Command     []string `json:"command"`
}

// Source says where a run's data came from: Note describes it (config.json
// "data"), Files are the files read, whose SHA-256 config.json records
// (none for generated data).
type Source struct {
	Note  string
	Files []string
}

// NewRunConfig returns the config of running rows (the shard s of
// selection) of table on data, read from src.
func NewRunConfig(table string, b experiments.Budget, o experiments.Options, selection []experiments.Row, s Shard, data experiments.Data, src Source) (*RunConfig, []experiments.Row, error) {
	rows, err := ShardRows(table, selection, s)
	if err != nil {
		return nil, nil, err
	}
	all, _ := experiments.Rows(table)
	cfg := &RunConfig{Format: Format, ProducedBy: "hifm reproduce", Table: table, Budget: b, Options: o,
		Data: src.Note, DataSHA256: dataHash(data), Shard: s, Rows: map[string]train.Config{}}
	cfg.Revision, cfg.Modified = Revision()
	for _, path := range src.Files {
		sum, err := fileSHA256(path)
		if err != nil {
			return nil, nil, err
		}
		cfg.DataFiles = append(cfg.DataFiles, DataFile{Path: path, SHA256: sum})
	}
	for _, r := range all { // table order
		if slices.ContainsFunc(selection, func(x experiments.Row) bool { return x.ID == r.ID }) {
			cfg.Selection = append(cfg.Selection, r.ID)
		}
	}
	for _, r := range rows {
		c, err := experiments.Config(table, r, b, o)
		if err != nil {
			return nil, nil, err
		}
		cfg.Rows[r.ID] = c
	}
	return cfg, rows, nil
}

// WriteOutputs (re)writes every output of a run into dir from the results
// so far: results.json, results.csv, the figures, and the files a merge
// reads: rows/ID.json (each result with its curve), samples/ID.npy
// (its generated samples) and, for Table 2, reference.npy (the test
// configurations of the histograms); config.json last. test is the test
// set (nil: no histograms).
func WriteOutputs(dir string, cfg *RunConfig, res map[string]*experiments.Result, test *dataset.Set) error {
	ref := Reference(cfg.Table, cfg.Budget, test)
	rep, err := NewReport(cfg.Table, cfg.Budget, res, ref)
	if err != nil {
		return err
	}
	var outs []string
	add := func(name string) string {
		outs = append(outs, name)
		return filepath.Join(dir, name)
	}
	if err := writeJSON(add("results.json"), rep); err != nil {
		return err
	}
	if err := plot.WriteFile(add("results.csv"), rep.WriteCSV); err != nil {
		return err
	}
	all, _ := experiments.Rows(cfg.Table)
	var done []*experiments.Result
	for _, r := range all {
		if x := res[r.ID]; x != nil {
			done = append(done, x)
		}
	}
	if ref != nil {
		if err := npy.WriteFile(add("reference.npy"), &npy.Array{Shape: []int{ref.N, ref.Dim}, Data: ref.Data}); err != nil {
			return err
		}
	}
	if len(done) > 0 {
		names, err := writeFigures(dir, cfg.Table, done, ref, cfg.Budget)
		outs = append(outs, names...)
		if err != nil {
			return err
		}
	}
	cfg.Finished = []string{}
	for _, r := range done {
		cfg.Finished = append(cfg.Finished, r.Row.ID)
		if err := os.MkdirAll(filepath.Join(dir, "rows"), 0o755); err != nil {
			return err
		}
		if err := writeJSON(add(filepath.Join("rows", r.Row.ID+".json")), toSaved(r)); err != nil {
			return err
		}
		if len(r.Samples) > 0 {
			if err := os.MkdirAll(filepath.Join(dir, "samples"), 0o755); err != nil {
				return err
			}
			d := r.Config.Net.Dim
			if err := npy.WriteFile(add(filepath.Join("samples", r.Row.ID+".npy")),
				&npy.Array{Shape: []int{len(r.Samples) / d, d}, Data: r.Samples}); err != nil {
				return err
			}
		}
	}
	cfg.Outputs = append(outs, "config.json")
	return writeJSON(filepath.Join(dir, "config.json"), cfg)
}

// num is a float64 that keeps NaN and ±Inf through JSON (as strings);
// finite values round-trip bit for bit.
type num float64

func (x num) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte(`"` + strconv.FormatFloat(f, 'g', -1, 64) + `"`), nil
	}
	return []byte(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

func (x *num) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*x = num(f)
	return nil
}

type savedPoint struct {
	Step      int64 `json:"step"`
	Epoch     num   `json:"epoch"`
	Loss      num   `json:"loss"`
	NLL       num   `json:"nll"`
	BgflowNLL num   `json:"bgflow_nll"`
	NFE       num   `json:"nfe"`
}

// savedResult is rows/ID.json: an experiments.Result without its Row's internals (the
// row is looked up by ID) and its config (recomputed from the budget).
type savedResult struct {
	ID            string       `json:"id"`
	NLL           num          `json:"nll_normalized"`
	SE            num          `json:"se"`
	BgflowNLL     num          `json:"nll_bgflow"`
	LogNormalizer num          `json:"log_normalizer"`
	NFE           num          `json:"nfe"`
	TestN         int          `json:"test_n"`
	TestNLL       []num        `json:"test_nll,omitempty"`
	Loss          num          `json:"loss"`
	Steps         int64        `json:"steps"`
	Curve         []savedPoint `json:"curve"`
	SampleN       int          `json:"sample_n"`
	SampleNFE     num          `json:"sample_nfe"`
	TrainSec      num          `json:"train_seconds"`  // timing
	EvalSec       num          `json:"eval_seconds"`   // timing
	SampleSec     num          `json:"sample_seconds"` // timing
	Error         string       `json:"error,omitempty"`
}

func toSaved(r *experiments.Result) savedResult {
	s := savedResult{ID: r.Row.ID, NLL: num(r.NLL), SE: num(r.SE), BgflowNLL: num(r.BgflowNLL), LogNormalizer: num(r.LogNormalizer),
		NFE: num(r.NFE), TestN: r.TestN, Loss: num(r.Loss), Steps: r.Steps, SampleNFE: num(r.SampleNFE),
		TrainSec: num(r.TrainSec), EvalSec: num(r.EvalSec), SampleSec: num(r.SampleSec), Error: r.Error, Curve: []savedPoint{}}
	if d := r.Config.Net.Dim; d > 0 {
		s.SampleN = len(r.Samples) / d
	}
	for _, v := range r.TestNLL {
		s.TestNLL = append(s.TestNLL, num(v))
	}
	for _, p := range r.Curve {
		s.Curve = append(s.Curve, savedPoint{Step: p.Step, Epoch: num(p.Epoch), Loss: num(p.Loss), NLL: num(p.NLL), BgflowNLL: num(p.BgflowNLL), NFE: num(p.NFE)})
	}
	return s
}

func (s savedResult) result(r experiments.Row, cfg train.Config) *experiments.Result {
	x := &experiments.Result{Row: r, Config: cfg, NLL: float64(s.NLL), SE: float64(s.SE), BgflowNLL: float64(s.BgflowNLL),
		LogNormalizer: float64(s.LogNormalizer), NFE: float64(s.NFE), TestN: s.TestN, Loss: float64(s.Loss), Steps: s.Steps,
		SampleNFE: float64(s.SampleNFE), TrainSec: float64(s.TrainSec), EvalSec: float64(s.EvalSec), SampleSec: float64(s.SampleSec), Error: s.Error}
	for _, v := range s.TestNLL {
		x.TestNLL = append(x.TestNLL, float64(v))
	}
	for _, p := range s.Curve {
		x.Curve = append(x.Curve, experiments.Point{Step: p.Step, Epoch: float64(p.Epoch), Loss: float64(p.Loss), NLL: float64(p.NLL), BgflowNLL: float64(p.BgflowNLL), NFE: float64(p.NFE)})
	}
	return x
}

// Dir is an output directory read back: its config, its finished rows and,
// for Table 2, the histograms' reference configurations.
type Dir struct {
	Path      string
	Config    RunConfig
	Results   map[string]*experiments.Result
	Reference *dataset.Set
}

// ReadDir reads an output directory written by WriteOutputs.
func ReadDir(path string) (*Dir, error) {
	b, err := os.ReadFile(filepath.Join(path, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a hifm reproduce directory: %v", ErrMerge, path, err)
	}
	d := &Dir{Path: path, Results: map[string]*experiments.Result{}}
	if err := json.Unmarshal(b, &d.Config); err != nil {
		return nil, fmt.Errorf("%w: %s/config.json: %v", ErrMerge, path, err)
	}
	c := &d.Config
	if c.Format != Format {
		return nil, fmt.Errorf("%w: %s/config.json has format %q, want %q (written by another version of hifm?)", ErrMerge, path, c.Format, Format)
	}
	all, err := experiments.Rows(c.Table)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMerge, path, err)
	}
	for _, r := range all {
		if _, ok := c.Rows[r.ID]; !ok || !slices.Contains(c.Finished, r.ID) {
			continue
		}
		rb, err := os.ReadFile(filepath.Join(path, "rows", r.ID+".json"))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: row %s: %v", ErrMerge, path, r.ID, err)
		}
		var s savedResult
		if err := json.Unmarshal(rb, &s); err != nil || s.ID != r.ID {
			return nil, fmt.Errorf("%w: %s/rows/%s.json: unreadable (%v)", ErrMerge, path, r.ID, err)
		}
		cfg, err := experiments.Config(c.Table, r, c.Budget, c.Options)
		if err != nil {
			return nil, err
		}
		x := s.result(r, cfg)
		if s.SampleN > 0 {
			a, err := npy.ReadFile(filepath.Join(path, "samples", r.ID+".npy"))
			if err != nil {
				return nil, fmt.Errorf("%w: %s: samples of row %s: %v", ErrMerge, path, r.ID, err)
			}
			if len(a.Shape) != 2 || a.Shape[0] != s.SampleN || a.Shape[1] != cfg.Net.Dim {
				return nil, fmt.Errorf("%w: %s/samples/%s.npy has shape %v, want [%d %d]", ErrMerge, path, r.ID, a.Shape, s.SampleN, cfg.Net.Dim)
			}
			x.Samples = a.Data
		}
		d.Results[r.ID] = x
	}
	if c.Table == experiments.Table2 {
		a, err := npy.ReadFile(filepath.Join(path, "reference.npy"))
		if err == nil && len(a.Shape) == 2 && a.Shape[1]%3 == 0 {
			d.Reference = &dataset.Set{N: a.Shape[0], Dim: a.Shape[1], Particles: a.Shape[1] / 3, SpatialDim: 3, Data: a.Data}
		} else if err == nil {
			return nil, fmt.Errorf("%w: %s/reference.npy has shape %v", ErrMerge, path, a.Shape)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return d, nil
}

// Merge checks that the directories are shards of one computation (same
// table, budget, options, revision and data; for each selection of rows
// every shard 1..n exactly once and finished; no row twice) and returns
// the merged config and results, which WriteOutputs turns into the same
// results.json, CSV and figures as one unsharded run.
func Merge(dirs []*Dir) (*RunConfig, map[string]*experiments.Result, *dataset.Set, error) {
	if len(dirs) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: no directories", ErrMerge)
	}
	first := &dirs[0].Config
	out := &RunConfig{Format: Format, ProducedBy: "hifm reproduce merge", Revision: first.Revision, Modified: first.Modified, Table: first.Table,
		Budget: first.Budget, Options: first.Options, Data: first.Data, DataFiles: first.DataFiles, DataSHA256: first.DataSHA256,
		Shard: Shard{1, 1}, Rows: map[string]train.Config{}}
	res := map[string]*experiments.Result{}
	owner := map[string]string{}
	type group struct {
		count int
		seen  map[int]string
	}
	groups := map[string]*group{}
	var ref *dataset.Set
	for _, d := range dirs {
		c := &d.Config
		diff := func(what string, a, b any) error {
			return fmt.Errorf("%w: %s and %s differ in %s: %v vs %v", ErrMerge, dirs[0].Path, d.Path, what, a, b)
		}
		switch {
		case c.Table != first.Table:
			return nil, nil, nil, diff("table", first.Table, c.Table)
		case !reflect.DeepEqual(c.Budget, first.Budget):
			return nil, nil, nil, diff("budget", fmt.Sprintf("%+v", first.Budget), fmt.Sprintf("%+v", c.Budget))
		case c.Options != first.Options:
			return nil, nil, nil, diff("options", fmt.Sprintf("%+v", first.Options), fmt.Sprintf("%+v", c.Options))
		case c.Revision != first.Revision || c.Modified != first.Modified:
			return nil, nil, nil, diff("code revision (and local changes)", fmt.Sprint(first.Revision, " modified=", first.Modified), fmt.Sprint(c.Revision, " modified=", c.Modified))
		case !sameFiles(c.DataFiles, first.DataFiles):
			return nil, nil, nil, diff("data files (sha256)", first.DataFiles, c.DataFiles)
		case c.DataSHA256 != first.DataSHA256:
			return nil, nil, nil, diff("data (sha256)", first.DataSHA256, c.DataSHA256)
		case !c.Shard.Valid():
			return nil, nil, nil, fmt.Errorf("%w: %s: invalid shard %s", ErrMerge, d.Path, c.Shard)
		}
		key := strings.Join(c.Selection, ",")
		g := groups[key]
		if g == nil {
			g = &group{count: c.Shard.Count, seen: map[int]string{}}
			groups[key] = g
		}
		if c.Shard.Count != g.count {
			return nil, nil, nil, fmt.Errorf("%w: %s is shard %s but another directory of the same rows is of %d shards", ErrMerge, d.Path, c.Shard, g.count)
		}
		if p, dup := g.seen[c.Shard.Index]; dup {
			return nil, nil, nil, fmt.Errorf("%w: shard %s given twice: %s and %s", ErrMerge, c.Shard, p, d.Path)
		}
		g.seen[c.Shard.Index] = d.Path
		ms := MergedShard{Dir: d.Path, Shard: c.Shard, Threads: c.Threads, WallSeconds: c.WallSeconds, Command: c.Command}
		all, _ := experiments.Rows(c.Table)
		for _, r := range all {
			if _, ok := c.Rows[r.ID]; !ok {
				continue
			}
			x := d.Results[r.ID]
			if x == nil {
				return nil, nil, nil, fmt.Errorf("%w: %s (shard %s) has not finished row %s: rerun that shard", ErrMerge, d.Path, c.Shard, r.ID)
			}
			if p, dup := owner[r.ID]; dup {
				return nil, nil, nil, fmt.Errorf("%w: row %s is in both %s and %s", ErrMerge, r.ID, p, d.Path)
			}
			owner[r.ID] = d.Path
			res[r.ID] = x
			out.Rows[r.ID] = c.Rows[r.ID]
			ms.Rows = append(ms.Rows, r.ID)
		}
		out.MergedFrom = append(out.MergedFrom, ms)
		out.Threads = max(out.Threads, c.Threads)
		if ref == nil {
			ref = d.Reference
		}
	}
	for key, g := range groups {
		for i := 1; i <= g.count; i++ {
			if _, ok := g.seen[i]; !ok {
				return nil, nil, nil, fmt.Errorf("%w: shard %d/%d of rows [%s] is missing", ErrMerge, i, g.count, key)
			}
		}
	}
	all, _ := experiments.Rows(out.Table)
	for _, r := range all {
		if res[r.ID] != nil {
			out.Selection = append(out.Selection, r.ID)
		}
	}
	return out, res, ref, nil
}

// sameFiles reports whether two lists of data files have the same hashes
// (paths may differ between nodes).
func sameFiles(a, b []DataFile) bool {
	return slices.EqualFunc(a, b, func(x, y DataFile) bool { return x.SHA256 == y.SHA256 })
}
