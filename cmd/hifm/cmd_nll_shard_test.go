package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nllJSON decodes an nll --json report without its timing fields
// (seconds, seconds_per_sample, threads).
func nllJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	delete(m, "seconds")
	delete(m, "seconds_per_sample")
	delete(m, "threads")
	return m
}

// TestNLLShardMerge: hifm nll in 3 shards (Hutchinson probes included,
// from -shard and from Slurm's variables) merged by hifm nll merge prints
// the unsharded report bit for bit, timing excluded; bad shard sets fail.
func TestNLLShardMerge(t *testing.T) {
	dir := t.TempDir()
	data := writeClusters(t, dir, 20, 1)
	ckpt := filepath.Join(dir, "run")
	runOK(t, append([]string{"train", "-data", data, "-model", "egnn", "-path", "ot", "-steps", "2", "-out", ckpt}, tinyTrain...)...)
	common := []string{"nll", "-ckpt", ckpt, "-data", data, "-n", "7", "-hutchinson", "-seed", "5", "--json"}
	whole, _ := runOK(t, common...)
	want := nllJSON(t, whole)
	var flagDirs, slurmDirs []string
	for k := 1; k <= 3; k++ {
		d := filepath.Join(dir, fmt.Sprintf("flag-%d", k))
		runOK(t, append(common, "-shard", fmt.Sprintf("%d/3", k), "-out", d)...)
		flagDirs = append(flagDirs, d)
	}
	for k := 1; k <= 3; k++ {
		d := filepath.Join(dir, fmt.Sprintf("slurm-%d", k))
		t.Setenv("SLURM_ARRAY_TASK_ID", fmt.Sprint(k))
		t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
		t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
		runOK(t, append(common, "-out", d)...)
		slurmDirs = append(slurmDirs, d)
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	for _, dirs := range [][]string{flagDirs, slurmDirs} {
		got, _ := runOK(t, "nll", "merge", dirs[1], dirs[2], dirs[0], "--json")
		if diff := cmp.Diff(want, nllJSON(t, got)); diff != "" {
			t.Errorf("merged report differs from the unsharded one (-want +got):\n%s", diff)
		}
	}
	other := filepath.Join(dir, "seed6")
	runOK(t, "nll", "-ckpt", ckpt, "-data", data, "-n", "7", "-hutchinson", "-seed", "6", "-shard", "3/3", "-out", other)
	runFails(t, 1, "not shards of one evaluation", "nll", "merge", flagDirs[0], flagDirs[1], other)
	runFails(t, 1, "shard 3/3 is missing", "nll", "merge", flagDirs[0], flagDirs[1])
	runFails(t, 1, "given twice", "nll", "merge", flagDirs[0], flagDirs[1], flagDirs[2], slurmDirs[2])
	runFails(t, 1, "not a hifm nll -out directory", "nll", "merge", dir)
	runFails(t, 2, "give -out DIR", "nll", "-ckpt", ckpt, "-data", data, "-shard", "1/2")
	runFails(t, 2, "want i/n", "nll", "-ckpt", ckpt, "-data", data, "-shard", "3/2", "-out", other)
	runFails(t, 2, "is empty", "nll", "-ckpt", ckpt, "-data", data, "-n", "2", "-shard", "1/3", "-out", other)
}
