package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/atomicfile"
	"github.com/hifm-go/hifm/tensor/npy"
)

// Checkpoint is everything needed to resume training (HIFM-MATH §5): the
// network's config and parameters, the optimiser state, the step and the
// caller's own training config and RNG state.
type Checkpoint struct {
	Net    NetConfig
	Params []*Param
	Optim  *AdamW // nil: no optimiser state saved
	Step   int64
	// Train is the caller's training configuration (JSON; loaded back in
	// compact form).
	Train json.RawMessage
	// RNG is the caller's generator state (e.g. rand.PCG.MarshalBinary).
	RNG []byte
}

// On-disk layout of a checkpoint directory dir:
//
//	dir/checkpoint.json          manifest: format, current generation, SHA-256 of its files
//	dir/ckpt-<step>[-k]/params.npz   parameters, one array per Param.Name (numpy.load-able)
//	dir/ckpt-<step>[-k]/optim.npz    "count", "m/<name>", "v/<name>", "ema/<name>"
//	dir/ckpt-<step>[-k]/config.json  net and optimiser config, step, train, rng, parameter order
//
// Save writes a new generation into a temporary directory, syncs it, renames
// it into place (a new name, so nothing is overwritten), then replaces the
// manifest atomically (temp file + rename) and only then removes older
// generations. A crash at any point leaves the manifest naming one complete
// generation; Load verifies every file's size and checksum against it.
const (
	checkpointFormat = "hifm-checkpoint/1"
	manifestName     = "checkpoint.json"
)

type manifest struct {
	Format     string                  `json:"format"`
	Generation string                  `json:"generation"`
	Step       int64                   `json:"step"`
	Files      map[string]manifestFile `json:"files"`
}

type manifestFile struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// checkpointConfig is config.json.
type checkpointConfig struct {
	Format string          `json:"format"`
	Step   int64           `json:"step"`
	Net    NetConfig       `json:"net"`
	Params []paramInfo     `json:"params"`
	Optim  *optimInfo      `json:"optim,omitempty"`
	Train  json.RawMessage `json:"train,omitempty"`
	RNG    []byte          `json:"rng,omitempty"` // base64 in JSON
}

type paramInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type optimInfo struct {
	Config AdamWConfig `json:"config"`
	Step   int64       `json:"step"`
	EMA    bool        `json:"ema"`
}

func toArray(t *tensor.Tensor) *npy.Array {
	c := t.Contiguous()
	return &npy.Array{Shape: append([]int{}, c.Shape...), Data: c.Data[:c.Size()]}
}

// SaveCheckpoint writes ck into dir (created if needed) as described above.
func SaveCheckpoint(dir string, ck *Checkpoint) (err error) {
	if ck == nil {
		return errors.New("checkpoint: nil checkpoint")
	}
	if err := checkCheckpoint(ck); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-ckpt-*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer func() {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}()

	// params.npz
	names := make([]string, len(ck.Params))
	arrays := map[string]*npy.Array{}
	cfg := checkpointConfig{Format: checkpointFormat, Step: ck.Step, Net: ck.Net, Train: ck.Train, RNG: ck.RNG}
	for i, p := range ck.Params {
		names[i] = p.Name
		arrays[p.Name] = toArray(p.Value)
		cfg.Params = append(cfg.Params, paramInfo{Name: p.Name, Shape: append([]int{}, p.Value.Shape...)})
	}
	if err := npy.WriteNPZ(filepath.Join(tmp, "params.npz"), names, arrays); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// optim.npz
	if o := ck.Optim; o != nil {
		cfg.Optim = &optimInfo{Config: o.Cfg, Step: o.Step, EMA: o.EMA != nil}
		onames := []string{"count"}
		oarr := map[string]*npy.Array{"count": {Shape: []int{}, Data: []float64{float64(o.Step)}}}
		add := func(prefix string, ts []*tensor.Tensor) {
			for i, t := range ts {
				n := prefix + ck.Params[i].Name
				onames = append(onames, n)
				oarr[n] = toArray(t)
			}
		}
		add("m/", o.M)
		add("v/", o.V)
		add("ema/", o.EMA)
		if err := npy.WriteNPZ(filepath.Join(tmp, "optim.npz"), onames, oarr); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	// config.json
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: config: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(tmp, "config.json"), b); err != nil {
		return err
	}

	// Checksums, then move the generation into place.
	m := manifest{Format: checkpointFormat, Step: ck.Step, Files: map[string]manifestFile{}}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		f, err := hashFile(filepath.Join(tmp, e.Name()))
		if err != nil {
			return err
		}
		m.Files[e.Name()] = f
	}
	gen := fmt.Sprintf("ckpt-%09d", ck.Step)
	for k := 1; ; k++ {
		if _, err := os.Lstat(filepath.Join(dir, gen)); errors.Is(err, os.ErrNotExist) {
			break
		}
		gen = fmt.Sprintf("ckpt-%09d-%d", ck.Step, k)
	}
	atomicfile.SyncDir(tmp)
	if err := os.Rename(tmp, filepath.Join(dir, gen)); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp = ""
	m.Generation = gen
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: manifest: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, manifestName), mb); err != nil {
		os.RemoveAll(filepath.Join(dir, gen))
		return err
	}
	// The manifest now names gen: older generations are garbage.
	old, _ := filepath.Glob(filepath.Join(dir, "ckpt-*"))
	for _, o := range old {
		if filepath.Base(o) != gen {
			os.RemoveAll(o)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(dir, ".tmp-ckpt-*"))
	for _, s := range stale {
		os.RemoveAll(s)
	}
	return nil
}

