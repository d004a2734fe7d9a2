package main

import (
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
	if !strings.HasPrefix(stdout, `{"model":"egnn"`) || !strings.Contains(stdout, `"samples_per_s":`) {
		t.Errorf("JSON output %s", stdout)
	}
}
