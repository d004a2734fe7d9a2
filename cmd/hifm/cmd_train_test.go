package main

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/tensor/npy"
)

// writeClusters writes n jittered 4-particle configurations (N, 12) to a
// .npy file: small particle data for fast CLI runs.
func writeClusters(t *testing.T, dir string, n int, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	ref := make([]float64, 12)
	for i := range ref {
		ref[i] = 1.2 * rng.NormFloat64()
	}
	data := make([]float64, n*12)
	for i := range n {
		y := data[i*12 : (i+1)*12]
		for j := range y {
			y[j] = ref[j] + 0.1*rng.NormFloat64()
		}
		flow.RemoveCOM(y, 3)
	}
	p := filepath.Join(dir, "clusters.npy")
	if err := npy.WriteFile(p, &npy.Array{Shape: []int{n, 12}, Data: data}); err != nil {
		t.Fatal(err)
	}
	return p
}

var tinyTrain = []string{"-hidden", "8", "-batch", "8", "-chunk", "4", "-lr", "1e-3", "-ckpt-every", "2"}

func runOK(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("hifm %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

func TestTrainNLLSample(t *testing.T) {
	dir := t.TempDir()
	data := writeClusters(t, dir, 20, 1)
	out := filepath.Join(dir, "run")
	stdout, stderr := runOK(t, append([]string{"train", "-data", data, "-model", "egnn", "-path", "hifm", "-projection", "-steps", "3", "-out", out}, tinyTrain...)...)
	if !strings.Contains(stdout, "3 steps") || !strings.Contains(stderr, "train  3/3") {
		t.Errorf("train output:\n%s\n%s", stdout, stderr)
	}
	for _, f := range []string{"checkpoint.json", "train.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	var rep trainReport
	b, _ := os.ReadFile(filepath.Join(out, "train.json"))
	if err := json.Unmarshal(b, &rep); err != nil || rep.StepsDone != 3 || rep.Config.Flow.Kind != flow.PathHIFM || !rep.Config.Flow.Project {
		t.Errorf("train.json: %v, %+v", err, rep)
	}

	stdout, _ = runOK(t, "nll", "-ckpt", out, "-data", data, "-n", "3", "--json")
	var nr nllReport
	if err := json.Unmarshal([]byte(stdout), &nr); err != nil {
		t.Fatalf("nll --json: %v\n%s", err, stdout)
	}
	// 4 particles in 3-D: density on 9 dims, constant 4.5 ln 2π.
	if math.IsNaN(nr.NLL) || math.IsInf(nr.NLL, 0) || nr.N != 0 && nr.N != 3 || nr.DensityDim != 9 || nr.NLLBgflow == nil ||
		math.Abs(nr.LogNormalizer-4.5*math.Log(2*math.Pi)) > 1e-12 || math.Abs(*nr.NLLBgflow-(nr.NLL-nr.LogNormalizer)) > 1e-9 || nr.MeanNFE < 8 {
		t.Errorf("nll report %+v", nr)
	}
	stdout, _ = runOK(t, "nll", "-ckpt", out, "-data", data, "-n", "2")
	if !strings.Contains(stdout, "bgflow convention") || !strings.Contains(stdout, "NFE") {
		t.Errorf("nll text output:\n%s", stdout)
	}
	// The data default to train.json's, and Hutchinson runs.
	runOK(t, "nll", "-ckpt", out, "-n", "2", "-hutchinson", "-probes", "2")

	smp := filepath.Join(dir, "s.npy")
	runOK(t, "sample", "-ckpt", out, "-n", "4", "-out", smp)
	a, err := npy.ReadFile(smp)
	if err != nil || !cmp.Equal(a.Shape, []int{4, 12}) {
		t.Fatalf("samples: %v %v", a, err)
	}
	for _, x := range a.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatal("non-finite sample")
		}
	}
	if _, err := os.Stat(smp + ".json"); err != nil {
		t.Error("no sample config JSON")
	}
}

// TestTrainResume: 2 steps then -resume to 4 gives the parameters of 4
// uninterrupted steps, bit for bit.
func TestTrainResume(t *testing.T) {
	dir := t.TempDir()
	data := writeClusters(t, dir, 10, 2)
	full, part := filepath.Join(dir, "full"), filepath.Join(dir, "part")
	args := append([]string{"train", "-data", data, "-model", "egnn", "-path", "ot"}, tinyTrain...)
	runOK(t, append(args, "-steps", "4", "-out", full, "-threads", "2")...)
	runOK(t, append(args, "-steps", "2", "-out", part, "-threads", "1")...)
	runOK(t, "train", "-out", part, "-resume", "-steps", "4")
	_, a, _, err := train.Load(full)
	if err != nil {
		t.Fatal(err)
	}
	_, b, ck, err := train.Load(part)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Step != 4 {
		t.Fatalf("resumed run ended at step %d", ck.Step)
	}
	for i, p := range a.Params() {
		if !cmp.Equal(p.Value.Data, b.Params()[i].Value.Data) {
			t.Fatalf("parameter %s differs after resume", p.Name)
		}
	}
	// Refuses to overwrite, and to mix settings with -resume.
	var so, se bytes.Buffer
	if code := run(append(args, "-steps", "2", "-out", part), &so, &se); code != 1 || !strings.Contains(se.String(), "-resume") {
		t.Errorf("train into an existing run: exit %d, %s", code, se.String())
	}
	se.Reset()
	if code := run([]string{"train", "-out", part, "-resume", "-lr", "1"}, &so, &se); code != 2 {
		t.Errorf("-resume -lr: exit %d, %s", code, se.String())
	}
}

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	data := writeClusters(t, dir, 10, 3)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"train", "-bogus"}, 2, "flag provided but not defined"},
		{[]string{"train", "-data", data}, 2, "-out"},
		{[]string{"train", "-data", data, "-out", dir + "/x", "-path", "curvy"}, 2, "curvy"},
		{[]string{"train", "-data", data, "-out", dir + "/x", "-model", "transformer"}, 2, "transformer"},
		{[]string{"train", "-data", data, "-out", dir + "/x", "-batch", "0"}, 2, "batch"},
		{[]string{"train", "-data", data, "-out", dir + "/x", "-alpha", "-1"}, 2, "alpha"},
		{[]string{"train", "-data", "nope.npy", "-out", dir + "/x"}, 1, "nope.npy"},
		{[]string{"train", "-data", "cifar", "-out", dir + "/x"}, 2, "cifar"},
		{[]string{"train", "-out", dir + "/none", "-resume"}, 1, "no checkpoint"},
		{[]string{"nll"}, 2, "-ckpt"},
		{[]string{"nll", "-ckpt", dir + "/none"}, 1, "not a directory"},
		{[]string{"nll", "-ckpt", dir, "-rtol", "0"}, 2, "rtol"},
		{[]string{"nll", "-ckpt", dir, "-divergence", "guess"}, 2, "guess"},
		{[]string{"sample", "-ckpt", dir}, 2, "-out"},
		{[]string{"sample", "-ckpt", dir + "/none", "-out", dir + "/s.npy"}, 1, "not a directory"},
		{[]string{"sample", "-ckpt", dir, "-out", dir + "/s.npy", "-n", "0"}, 2, "-n"},
		{[]string{"demo", "-steps", "0"}, 2, "steps"},
		{[]string{"bench", "train", "-model", "resnet"}, 2, "resnet"},
	}
	for _, c := range cases {
		var so, se bytes.Buffer
		code := run(c.args, &so, &se)
		if code != c.code || !strings.Contains(se.String(), c.msg) {
			t.Errorf("hifm %s: exit %d (want %d), stderr %q (want %q)", strings.Join(c.args, " "), code, c.code, se.String(), c.msg)
		}
	}
}

