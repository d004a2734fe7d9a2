package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hifm-go/hifm/tensor/npy"
)

// TestCrosscheckConfigFiles: every crosscheck output gets a JSON config
// beside it, and --json prints the same document.
func TestCrosscheckConfigFiles(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.npy")
	if err := npy.WriteFile(in, &npy.Array{Shape: []int{2, 2}, Data: []float64{2, 1, 1, 2}}); err != nil {
		t.Fatal(err)
	}
	pathIn := pathInput(t, dir, 2, nil)
	ck := lossCkpt(t, dir)
	yIn := writeNPY(t, filepath.Join(dir, "y.npy"), pathIn2(t, pathIn), 2, 12)
	modelIn := modelInput(t, filepath.Join(dir, "x.npz"), 2, 12, true, nil)
	for _, args := range [][]string{
		{"crosscheck", "eig", "-in", in, "-out", filepath.Join(dir, "eig.npz"), "--json"},
		{"crosscheck", "path", "-in", pathIn, "-out", filepath.Join(dir, "path.npz"), "--json"},
		{"crosscheck", "energy", "-energy", "formation", "-ref", yIn, "-in", yIn, "-out", filepath.Join(dir, "energy.npz"), "--json"},
		{"crosscheck", "model", "-ckpt", ck, "-in", modelIn, "-out", filepath.Join(dir, "model.npz"), "--json"},
		{"crosscheck", "loss", "-ckpt", ck, "-in", pathIn, "-out", filepath.Join(dir, "loss.npz"), "--json"},
		{"crosscheck", "nll", "-ckpt", ck, "-in", yIn, "-out", filepath.Join(dir, "nll.npz"), "--json"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		var printed, saved map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &printed); err != nil {
			t.Fatalf("%v: stdout is not JSON: %v", args, err)
		}
		b, err := os.ReadFile(args[len(args)-2] + ".json")
		if err != nil {
			t.Fatalf("%v: no config file: %v", args, err)
		}
		if err := json.Unmarshal(b, &saved); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(saved, printed); d != "" {
			t.Errorf("%v: printed and saved JSON differ:\n%s", args, d)
		}
		if printed["command"] != args[0]+" "+args[1] || printed["in"] == nil {
			t.Errorf("%v: config lacks command or input: %v", args, printed)
		}
	}
}

// pathIn2 returns the y1 rows of a pathInput file.
func pathIn2(t *testing.T, path string) []float64 {
	t.Helper()
	a, err := npy.ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	return a["y1"].Data
}
