package train

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/model"
)

// Save writes a checkpoint of the run into dir (model.SaveCheckpoint:
// params.npz, optim.npz and config.json, atomically): the network, the
// AdamW state, the step and this package's Config as the "train" entry.
// No generator state is needed: step k's randomness is a function of
// (Seed, k), so a resumed run draws exactly what the uninterrupted one would.
func (t *Trainer) Save(dir string) error {
	js, err := json.Marshal(t.Cfg)
	if err != nil {
		return err
	}
	return model.SaveCheckpoint(dir, &model.Checkpoint{Net: t.Net.Config(), Params: t.Net.Params(),
		Optim: t.Opt, Step: t.Step, Train: js})
}

// Load reads a checkpoint written by Save: the training config, the
// network with its parameters, and the checkpoint (optimiser state, step).
func Load(dir string) (Config, model.Net, *model.Checkpoint, error) {
	ck, err := model.LoadCheckpoint(dir)
	if err != nil {
		return Config{}, nil, nil, err
	}
	var cfg Config
	if len(ck.Train) == 0 {
		return Config{}, nil, nil, fmt.Errorf("train: checkpoint %s has no training config (not written by hifm train?)", dir)
	}
	dec := json.NewDecoder(bytes.NewReader(ck.Train))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, nil, nil, fmt.Errorf("train: checkpoint %s: training config: %v", dir, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, nil, nil, fmt.Errorf("train: checkpoint %s: %w", dir, err)
	}
	net, err := ck.Restore()
	if err != nil {
		return Config{}, nil, nil, err
	}
	return cfg, net, ck, nil
}

// Resume continues the run checkpointed in dir on the same training set.
// steps > 0 replaces the total number of steps (to train longer); the
// result is then bit-identical to a run started with that many steps.
func Resume(dir string, set *dataset.Set, steps int64, workers int) (*Trainer, error) {
	cfg, net, ck, err := Load(dir)
	if err != nil {
		return nil, err
	}
	if ck.Optim == nil {
		return nil, fmt.Errorf("train: checkpoint %s has no optimiser state; cannot resume", dir)
	}
	if steps > 0 {
		cfg.Steps = steps
	}
	if cfg.Data != nil && set != nil {
		if got := fingerprint(set); *got != *cfg.Data {
			return nil, fmt.Errorf("train: checkpoint %s was trained on other data (%d×%d, sha256 %.12s…) than given (%d×%d, sha256 %.12s…); resuming would change the batches",
				dir, cfg.Data.N, cfg.Data.Dim, cfg.Data.SHA256, got.N, got.Dim, got.SHA256)
		}
	}
	return newTrainer(cfg, net, ck.Optim, ck.Step, set, workers)
}
