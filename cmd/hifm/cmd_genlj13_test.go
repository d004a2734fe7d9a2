package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hifm-go/hifm/tensor/npy"
)

// Small settings so the test takes well under a second; the statistics of
// full-size runs are tested in flow/dataset.
var genSmall = []string{"-n", "24", "-chains", "4", "-burnin", "60", "-thin", "3"}

func TestGenLJ13(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lj.npy")
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"gen-lj13", "-seed", "5", "-out", out, "-threads", "1"}, genSmall...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	a, err := npy.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 2 || a.Shape[0] != 24 || a.Shape[1] != 39 {
		t.Fatalf("output shape %v, want [24 39]", a.Shape)
	}
	for i := range 24 { // mean-free to rounding
		for k := range 3 {
			var c float64
			for p := range 13 {
				c += a.Data[i*39+p*3+k]
			}
			if math.Abs(c) > 1e-12 {
				t.Fatalf("sample %d: COM component %d sums to %v", i, k, c)
			}
		}
	}
	for _, want := range []string{"wrote " + out, "mean energy", "acceptance"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "gen-lj13  ") || !strings.Contains(stderr.String(), "done in") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
	js, err := os.ReadFile(out + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var rep genLJ13Report
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Settings
	if rep.Command != "gen-lj13" || rep.HifmVersion == "" || s.N != 24 || s.Seed != 5 || s.Chains != 4 || s.BurnIn != 60 || s.Thin != 3 ||
		s.EpsilonLJ != 2 || rep.Stats.Trajectories != 4*60+3*24 || !(rep.Stats.AcceptRate > 0) || math.IsNaN(rep.Stats.MeanEnergy) {
		t.Errorf("config JSON:\n%s", js)
	}

	// --json prints the same report; -threads 2 gives the same bits.
	out2 := filepath.Join(dir, "lj2.npy")
	stdout.Reset()
	if code := run(append([]string{"gen-lj13", "-seed", "5", "-out", out2, "-threads", "2", "--json"}, genSmall...), &stdout, &stderr); code != 0 {
		t.Fatalf("--json: exit %d, stderr:\n%s", code, stderr.String())
	}
	var rep2 genLJ13Report
	if err := json.Unmarshal(stdout.Bytes(), &rep2); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout.String())
	}
	if rep2.Stats.MeanEnergy != rep.Stats.MeanEnergy || rep2.Threads != 2 {
		t.Errorf("--json report: mean %v threads %d; want mean %v threads 2", rep2.Stats.MeanEnergy, rep2.Threads, rep.Stats.MeanEnergy)
	}
	b1, _ := os.ReadFile(out)
	b2, _ := os.ReadFile(out2)
	if !bytes.Equal(b1, b2) {
		t.Error("-threads 1 and -threads 2 wrote different files")
	}
}

func TestGenLJ13Errors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.npy")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-n", "10"}, 2, "-out"},
		{[]string{"-n", "0", "-out", out}, 2, "≥ 1"},
		{[]string{"-n", "-5", "-out", out}, 2, "≥ 1"},
		{[]string{"-n", "abc", "-out", out}, 2, "invalid value"},
		{[]string{"-thin", "0", "-out", out}, 2, "-thin"},
		{[]string{"-step", "-1", "-out", out}, 2, "-step"},
		{[]string{"-threads", "-2", "-out", out}, 2, "-threads"},
		{[]string{"-out", out, "extra"}, 2, "unexpected argument"},
		{[]string{"-n", "4", "-out", filepath.Join(dir, "no", "such", "dir", "x.npy")}, 1, "cannot write"},
		{[]string{"-n", "4", "-out", dir}, 1, "is a directory"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"gen-lj13"}, tc.args...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, stderr.String(), tc.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run wrote the output file")
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"gen-lj13", "-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "hifm gen-lj13 -n 10000") {
		t.Errorf("-h: exit %d, help %q", code, stderr.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a
// running command and reads of the test; first is closed at the first write.
type lockedBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan struct{}
	once  sync.Once
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.once.Do(func() { close(b.first) })
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Ctrl-C during generation: exit 130 (as every interrupted command), a
// clear message, no output file.
func TestGenLJ13Interrupt(t *testing.T) {
	// Keep SIGINT caught for the whole test, so a signal arriving after the
	// command restored default handling cannot kill the test binary.
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, os.Interrupt)
	defer signal.Stop(guard)

	out := filepath.Join(t.TempDir(), "big.npy")
	stderr := &lockedBuffer{first: make(chan struct{})}
	var stdout bytes.Buffer
	code := make(chan int, 1)
	go func() { code <- run([]string{"gen-lj13", "-n", "200000", "-out", out}, &stdout, stderr) }()
	select {
	case <-stderr.first: // the first progress line: generation is running
	case <-time.After(30 * time.Second):
		t.Fatal("no progress within 30 s")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != exitInterrupted || !strings.Contains(stderr.String(), "interrupted; nothing written") {
			t.Errorf("exit %d, stderr %q", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("gen-lj13 still running 30 s after SIGINT")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("interrupted run wrote its output")
	}
}
