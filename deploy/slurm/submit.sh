#!/bin/bash
# Submits the Table 1 job array and the merge job that waits for all of
# its tasks. Extra arguments go to the array's sbatch (e.g. --array=0-2,
# --partition=cpu, --cpus-per-task=16). Settings as in table1.sbatch:
#   BUDGET=paper HIFM=$HOME/bin/hifm deploy/slurm/submit.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --export=ALL "$@" "$here/table1.sbatch")
array=${array%%;*} # "id;cluster" on multi-cluster setups
merge=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" "$here/merge.sbatch")
echo "array job $array, merge job ${merge%%;*}"
