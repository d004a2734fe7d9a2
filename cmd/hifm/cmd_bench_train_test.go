package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchTrain(t *testing.T) {
	stdout, _ := runOK(t, "bench", "train", "-model", "egnn", "-batch", "8", "-chunk", "4", "-steps", "1", "-threads", "1", "--json")
	var r benchTrainResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if !(r.SamplesPerS > 0) || r.Batch != 8 || r.Threads != 1 || r.Model != "egnn" {
		t.Errorf("result %+v", r)
	}
	// The wire names (what scripts read).
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil || m["model"] != "egnn" || m["samples_per_s"] == nil {
		t.Errorf("JSON output %s (%v)", stdout, err)
	}
}

// TestBenchTrainUNetBudget: -budget times Table 1's step at that budget
// (batch and chunk from experiments.Budgets); it is refused for the EGNN.
func TestBenchTrainUNetBudget(t *testing.T) {
	stdout, _ := runOK(t, "bench", "train", "-model", "unet", "-budget", "small", "-steps", "1", "-threads", "1", "--json")
	var r benchTrainResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if !(r.SamplesPerS > 0) || r.Batch != 16 || r.Chunk != 8 || r.Budget != "small" || !strings.Contains(r.Data, "Table 1") {
		t.Errorf("result %+v", r)
	}
	for _, args := range [][]string{{"-model", "egnn", "-budget", "small"}, {"-model", "unet", "-budget", "huge"}} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"bench", "train", "-steps", "1"}, args...), &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", args, code, stderr.String())
		}
	}
}
