package main

import (
	"io"

	"github.com/hifm-go/hifm/flow"
)

func explainTrain(out, name string, cfg flow.Config, steps int64, seed uint64, stderr io.Writer) ([]string, error) {
	return nil, nil
}
