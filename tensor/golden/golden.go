// Package golden keeps golden files for tests: JSON files under testdata/
// that record a value together with how it was produced. `go test ./...
// -update` rewrites the files of Go-generated references; files produced by
// external tools (SciPy, PyTorch) are written by the scripts kept beside them
// and are only read here.
//
// Every test package imports this package (if only through Update), so that
// the -update flag is defined in every test binary of `go test ./... -update`.
package golden

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/tensor/atomicfile"
)

// Update is the -update flag: rewrite Go-generated golden files.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/")

// File is the on-disk form of a golden file.
type File[T any] struct {
	// ProducedBy says how the value was made: generator, parameters, and
	// for external references the tool and its version.
	ProducedBy string `json:"produced_by"`
	Value      T      `json:"value"`
}

// Check compares got with the golden value in path (relative to the test's
// working directory). With -update it first rewrites the file from got,
// recording producedBy. opts go to cmp.Diff (e.g. cmpopts.EquateApprox).
func Check[T any](t testing.TB, path, producedBy string, got T, opts ...cmp.Option) {
	t.Helper()
	if *Update {
		if err := Write(path, producedBy, got); err != nil {
			t.Fatalf("golden: %v", err)
		}
	}
	want, err := Read[T](path)
	if err != nil {
		t.Fatalf("golden: %v (regenerate with: go test -run %s -update)", err, t.Name())
	}
	if d := cmp.Diff(want.Value, got, opts...); d != "" {
		t.Errorf("golden %s mismatch (-want +got):\n%s", path, d)
	}
}

// Read loads a golden file.
func Read[T any](path string) (*File[T], error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File[T]
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &f, nil
}

// Write stores value and its provenance in path atomically.
func Write[T any](path, producedBy string, value T) error {
	b, err := json.MarshalIndent(File[T]{ProducedBy: producedBy, Value: value}, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}
