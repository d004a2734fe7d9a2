package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/npy"
)

// trainedCheckpoint returns a checkpoint of a small EGNN after two AdamW
// steps (moments and EMA non-trivial).
func trainedCheckpoint(t *testing.T) (*Checkpoint, Net) {
	t.Helper()
	net, err := New(NetConfig{Kind: "egnn", Particles: 4, Hidden: 8, Layers: 2}, 5)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultAdamW()
	cfg.EMADecay, cfg.ClipNorm = 0.99, 10
	opt, err := NewAdamW(cfg, net.Params())
	if err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(2)
	for range 2 {
		g := autodiff.NewGraph()
		p := Bind(g, net)
		loss := scalarLoss(g, net, p, g.Const(tensor.RandN(rng, 3, 12)), g.Const(tensor.RandU(rng, 0, 1, 3, 1)), tensor.RandN(rng, 3, 12))
		grads, err := autodiff.GradValues(loss, p...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := opt.Update(net.Params(), grads); err != nil {
			t.Fatal(err)
		}
	}
	return &Checkpoint{Net: net.Config(), Params: net.Params(), Optim: opt, Step: 2,
		Train: json.RawMessage(`{"batch":256,"lr_schedule":"constant"}`), RNG: []byte{1, 2, 3, 250}}, net
}

func flat(ts []*tensor.Tensor) [][]float64 {
	var out [][]float64
	for _, t := range ts {
		out = append(out, t.Data)
	}
	return out
}

func TestCheckpointRoundTrip(t *testing.T) {
	ck, net := trainedCheckpoint(t)
	dir := t.TempDir()
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Bit-exact: float64 arrays are stored as '<f8'.
	var want, have []*tensor.Tensor
	for i, p := range ck.Params {
		want, have = append(want, p.Value), append(have, got.Params[i].Value)
		if got.Params[i].Name != p.Name {
			t.Errorf("param %d named %q, want %q", i, got.Params[i].Name, p.Name)
		}
	}
	if d := cmp.Diff(flat(want), flat(have)); d != "" {
		t.Errorf("params differ: %s", d)
	}
	for name, pair := range map[string][2][]*tensor.Tensor{"m": {ck.Optim.M, got.Optim.M}, "v": {ck.Optim.V, got.Optim.V}, "ema": {ck.Optim.EMA, got.Optim.EMA}} {
		if d := cmp.Diff(flat(pair[0]), flat(pair[1])); d != "" {
			t.Errorf("optimiser %s differs: %s", name, d)
		}
	}
	if got.Optim.Step != 2 || got.Step != 2 || got.Optim.Cfg != ck.Optim.Cfg || !cmp.Equal(got.RNG, ck.RNG) ||
		!cmp.Equal(got.Net, ck.Net) || string(got.Train) != string(ck.Train) {
		t.Errorf("metadata differs: %+v vs %+v", got, ck)
	}
	// The restored net computes the same bits.
	rnet, err := got.Restore()
	if err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(4)
	y, s := tensor.RandN(rng, 2, 12), tensor.RandU(rng, 0, 1, 2, 1)
	if d := cmp.Diff(forward(t, net, y, s).Data, forward(t, rnet, y, s).Data); d != "" {
		t.Errorf("restored net differs: %s", d)
	}
	// params.npz is a plain npz of the named parameters.
	m := readManifest(t, dir)
	arrs, err := npy.ReadNPZ(filepath.Join(dir, m.Generation, "params.npz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(arrs) != len(ck.Params) || arrs[ck.Params[0].Name] == nil {
		t.Errorf("params.npz holds %d arrays", len(arrs))
	}

	// A second save replaces the generation and removes the old one.
	ck.Step = 3
	ck.Params[0].Value.Data[0] += 1
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	got, err = LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != 3 || got.Params[0].Value.Data[0] != ck.Params[0].Value.Data[0] {
		t.Error("second save not loaded")
	}
	gens, _ := filepath.Glob(filepath.Join(dir, "ckpt-*"))
	if len(gens) != 1 {
		t.Errorf("generations left: %v", gens)
	}
	// Saving the same step again picks a fresh generation name.
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
}

func readManifest(t *testing.T, dir string) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckpointCorruption(t *testing.T) {
	ck, _ := trainedCheckpoint(t)
	for _, c := range []struct {
		name   string
		break_ func(dir, gen string)
		want   string
	}{
		{"no manifest", func(dir, gen string) { os.Remove(filepath.Join(dir, manifestName)) }, "no checkpoint"},
		{"manifest garbage", func(dir, gen string) { os.WriteFile(filepath.Join(dir, manifestName), []byte("{"), 0o644) }, "corrupt manifest"},
		{"flipped byte", func(dir, gen string) {
			p := filepath.Join(dir, gen, "params.npz")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x40
			os.WriteFile(p, b, 0o644)
		}, "corrupt or incomplete"},
		{"truncated optim", func(dir, gen string) {
			p := filepath.Join(dir, gen, "optim.npz")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-10], 0o644)
		}, "corrupt or incomplete"},
		{"missing config", func(dir, gen string) { os.Remove(filepath.Join(dir, gen, "config.json")) }, "missing file"},
		{"missing generation", func(dir, gen string) { os.RemoveAll(filepath.Join(dir, gen)) }, "missing file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := SaveCheckpoint(dir, ck); err != nil {
				t.Fatal(err)
			}
			c.break_(dir, readManifest(t, dir).Generation)
			_, err := LoadCheckpoint(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// A crash after the new generation was renamed into place but before the
// manifest was replaced (or while a temporary directory was being written)
// leaves the previous checkpoint intact and loadable.
func TestCheckpointCrashLeavesPrevious(t *testing.T) {
	ck, _ := trainedCheckpoint(t)
	dir := t.TempDir()
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	// Simulate leftovers of an interrupted later save.
	os.MkdirAll(filepath.Join(dir, ".tmp-ckpt-123"), 0o755)
	os.WriteFile(filepath.Join(dir, ".tmp-ckpt-123", "params.npz"), []byte("partial"), 0o644)
	os.MkdirAll(filepath.Join(dir, "ckpt-000000099"), 0o755)
	os.WriteFile(filepath.Join(dir, "ckpt-000000099", "params.npz"), []byte("orphan"), 0o644)
	got, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != ck.Step {
		t.Errorf("step %d", got.Step)
	}
	// The next successful save cleans up.
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*ckpt-*"))
	if len(left) != 1 {
		t.Errorf("left over: %v", left)
	}
}

func TestCheckpointRestoreMismatch(t *testing.T) {
	ck, _ := trainedCheckpoint(t)
	ck.Net.Hidden = 16
	if _, err := ck.Restore(); err == nil || !strings.Contains(err.Error(), "saved parameter") {
		t.Errorf("Restore with a wrong config: %v", err)
	}
	bad := *ck
	bad.Train = json.RawMessage("{oops")
	if err := SaveCheckpoint(t.TempDir(), &bad); err == nil {
		t.Error("saved invalid train JSON")
	}
	noEMA := *ck.Optim
	noEMA.EMA = nil
	bad = *ck
	bad.Optim = &noEMA
	if err := SaveCheckpoint(t.TempDir(), &bad); err == nil || !strings.Contains(err.Error(), "EMA") {
		t.Errorf("saved ema_decay > 0 without EMA tensors: %v", err)
	}
}
