package main

import (
	"encoding/json"
	"math"
	"testing"
)

// TestDemoTiny runs the demo end to end on tiny settings and checks that
// it prints both NLLs and is deterministic.
func TestDemoTiny(t *testing.T) {
	args := []string{"demo", "-steps", "2", "-batch", "8", "-train", "16", "-test", "3", "--json"}
	a, _ := runOK(t, args...)
	var r demoReport
	if err := json.Unmarshal([]byte(a), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 2 || r.Rows[0].Method[:5] != "HI-FM" || r.Rows[1].Method != "OT" {
		t.Fatalf("rows %+v", r.Rows)
	}
	for _, row := range r.Rows {
		if math.IsNaN(row.NLL) || math.IsInf(row.NLL, 0) || row.MeanNFE < 8 {
			t.Errorf("row %+v", row)
		}
	}
	b, _ := runOK(t, append(args, "-threads", "1")...)
	var r2 demoReport
	if err := json.Unmarshal([]byte(b), &r2); err != nil {
		t.Fatal(err)
	}
	for i := range r.Rows {
		if r.Rows[i].NLL != r2.Rows[i].NLL || r.Rows[i].FinalLoss != r2.Rows[i].FinalLoss {
			t.Errorf("demo not deterministic across threads: %+v vs %+v", r.Rows[i], r2.Rows[i])
		}
	}
}