// Ctrl-C during training: exit 1 with a message naming the step, a
// checkpoint that loads, and -resume finishes the run.
func TestTrainInterrupt(t *testing.T) {
	guard := make(chan os.Signal, 1) // keep SIGINT caught (see TestGenLJ13Interrupt)
	signal.Notify(guard, os.Interrupt)
	defer signal.Stop(guard)

	dir := t.TempDir()
	data := writeClusters(t, dir, 20, 4)
	out := filepath.Join(dir, "run")
	stderr := &lockedBuffer{first: make(chan struct{})}
	var stdout bytes.Buffer
	code := make(chan int, 1)
	args := append([]string{"train", "-data", data, "-model", "egnn", "-steps", "1000000", "-out", out}, tinyTrain...)
	go func() { code <- run(args, &stdout, stderr) }()
	select {
	case <-stderr.first:
	case <-time.After(30 * time.Second):
		t.Fatal("no output within 30 s")
	}
	time.Sleep(50 * time.Millisecond)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != exitInterrupted || !strings.Contains(stderr.String(), "interrupted at step") || !strings.Contains(stderr.String(), "-resume") {
			t.Errorf("exit %d, stderr %q", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("train still running 30 s after SIGINT")
	}
	_, _, ck, err := train.Load(out)
	if err != nil {
		t.Fatalf("no usable checkpoint after Ctrl-C: %v", err)
	}
	runOK(t, "train", "-out", out, "-resume", "-steps", itoa(ck.Step+2))
	if _, _, ck2, err := train.Load(out); err != nil || ck2.Step != ck.Step+2 {
		t.Errorf("resume after interrupt: %v, step %v", err, ck2)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
