//go:build ignore

// Command fused_softplus_gen writes fused_softplus_amd64.s (package
// autodiff/internal/softplusgen): run `go generate ./autodiff`.
package main

import (
	"log"

	"github.com/hifm-go/hifm/autodiff/internal/softplusgen"
	"github.com/hifm-go/hifm/tensor/atomicfile"
)

func main() {
	if err := atomicfile.Write("fused_softplus_amd64.s", softplusgen.Generate()); err != nil {
		log.Fatal(err)
	}
}
