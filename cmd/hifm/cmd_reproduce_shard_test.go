package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hifm-go/hifm/cmd/internal/repro"
)

// TestMain clears the schedulers' shard variables, so that the suite run
// inside a Slurm array task or an Indexed Job pod tests what it means to
// (tests that want them set them with t.Setenv).
func TestMain(m *testing.M) {
	for _, v := range []string{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
		"SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"} {
		os.Unsetenv(v)
	}
	os.Exit(m.Run())
}

// readReport reads results.json with the timing fields (train_seconds,
// eval_seconds: wall clock, the only fields two runs of a row may differ
// in) zeroed.
func readReport(t *testing.T, dir string) repro.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep repro.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for i := range rep.Rows {
		rep.Rows[i].TrainSeconds, rep.Rows[i].EvalSeconds = 0, 0
	}
	return rep
}

func runFails(t *testing.T, wantCode int, wantErr string, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != wantCode || !strings.Contains(stderr.String(), wantErr) {
		t.Errorf("%q: exit %d, stderr %q: want exit %d and %q", args, code, stderr.String(), wantCode, wantErr)
	}
}

// TestReproduceShardMerge is issue 15's done-when: Table 2 at the smoke
// budget in three shards (-shard k/3, then again from Slurm's variables;
// Kubernetes' index is parsed in TestParseShard), merged, gives the unsharded run's results.json
// rows bit for bit (timing fields excluded) and the same figures.
func TestReproduceShardMerge(t *testing.T) {
	root := t.TempDir()
	full := filepath.Join(root, "full")
	runOK(t, "reproduce", "table2", "-budget", "smoke", "-out", full, "--json")
	want := readReport(t, full)
	if !want.Complete {
		t.Fatal("the unsharded run is not complete")
	}
	shardDirs := map[string][]string{}
	for k := 1; k <= 3; k++ {
		dir := filepath.Join(root, fmt.Sprintf("flag-%d", k))
		runOK(t, "reproduce", "table2", "-budget", "smoke", "-shard", fmt.Sprintf("%d/3", k), "-out", dir)
		shardDirs["flag"] = append(shardDirs["flag"], dir)
	}
	// Slurm: --array=5-9:2 gives tasks 5, 7, 9 (min 5, step 2, count 3).
	for k := 1; k <= 3; k++ {
		dir := filepath.Join(root, fmt.Sprintf("slurm-%d", k))
		t.Setenv("SLURM_ARRAY_TASK_ID", fmt.Sprint(5+2*(k-1)))
		t.Setenv("SLURM_ARRAY_TASK_MIN", "5")
		t.Setenv("SLURM_ARRAY_TASK_STEP", "2")
		t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
		runOK(t, "reproduce", "table2", "-budget", "smoke", "-out", dir)
		shardDirs["slurm"] = append(shardDirs["slurm"], dir)
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")

	for _, how := range []string{"flag", "slurm"} {
		dirs := shardDirs[how]
		// Each shard holds exactly its rows: row k of the table in shard k mod 3 + 1.
		for k, dir := range dirs {
			rep := readReport(t, dir)
			for j, r := range rep.Rows {
				if r.Ran != (j%3 == k) {
					t.Errorf("%s: row %d (%s) ran=%v in shard %d/3", how, j, r.ID, r.Ran, k+1)
				}
			}
		}
		out := filepath.Join(root, "merged-"+how)
		// Shards in any order.
		runOK(t, append([]string{"reproduce", "merge", "-out", out, dirs[2], dirs[0]}, dirs[1])...)
		if diff := cmp.Diff(want, readReport(t, out)); diff != "" {
			t.Errorf("%s: merged results.json differs from the unsharded run (-want +got):\n%s", how, diff)
		}
		for _, f := range []string{"fig4_nll.svg", "fig4_nfe.svg", "energy_hist.svg", "distance_hist.svg", "reference.npy"} {
			a, err1 := os.ReadFile(filepath.Join(full, f))
			b, err2 := os.ReadFile(filepath.Join(out, f))
			if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
				t.Errorf("%s: %s differs from the unsharded run's (%v, %v)", how, f, err1, err2)
			}
		}
		var cfg repro.RunConfig
		b, _ := os.ReadFile(filepath.Join(out, "config.json"))
		if err := json.Unmarshal(b, &cfg); err != nil || len(cfg.MergedFrom) != 3 || len(cfg.Rows) != 10 || cfg.DataSHA256.Test == "" || cfg.Revision == "" {
			t.Errorf("%s: merged config.json: %v, %d shards, %d rows, data %+v, revision %q", how, err, len(cfg.MergedFrom), len(cfg.Rows), cfg.DataSHA256, cfg.Revision)
		}
	}

	// Merge errors (exit 1, each naming the problem).
	d := shardDirs["flag"]
	runFails(t, 1, "shard 3/3 of rows", "reproduce", "merge", d[0], d[1], "-out", filepath.Join(root, "m1"))
	runFails(t, 1, "given twice", "reproduce", "merge", d[0], d[1], d[2], shardDirs["slurm"][1], "-out", filepath.Join(root, "m2"))
	other := filepath.Join(root, "seed2")
	runOK(t, "reproduce", "table2", "-budget", "smoke", "-shard", "3/3", "-seed", "2", "-out", other)
	runFails(t, 1, "differ in options", "reproduce", "merge", d[0], d[1], other, "-out", filepath.Join(root, "m3"))
	otOnly := filepath.Join(root, "ot")
	runOK(t, "reproduce", "table2", "-budget", "smoke", "-rows", "ot", "-out", otOnly)
	runFails(t, 1, "row ot is in both", "reproduce", "merge", d[0], d[1], d[2], otOnly, "-out", filepath.Join(root, "m4"))
	runFails(t, 1, "of 3 shards", "reproduce", "merge", d[0], d[1], d[2], full, "-out", filepath.Join(root, "m5"))
	// A row not in config.json's "finished" (an interrupted rerun into the
	// same directory) is not merged, even with a rows/ID.json left over.
	cfgPath := filepath.Join(d[2], "config.json") // ot is row 5: shard 3
	var cfg map[string]any
	b, _ := os.ReadFile(cfgPath)
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	var kept []any
	for _, id := range cfg["finished"].([]any) {
		if id != "ot" {
			kept = append(kept, id)
		}
	}
	cfg["finished"] = kept
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	runFails(t, 1, "has not finished row ot", "reproduce", "merge", d[0], d[1], d[2], "-out", filepath.Join(root, "m6"))
	runFails(t, 2, "-out DIR is required", "reproduce", "merge", d[0])
	runFails(t, 2, "one of the directories merged", "reproduce", "merge", d[0], "-out", d[0])
	runFails(t, 1, "not a hifm reproduce directory", "reproduce", "merge", root, "-out", filepath.Join(root, "m7"))
}

