package apicheck

import (
	"go/parser"
	"go/token"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/tensor/golden"
)

// api is testdata/api/exported.json: the count and the names per package.
type api struct {
	Counts map[string]int      `json:"counts"`
	Names  map[string][]string `json:"names"`
}

// TestPublicAPI fails on any change of the public API until the golden
// list is regenerated with -update, so the change is seen in review.
func TestPublicAPI(t *testing.T) {
	names, err := Exported("../../..")
	if err != nil {
		t.Fatal(err)
	}
	got := api{Counts: map[string]int{}, Names: names}
	for pkg, ns := range names {
		got.Counts[pkg] = len(ns)
	}
	golden.Check(t, "../../../testdata/api/exported.json",
		"go test ./cmd/internal/apicheck -run TestPublicAPI -update (apicheck.Exported over the module: exported top-level names, methods and struct fields of exported types; cmd/, internal/ and tests excluded)", got)
}

// TestDeclared: which declarations count, on a file that has one of each.
func TestDeclared(t *testing.T) {
	const src = `package p
const A, b = 1, 2
var C int
type T struct{ F, g int; H string }
type u struct{ X int }
type G[P any] struct{}
func (T) M() {}
func (*T) n() {}
func (u) Y() {}
func (*G[P]) Z() {}
func Fn() {}
func fn() {}
`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A", "C", "T", "T.F", "T.H", "G", "T.M", "G.Z", "Fn"}
	if d := cmp.Diff(want, declared(f)); d != "" {
		t.Errorf("declared (-want +got):\n%s", d)
	}
}
