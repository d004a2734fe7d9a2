package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hifm-go/hifm/cmd/internal/repro"
)

// shardEnvHelp documents how a command finds its shard.
const shardEnvHelp = `Shards: -shard i/n runs part i of n (1 ≤ i ≤ n). Without -shard the part
comes from the scheduler: Slurm job arrays (SLURM_ARRAY_TASK_ID, _MIN,
_STEP and _COUNT: the task's position in the array is i − 1, the array's
size n; -shards n overrides the count) or Kubernetes Indexed Jobs
(JOB_COMPLETION_INDEX = i − 1, with -shards n = the Job's completions).
Neither set: the whole, 1/1.`

// parseShard returns the shard from -shard, else from the scheduler's
// environment (getenv), else 1/1, and says where it came from.
func parseShard(flagVal string, shards int, getenv func(string) string) (repro.Shard, string, error) {
	if shards < 0 {
		return repro.Shard{}, "", usageError("-shards %d: want ≥ 1", shards)
	}
	if flagVal != "" {
		i, n, ok := strings.Cut(flagVal, "/")
		a, err1 := strconv.Atoi(strings.TrimSpace(i))
		b, err2 := strconv.Atoi(strings.TrimSpace(n))
		s := repro.Shard{Index: a, Count: b}
		if !ok || err1 != nil || err2 != nil || !s.Valid() {
			return s, "", usageError("-shard %q: want i/n with 1 ≤ i ≤ n, e.g. -shard 2/3", flagVal)
		}
		if shards > 0 && shards != b {
			return s, "", usageError("-shard %s disagrees with -shards %d", flagVal, shards)
		}
		return s, "-shard", nil
	}
	envInt := func(name string, def int) (int, bool, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return def, false, nil
		}
		x, err := strconv.Atoi(v)
		if err != nil {
			return 0, true, usageError("%s=%q is not an integer", name, v)
		}
		return x, true, nil
	}
	if id, ok, err := envInt("SLURM_ARRAY_TASK_ID", 0); err != nil {
		return repro.Shard{}, "", err
	} else if ok {
		lo, _, err := envInt("SLURM_ARRAY_TASK_MIN", 0)
		if err != nil {
			return repro.Shard{}, "", err
		}
		step, _, err := envInt("SLURM_ARRAY_TASK_STEP", 1)
		if err != nil {
			return repro.Shard{}, "", err
		}
		count, hasCount, err := envInt("SLURM_ARRAY_TASK_COUNT", 0)
		if err != nil {
			return repro.Shard{}, "", err
		}
		if shards > 0 {
			count, hasCount = shards, true
		}
		if !hasCount {
			return repro.Shard{}, "", usageError("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give -shards n")
		}
		if step < 1 || id < lo || (id-lo)%step != 0 {
			return repro.Shard{}, "", usageError("SLURM_ARRAY_TASK_ID=%d is not in the array %d, %d+%d, …", id, lo, lo, step)
		}
		s := repro.Shard{Index: (id-lo)/step + 1, Count: count}
		if !s.Valid() {
			return s, "", usageError("Slurm array task %d (min %d, step %d) is shard %d of %d: want ≤ %d", id, lo, step, s.Index, count, count)
		}
		return s, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", id), nil
	}
	if idx, ok, err := envInt("JOB_COMPLETION_INDEX", 0); err != nil {
		return repro.Shard{}, "", err
	} else if ok {
		if shards == 0 {
			return repro.Shard{}, "", usageError("JOB_COMPLETION_INDEX is set: give -shards n (the Indexed Job's completions)")
		}
		s := repro.Shard{Index: idx + 1, Count: shards}
		if !s.Valid() {
			return s, "", usageError("JOB_COMPLETION_INDEX=%d: want 0 ≤ index < -shards %d", idx, shards)
		}
		return s, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", idx), nil
	}
	if shards > 0 {
		return repro.Shard{}, "", usageError("-shards %d without a scheduler index: give -shard i/%d", shards, shards)
	}
	return repro.Shard{Index: 1, Count: 1}, "", nil
}
