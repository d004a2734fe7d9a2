#!/bin/bash
# End-to-end test of the Slurm path on this machine (make test-slurm; not
# part of make test or CI): installs Debian's slurm-wlm and munge if
# missing, starts munged, slurmctld and slurmd for localhost only with a
# minimal slurm.conf in a temporary directory, submits Table 2 at the smoke
# budget as a 3-task array plus the dependent merge job (deploy/slurm/
# submit.sh), waits (at most TIMEOUT seconds, default 600), and checks that
# the merged results.json equals an unsharded run's, timing fields
# (train_seconds, eval_seconds) excluded, and that the figures are
# byte-identical. Needs root (daemons, apt). Stops only the daemons it
# started. Log: $WORK/test-slurm.log (printed at the end).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
TIMEOUT=${TIMEOUT:-600}
WORK=$(mktemp -d /tmp/hifm-slurm.XXXXXX)
LOG=$WORK/test-slurm.log
exec > >(tee "$LOG") 2>&1
say() { echo "[$(date -u +%H:%M:%S)] $*"; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
	say "installing slurm-wlm and munge (apt)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge >/dev/null
fi
say "$(slurmctld -V), $(munged -V 2>&1 | head -1)"

pids=()
cleanup() {
	if [ -n "${SLURM_CONF:-}" ] && command -v scancel >/dev/null; then
		scancel --quiet --user="$(id -un)" 2>/dev/null || true
	fi
	local pid
	for f in "$WORK/slurmd.pid" "$WORK/slurmctld.pid" "$WORK/munged.pid"; do
		if [ -s "$f" ]; then
			pid=$(cat "$f")
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 50); do # wait (≤ 10 s) until it has exited
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.2
			done
		fi
	done
}
trap cleanup EXIT

say "building hifm (CGO_ENABLED=0) into $WORK"
(cd "$repo" && CGO_ENABLED=0 go build -buildvcs=auto -o "$WORK/hifm" ./cmd/hifm)

# munge with its own key and socket.
mkdir -p "$WORK/munge"
chmod 700 "$WORK/munge"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
munged --force --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.sock" \
	--pid-file="$WORK/munged.pid" --log-file="$WORK/munged.log" --seed-file="$WORK/munge/munge.seed"

mkdir -p "$WORK/state" "$WORK/spool"
cat >"$WORK/slurm.conf" <<CONF
ClusterName=hifmtest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$WORK/munge/munge.sock
CredType=cred/munge
SlurmUser=$(id -un)
SlurmdUser=root
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$WORK/slurm.conf
slurmctld -i
slurmd -N localhost
say "waiting for the node"
for _ in $(seq 60); do
	if sinfo -h -o %T 2>/dev/null | grep -qx idle; then break; fi
	sleep 1
done
sinfo

say "unsharded reference run"
cd "$WORK" # the jobs run here too: the same LJ13 data (shared or generated)
"$WORK/hifm" reproduce table2 -budget smoke -out "$WORK/ref" >"$WORK/ref.txt" 2>"$WORK/ref.err"

say "submitting the array (3 tasks) and the merge job"
out=$(HIFM=$WORK/hifm TABLE=table2 BUDGET=smoke RUN_DIR=$WORK/run \
	"$repo/deploy/slurm/submit.sh" --array=0-2 --cpus-per-task=1 --mem=500M --time=10)
echo "$out"
merge=${out##* }
deadline=$((SECONDS + TIMEOUT))
while squeue -h 2>/dev/null | grep -q .; do
	if [ $SECONDS -ge $deadline ]; then
		squeue
		say "FAIL: jobs still queued or running after ${TIMEOUT}s"
		exit 1
	fi
	sleep 2
done
say "all jobs left the queue"
for f in "$WORK"/hifm-*.log; do
	echo "--- $(basename "$f")"
	tail -n 3 "$f"
done
m=$WORK/run/merged
if [ ! -s "$m/results.json" ]; then
	say "FAIL: no merged results.json (merge job $merge); slurmctld log tail:"
	tail -n 20 "$WORK/slurmctld.log"
	exit 1
fi
strip() { grep -v -e '"train_seconds"' -e '"eval_seconds"' "$1"; }
if ! diff <(strip "$WORK/ref/results.json") <(strip "$m/results.json"); then
	say "FAIL: merged results.json differs from the unsharded run"
	exit 1
fi
for f in fig4_nll.svg fig4_nfe.svg energy_hist.svg distance_hist.svg; do
	cmp "$WORK/ref/$f" "$m/$f"
done
rows=$(grep -c '"ran": true' "$m/results.json")
say "PASS: merged table of $rows rows from $(ls -d "$WORK"/run/shard-* | wc -l) Slurm array tasks equals the unsharded run (timing fields excluded); figures identical"
cat "$WORK/ref.txt" | head -16
