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

func TestBenchGemmJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "gemm", "-n", "40", "-threads", "2", "-runs", "3", "--json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	out := stdout.String()
	var r benchGemmResult
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("output %q does not parse: %v", out, err)
	}
	// Any positive finite rate is plausible; the exact figure is machine-dependent.
	if r.N != 40 || r.Threads != 2 || !(r.GFLOPS > 0 && r.GFLOPS < 1e4) || r.Kernels != kernels.Name() {
		t.Errorf("result %+v", r)
	}
	for _, key := range []string{`"n":`, `"threads":`, `"gflops":`, `"kernels":`} {
		if !strings.Contains(out, key) {
			t.Errorf("output lacks %s: %s", key, out)
		}
	}
	if prev := kernels.SetThreads(0); prev != 0 {
		t.Errorf("-threads 2 left the library setting at %d", prev)
	}
}

func TestBenchGemmText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "gemm", "-n", "8", "-runs", "1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "GFLOP/s") || !strings.Contains(stdout.String(), "n=8") {
		t.Errorf("output %q", stdout.String())
	}
}

func TestBenchGemmBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "0"}, {"-n", "abc"}, {"-n", "100000"}, {"-threads", "-1"}, {"-runs", "0"}, {"--bogus"}, {"extra"},
	} {
		var stdout, stderr bytes.Buffer
		full := append([]string{"bench", "gemm"}, args...)
		if code := run(full, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
		if stderr.Len() == 0 {
			t.Errorf("%v: no error message", args)
		}
	}
}
