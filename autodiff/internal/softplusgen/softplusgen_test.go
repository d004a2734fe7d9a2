package softplusgen

import (
	"bytes"
	"os"
	"testing"
)

// TestSoftplusAsmGenerated: the committed assembly is the generator's
// output byte for byte (after editing the generator, run
// `go generate ./autodiff`).
func TestSoftplusAsmGenerated(t *testing.T) {
	want, err := os.ReadFile("../../fused_softplus_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	got := Generate()
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range min(len(gl), len(wl)) {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Fatalf("fused_softplus_amd64.s is stale (run go generate ./autodiff): line %d is\n%s\nthe generator writes\n%s", i+1, wl[i], gl[i])
			}
		}
		t.Fatalf("fused_softplus_amd64.s is stale (run go generate ./autodiff): %d lines, the generator writes %d", len(wl), len(gl))
	}
}
