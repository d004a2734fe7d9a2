package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// reproJSON is the --json document as a consumer reads it.
type reproJSON struct {
	Convention string `json:"convention"`
	Rows       []struct {
		Method      string   `json:"method"`
		Projection  *bool    `json:"projection"`
		Hyperbolize *bool    `json:"hyperbolize"`
		Isotropic   *bool    `json:"isotropic"`
		NLL         *float64 `json:"nll"`
		NFE         *float64 `json:"nfe"`
		NLLBgflow   *float64 `json:"nll_bgflow"`
		PaperNLL    float64  `json:"paper_nll"`
		PaperNFE    int      `json:"paper_nfe"`
		Error       string   `json:"error"`
	} `json:"rows"`
}

// TestReproduceTable2Smoke runs the whole of Table 2 at the smoke budget
// (a few seconds) and checks that the table is complete and finite, in the
// paper's order with its numbers, and that every output file is written.
func TestReproduceTable2Smoke(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"reproduce", "table2", "-budget", "smoke", "-out", dir, "--json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc reproJSON
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(doc.Convention, "33.08") {
		t.Errorf("convention %q does not state the LJ13 constant", doc.Convention)
	}
	if len(doc.Rows) != 10 {
		t.Fatalf("%d rows, want 10", len(doc.Rows))
	}
	wantMethods := []string{"Form.", "Form.", "Form.", "Int.", "Form.", "OT", "Form.", "Form.", "Form.", "Form."}
	for i, r := range doc.Rows {
		if r.Method != wantMethods[i] {
			t.Errorf("row %d: method %q, want %q", i, r.Method, wantMethods[i])
		}
		if r.NLL == nil || r.NFE == nil || math.IsNaN(*r.NLL) || *r.NFE <= 0 || r.Error != "" {
			t.Errorf("row %d (%s): nll %v nfe %v error %q", i, r.Method, r.NLL, r.NFE, r.Error)
			continue
		}
		// bgflow = normalised − ½·36·ln 2π (HIFM-MATH §6).
		if r.NLLBgflow == nil || math.Abs(*r.NLL-*r.NLLBgflow-18*math.Log(2*math.Pi)) > 1e-9 {
			t.Errorf("row %d: nll %v, bgflow %v", i, *r.NLL, r.NLLBgflow)
		}
		if (r.Method == "Form.") != (r.Projection != nil && r.Hyperbolize != nil && r.Isotropic != nil) {
			t.Errorf("row %d: options %v %v %v", i, r.Projection, r.Hyperbolize, r.Isotropic)
		}
	}
	if r := doc.Rows[0]; r.PaperNLL != 24.855 || r.PaperNFE != 26 || *r.Projection || !*r.Hyperbolize || *r.Isotropic {
		t.Errorf("first row %+v, want Form. ✗ ✓ ✗ 24.855 26", r)
	}
	for _, f := range []string{"results.csv", "results.json", "config.json", "fig4_nll.svg", "energy_hist.svg", "distance_hist.svg"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("output %s: %v", f, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "results.csv"))
	if n := strings.Count(string(csv), "\n"); n != 11 {
		t.Errorf("results.csv has %d lines, want 11", n)
	}
}

// TestReproduceTable1Smoke runs two rows of Table 1 at an even smaller
// setting (1 step) and checks the rows, the text table and the pictures.
func TestReproduceTable1Smoke(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"reproduce", "table1", "-budget", "smoke", "-steps", "1", "-rows", "inte-a10,ot", "-out", dir}, &stdout, &stderr)
	if code != 0 {
		if strings.Contains(stderr.String(), "go mod download") {
			t.Skipf("MNIST not in the module cache: %s", stderr.String())
		}
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"Interpolant α=1.0", "-4349.63", "Optimal Transport", "-4294.33", "Data α=1.5"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "not run") {
		t.Errorf("rows outside -rows should read 'not run':\n%s", out)
	}
	for _, f := range []string{"fig3_nll.svg", "fig3_nfe.svg", "samples_ot.png", "samples_inte-a10.png", "config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("output %s: %v", f, err)
		}
	}
}

// TestReproduceUsage: bad tables, budgets and flags exit with status 2.
func TestReproduceUsage(t *testing.T) {
	for _, args := range [][]string{
		{"reproduce"},
		{"reproduce", "table3"},
		{"reproduce", "table2", "-budget", "huge"},
		{"reproduce", "table2", "-condition", "0"},
		{"reproduce", "table2", "-rows", "nope"},
		{"reproduce", "table2", "extra"},
		{"reproduce", "table2", "-threads", "-1"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
}

// TestReproduceMissingData: an explicit -data directory without the LJ13
// splits is an error naming the file (no silent fallback to generated data).
func TestReproduceMissingData(t *testing.T) {
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "nope")
	code := run([]string{"reproduce", "table2", "-budget", "smoke", "-data", missing, "-out", t.TempDir()}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "val_split_LJ13-1000.npy") {
		t.Errorf("exit %d, stderr %q: want 1 and the missing file named", code, stderr.String())
	}
}