func checkCheckpoint(ck *Checkpoint) error {
	seen := map[string]bool{}
	for i, p := range ck.Params {
		if p == nil || p.Value == nil {
			return fmt.Errorf("checkpoint: parameter %d is nil", i)
		}
		if p.Name == "" || seen[p.Name] || strings.ContainsRune(p.Name, 0) {
			return fmt.Errorf("checkpoint: parameter %d has an empty or repeated name %q", i, p.Name)
		}
		seen[p.Name] = true
	}
	if o := ck.Optim; o != nil {
		if (o.Cfg.EMADecay > 0) != (o.EMA != nil) {
			return fmt.Errorf("checkpoint: optimiser ema_decay %g but %d EMA tensors", o.Cfg.EMADecay, len(o.EMA))
		}
		if len(o.M) != len(ck.Params) || len(o.V) != len(ck.Params) || (o.EMA != nil && len(o.EMA) != len(ck.Params)) {
			return fmt.Errorf("checkpoint: optimiser state has %d/%d/%d tensors for %d parameters", len(o.M), len(o.V), len(o.EMA), len(ck.Params))
		}
		for i, p := range ck.Params {
			for _, t := range []*tensor.Tensor{o.M[i], o.V[i]} {
				if t == nil || !tensor.SameShape(t.Shape, p.Value.Shape) {
					return fmt.Errorf("checkpoint: optimiser moment for %s does not have its shape", p.Name)
				}
			}
			if o.EMA != nil && (o.EMA[i] == nil || !tensor.SameShape(o.EMA[i].Shape, p.Value.Shape)) {
				return fmt.Errorf("checkpoint: EMA for %s does not have its shape", p.Name)
			}
		}
	}
	if len(ck.Train) > 0 && !json.Valid(ck.Train) {
		return errors.New("checkpoint: train config is not valid JSON")
	}
	return nil
}

