package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hifm-go/hifm/tensor/golden"
	"github.com/hifm-go/hifm/tensor/kernels"
)

var _ = golden.Update

func TestCPUJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"cpu", "--json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	var r cpuReport
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	if r.Kernels != kernels.Name() || (r.Kernels != "avx2fma" && r.Kernels != "generic") {
		t.Errorf("kernels = %q, library uses %q", r.Kernels, kernels.Name())
	}
	if len(r.Available) == 0 || r.Available[len(r.Available)-1] != "generic" {
		t.Errorf("available = %v, want generic last", r.Available)
	}
	if r.GemmKernel != kernels.GemmKernel() || r.GemmKernel == "" {
		t.Errorf("gemm_kernel = %q, library uses %q", r.GemmKernel, kernels.GemmKernel())
	}
	if r.Arch == "" || r.NumCPU < 1 || r.Threads < 1 || r.Features == nil {
		t.Errorf("incomplete report %+v", r)
	}
	if r.Kernels == "avx2fma" && !(contains(r.Features, "AVX2") && contains(r.Features, "FMA3")) {
		t.Errorf("avx2fma selected but features %v lack AVX2/FMA3", r.Features)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestCPUText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"cpu"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	for _, want := range []string{"cpu:", "features:", "kernels:   " + kernels.Name(), "gemm:      " + kernels.GemmKernel()} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestCPUBadFlags(t *testing.T) {
	for _, args := range [][]string{{"cpu", "--bogus"}, {"cpu", "extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if stderr.Len() == 0 {
			t.Errorf("%v: no error message", args)
		}
	}
}