// TestReproduceShardUsage: bad -shard values and scheduler variables exit
// with status 2 before any work.
func TestReproduceShardUsage(t *testing.T) {
	base := []string{"reproduce", "table2", "-budget", "smoke", "-out", t.TempDir()}
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"-shard", "0/3"}, "want i/n"},
		{nil, []string{"-shard", "4/3"}, "want i/n"},
		{nil, []string{"-shard", "1/0"}, "want i/n"},
		{nil, []string{"-shard", "2"}, "want i/n"},
		{nil, []string{"-shard", "a/b"}, "want i/n"},
		{nil, []string{"-shard", "1/3", "-shards", "4"}, "disagrees"},
		{nil, []string{"-shards", "3"}, "without a scheduler index"},
		{map[string]string{"JOB_COMPLETION_INDEX": "0"}, nil, "give -shards n"},
		{map[string]string{"JOB_COMPLETION_INDEX": "3"}, []string{"-shards", "3"}, "want 0 ≤ index"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "3"}, nil, "not an integer"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, nil, "is shard 4 of 3"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "2"}, nil, "SLURM_ARRAY_TASK_COUNT"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			runFails(t, 2, c.want, append(append([]string{}, base...), c.args...)...)
		})
	}
}

// TestParseShard: the shard from -shard, Slurm's array variables (with
// MIN and STEP) and Kubernetes' JOB_COMPLETION_INDEX with -shards.
func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		flag   string
		shards int
		env    map[string]string
		want   repro.Shard
	}{
		{"", 0, nil, repro.Shard{Index: 1, Count: 1}},
		{"2/5", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "3"}, repro.Shard{Index: 2, Count: 5}},
		{"", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "7"}, repro.Shard{Index: 1, Count: 7}},
		{"", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_COUNT": "3"}, repro.Shard{Index: 3, Count: 3}},
		{"", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "4", "SLURM_ARRAY_TASK_COUNT": "3"}, repro.Shard{Index: 3, Count: 3}},
		{"", 4, map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1"}, repro.Shard{Index: 1, Count: 4}},
		{"", 3, map[string]string{"JOB_COMPLETION_INDEX": "2"}, repro.Shard{Index: 3, Count: 3}},
		{"", 7, map[string]string{"JOB_COMPLETION_INDEX": "0"}, repro.Shard{Index: 1, Count: 7}},
	} {
		got, _, err := parseShard(c.flag, c.shards, func(k string) string { return c.env[k] })
		if err != nil || got != c.want {
			t.Errorf("-shard %q -shards %d %v: got %v, %v; want %v", c.flag, c.shards, c.env, got, err, c.want)
		}
	}
}
