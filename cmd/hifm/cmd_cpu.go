package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// cpuReport is the output of `hifm cpu --json`.
type cpuReport struct {
	Model      string   `json:"model"`
	Arch       string   `json:"arch"`
	NumCPU     int      `json:"num_cpu"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	Features   []string `json:"features"`    // numerically relevant ones
	Kernels    string   `json:"kernels"`     // selected set
	GemmKernel string   `json:"gemm_kernel"` // GEMM micro-kernel of that set
	Available  []string `json:"available"`   // sets usable on this CPU, best first
	Threads    int      `json:"threads"`     // GEMM goroutines
}

func init() {
	register(&command{
		name:    "cpu",
		summary: "print the CPU model, its SIMD features and the selected kernel set",
		run:     runCPU,
	})
}

func runCPU(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("cpu", `
Prints the processor model, the instruction-set features the kernels care
about (AVX2, FMA3, AVX512F, ...), and which kernel set is in use: "avx2fma"
(assembly, chosen when the CPU and OS support AVX2 and FMA) or "generic"
(pure Go; forced by HIFM_KERNELS=generic or the purego build tag), and the
GEMM micro-kernel: "avx512 6x16" where AVX-512 is available (same results
as "avx2 6x8", which HIFM_KERNELS=avx2fma selects), "avx2 6x8" or "go 6x8".

examples:
  hifm cpu
  hifm cpu --json`, stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r := cpuReport{
		Model:      kernels.CPUModel(),
		Arch:       runtime.GOARCH,
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Features:   kernels.Features(),
		Kernels:    kernels.Name(),
		GemmKernel: kernels.GemmKernel(),
		Available:  kernels.Available(),
		Threads:    kernels.Threads(),
	}
	if r.Features == nil {
		r.Features = []string{}
	}
	if *asJSON {
		return writeJSON(stdout, r)
	}
	model := r.Model
	if model == "" {
		model = "(unknown)"
	}
	_, err := fmt.Fprintf(stdout, "cpu:       %s\narch:      %s, %d logical CPUs, GOMAXPROCS %d\nfeatures:  %s\nkernels:   %s (available: %s)\ngemm:      %s micro-kernel, %d goroutines\n",
		model, r.Arch, r.NumCPU, r.GOMAXPROCS, strings.Join(r.Features, " "), r.Kernels, strings.Join(r.Available, ", "), r.GemmKernel, r.Threads)
	return err
}