// LoadCheckpoint reads the checkpoint in dir, verifying the manifest's
// checksums and that the parameters match the saved net config.
func LoadCheckpoint(dir string) (*Checkpoint, error) {
	mb, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("checkpoint: no checkpoint in %s (missing %s)", dir, manifestName)
		}
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("checkpoint: corrupt manifest %s: %v", filepath.Join(dir, manifestName), err)
	}
	if m.Format != checkpointFormat {
		return nil, fmt.Errorf("checkpoint: %s has format %q, want %q", filepath.Join(dir, manifestName), m.Format, checkpointFormat)
	}
	if m.Generation == "" || strings.ContainsAny(m.Generation, `/\`) || m.Generation == "." || m.Generation == ".." {
		return nil, fmt.Errorf("checkpoint: manifest names a bad generation %q", m.Generation)
	}
	gdir := filepath.Join(dir, m.Generation)
	need := []string{"params.npz", "config.json"}
	for _, n := range need {
		if _, ok := m.Files[n]; !ok {
			return nil, fmt.Errorf("checkpoint: manifest lists no %s", n)
		}
	}
	names := make([]string, 0, len(m.Files))
	for n := range m.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n != filepath.Base(n) || strings.HasPrefix(n, ".") {
			return nil, fmt.Errorf("checkpoint: manifest lists a bad file name %q", n)
		}
		got, err := hashFile(filepath.Join(gdir, n))
		if err != nil {
			return nil, err
		}
		if want := m.Files[n]; got != want {
			return nil, fmt.Errorf("checkpoint: %s is corrupt or incomplete: size %d, sha256 %s; manifest says size %d, sha256 %s",
				filepath.Join(gdir, n), got.Size, got.SHA256, want.Size, want.SHA256)
		}
	}

	cb, err := os.ReadFile(filepath.Join(gdir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var cfg checkpointConfig
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return nil, fmt.Errorf("checkpoint: corrupt config.json: %v", err)
	}
	if cfg.Format != checkpointFormat {
		return nil, fmt.Errorf("checkpoint: config.json has format %q, want %q", cfg.Format, checkpointFormat)
	}
	ck := &Checkpoint{Net: cfg.Net, Step: cfg.Step, RNG: cfg.RNG}
	if len(cfg.Train) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, cfg.Train); err != nil {
			return nil, fmt.Errorf("checkpoint: config.json train: %v", err)
		}
		ck.Train = buf.Bytes()
	}

	pa, err := npy.ReadNPZ(filepath.Join(gdir, "params.npz"))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	get := func(file string, arrs map[string]*npy.Array, name string, shape []int) (*tensor.Tensor, error) {
		a, ok := arrs[name]
		if !ok {
			return nil, fmt.Errorf("checkpoint: %s has no array %q", file, name)
		}
		if !tensor.SameShape(a.Shape, shape) {
			return nil, fmt.Errorf("checkpoint: %s: %q has shape %s, want %s", file, name, tensor.ShapeString(a.Shape), tensor.ShapeString(shape))
		}
		return tensor.FromSlice(a.Data, shape...), nil
	}
	for _, pi := range cfg.Params {
		t, err := get("params.npz", pa, pi.Name, pi.Shape)
		if err != nil {
			return nil, err
		}
		ck.Params = append(ck.Params, &Param{Name: pi.Name, Value: t})
	}
	if len(pa) != len(cfg.Params) {
		return nil, fmt.Errorf("checkpoint: params.npz has %d arrays, config.json lists %d", len(pa), len(cfg.Params))
	}
	if cfg.Optim != nil {
		if _, ok := m.Files["optim.npz"]; !ok {
			return nil, errors.New("checkpoint: config.json has optimiser state but the manifest lists no optim.npz")
		}
		oa, err := npy.ReadNPZ(filepath.Join(gdir, "optim.npz"))
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		o := &AdamW{Cfg: cfg.Optim.Config, Step: cfg.Optim.Step}
		if err := o.Cfg.Validate(); err != nil {
			return nil, fmt.Errorf("checkpoint: optimiser config: %w", err)
		}
		if (o.Cfg.EMADecay > 0) != cfg.Optim.EMA || o.Step < 0 {
			return nil, fmt.Errorf("checkpoint: config.json optimiser state is inconsistent (ema_decay %g, ema %v, step %d)", o.Cfg.EMADecay, cfg.Optim.EMA, o.Step)
		}
		c, ok := oa["count"]
		if !ok || len(c.Data) != 1 || c.Data[0] != float64(o.Step) {
			return nil, fmt.Errorf("checkpoint: optim.npz step count does not match config.json's %d", o.Step)
		}
		for _, pi := range cfg.Params {
			mt, err := get("optim.npz", oa, "m/"+pi.Name, pi.Shape)
			if err != nil {
				return nil, err
			}
			vt, err := get("optim.npz", oa, "v/"+pi.Name, pi.Shape)
			if err != nil {
				return nil, err
			}
			o.M, o.V = append(o.M, mt), append(o.V, vt)
			if cfg.Optim.EMA {
				et, err := get("optim.npz", oa, "ema/"+pi.Name, pi.Shape)
				if err != nil {
					return nil, err
				}
				o.EMA = append(o.EMA, et)
			}
		}
		ck.Optim = o
	}
	return ck, nil
}

// Restore builds the checkpoint's network and loads its parameters, checking
// that names and shapes match the architecture New builds from ck.Net.
func (ck *Checkpoint) Restore() (Net, error) {
	net, err := New(ck.Net, 0)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: net config: %w", err)
	}
	if err := LoadParams(net, ck.Params); err != nil {
		return nil, err
	}
	return net, nil
}

// LoadParams copies saved parameters into net, matching names and shapes in
// order.
func LoadParams(net Net, saved []*Param) error {
	ps := net.Params()
	if len(saved) != len(ps) {
		return fmt.Errorf("checkpoint: %d saved parameters for a net with %d", len(saved), len(ps))
	}
	for i, p := range ps {
		s := saved[i]
		if s.Name != p.Name || !tensor.SameShape(s.Value.Shape, p.Value.Shape) {
			return fmt.Errorf("checkpoint: saved parameter %d is %s %s, the net has %s %s", i,
				s.Name, tensor.ShapeString(s.Value.Shape), p.Name, tensor.ShapeString(p.Value.Shape))
		}
	}
	for i, p := range ps {
		tensor.Copy(p.Value, saved[i].Value)
	}
	return nil
}

func hashFile(path string) (manifestFile, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return manifestFile{}, fmt.Errorf("checkpoint: missing file %s", path)
		}
		return manifestFile{}, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return manifestFile{}, fmt.Errorf("checkpoint: reading %s: %w", path, err)
	}
	return manifestFile{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeFileAtomic writes b to path atomically.
func writeFileAtomic(path string, b []byte) error {
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
