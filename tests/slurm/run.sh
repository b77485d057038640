#!/usr/bin/env bash
# run.sh - the Slurm scripts tested on a real one-node Slurm (`make test-slurm`, as root, from the
# repo root): installs slurm-wlm and munge when missing, starts munged (unless running) and a private
# slurmctld + slurmd from a temporary slurm.conf, then checks that
#   1. slurm/submit.sh single (slurm/single-node.sbatch, srun --mpi=pmix or mpirun) gives the same
#      /cells as a direct `mpirun robusta bench` of the same small config;
#   2. the job array (prepare -> shards -> merge, afterok) gives one results.h5 equal to it;
#   3. a job signalled with USR1 (as before its time limit) requeues itself and resumes its run
#      directory (log.txt shows "resume:"), ending with the same numbers as a direct run.
# Stops only what it started (by pid) and removes its temporary directory. Ends "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROBUSTA=$ROOT/bin/robusta
PASS=0 FAILED=0
ok()   { echo "ok   $*"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }
finish() { echo "$PASS passed, $FAILED failed"; ((FAILED == 0)); exit $?; }
# Slurm itself could not be installed or started (not a robusta failure). With ROBUSTA_SLURM_OPTIONAL=1
# (CI on machines that may not allow daemons) this skips the test with the reason; otherwise it fails.
infra_fail() {
  if [[ ${ROBUSTA_SLURM_OPTIONAL:-0} == 1 ]]; then
    echo "skip: the Slurm test could not start Slurm on this machine: $*"; exit 0  # the EXIT trap stops what was started
  fi
  fail "$*"; finish
}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

[[ $(id -u) == 0 ]] || { fail "the Slurm test needs root (it starts slurmctld, slurmd and munged)"; finish; }
[[ -x $ROBUSTA ]] || { fail "no $ROBUSTA (run make first)"; finish; }

T=$(mktemp -d /tmp/robusta-slurm.XXXXXX)
chmod 755 "$T"
MUNGE_PID= CTLD_PID= SLURMD_PID=
cleanup() {
  local p
  for p in "$SLURMD_PID" "$CTLD_PID"; do
    [[ -n $p ]] && kill "$p" 2>/dev/null
  done
  for p in "$SLURMD_PID" "$CTLD_PID"; do
    [[ -n $p ]] || continue
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  [[ -n $MUNGE_PID ]] && kill "$MUNGE_PID" 2>/dev/null
  if [[ ${ROBUSTA_SLURM_KEEP:-0} == 1 ]]; then echo "# kept $T (ROBUSTA_SLURM_KEEP=1)"; else rm -rf "$T"; fi
}
trap cleanup EXIT

# ---- 1. packages, munge ----
if ! command -v slurmctld >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "# installing slurm-wlm and munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge >"$T/apt.log" 2>&1 ||
    { apt-get update >>"$T/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge >>"$T/apt.log" 2>&1; } ||
    { infra_fail "apt-get install slurm-wlm munge (log: $(tail -3 "$T/apt.log"))"; }
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [[ ! -f /etc/munge/munge.key ]]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /var/run/munge /var/log/munge && chown munge:munge /var/run/munge /var/log/munge
  /usr/sbin/munged --force 2>>"$T/munged.log"
  sleep 0.5
  MUNGE_PID=$(cat /var/run/munge/munged.pid 2>/dev/null)
fi
if munge -n | unmunge 2>&1 | grep -q 'STATUS: *Success'; then ok "munge works"; else infra_fail "munge -n | unmunge"; fi

# ---- 2. a private one-node Slurm ----
host=$(hostname -s)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
mkdir -p "$T"/{state,spool,log}
export SLURM_CONF=$T/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=robusta-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
JobRequeue=1
MinJobAge=600
KillWait=5
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF" || { infra_fail "starting slurmctld/slurmd"; }
for _ in $(seq 50); do [[ -s $T/slurmctld.pid && -s $T/slurmd.pid ]] && break; sleep 0.2; done
CTLD_PID=$(cat "$T/slurmctld.pid" 2>/dev/null) SLURMD_PID=$(cat "$T/slurmd.pid" 2>/dev/null)
up=0
for _ in $(seq 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -qx idle; then up=1; break; fi
  sleep 0.5
done
if ((up)); then ok "one-node Slurm up (node $host idle)"; else
  infra_fail "node not idle: $(sinfo 2>&1 | tail -2); $(tail -3 "$T/log/slurmctld.log")"; fi
if srun --mpi=list 2>&1 | grep -qw pmix; then echo "# srun --mpi=list has pmix: the scripts launch with srun --mpi=pmix"
else echo "# srun --mpi=list lacks pmix: the scripts fall back to mpirun"; fi

# ---- the small config, a direct run to compare against ----
small=(-c configs/default.cfg
  --set data.datasets.[0].n_train=60 --set data.datasets.[0].n_train_violent=29
  --set data.datasets.[0].n_test=20 --set data.datasets.[0].n_test_violent=12
  --set data.datasets.[1].n_test=10 --set data.datasets.[1].n_test_violent=5
  --set model.hidden1=64 --set model.hidden2=16 --set train.epochs=2 --set train.batch=16
  --set gmm.components=4 --set gmm.subsample=3000
  --set "grid.visual=[gaussian_noise,fog]" --set "grid.audio=[clipping,reverb]" --set "grid.severities=[1,5]"
  --set "data.dir=\"$T/data\"" --set "run.out_root=\"$T/runs\"")
mpirun --oversubscribe -np 2 "$ROBUSTA" bench "${small[@]}" --out "$T/runs/direct" >"$T/direct.log" 2>&1 ||
  { fail "direct mpirun bench (log: $(tail -3 "$T/direct.log"))"; finish; }
ok "direct mpirun run of the small config"

# cells_of FILE: the /cells datasets as text (h5dump, without the file name line)
cells_of() {
  local ds
  for ds in dataset corruption modality severity method ap ap_step roc_auc ap_sd n_replicas; do
    h5dump -d "/cells/$ds" "$1" | tail -n +2
  done
}
# same_results NAME A B: /cells bitwise equal (h5dump) and, when audit exists, robusta audit MATCH
same_results() {
  local name=$1 a=$2 b=$3
  if [[ ! -f $b ]]; then fail "$name: no $b"; return; fi
  if cmp -s <(cells_of "$a") <(cells_of "$b"); then ok "$name: /cells identical to the direct run (h5dump)"
  else fail "$name: /cells differ from the direct run: $(diff <(cells_of "$a") <(cells_of "$b") | head -4 | tr '\n' ' ')"; fi
  if "$ROBUSTA" audit --help >/dev/null 2>&1; then
    local out; out=$("$ROBUSTA" audit "$a" "$b" 2>&1)
    if [[ $? == 0 ]]; then ok "$name: robusta audit: $(tail -1 <<<"$out")"
    else fail "$name: robusta audit: $(tail -3 <<<"$out" | tr '\n' ' ')"; fi
  fi
}
# job_field JOBID FIELD: a field of scontrol show job
job_field() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

# ---- 3. single node through submit.sh ----
export ROBUSTA_WORKDIR=$ROOT
out=$(slurm/submit.sh single --ranks 2 --threads 1 --time 10 --out "$T/runs/single" --wait -- "${small[@]:2}" 2>&1)
rc=$?
if ((rc == 0)); then ok "submit.sh single --wait: job finished"; else fail "submit.sh single (exit $rc): $(tail -5 <<<"$out" | tr '\n' ' ')"; fi
slog=$(cat "$T"/runs/slurm-logs/single/*.out 2>/dev/null)
launcher=$(grep -o 'launcher [a-z]*' <<<"$slog" | head -1)
if grep -q "2 ranks x 1 BLAS threads" <<<"$slog"; then ok "single: 2 ranks x 1 thread from Slurm's variables ($launcher)"
else fail "single: ranks/threads line missing in the job output: $(head -c 300 <<<"$slog")"; fi
grep -q "2 ranks (attempt 0)" "$T/runs/single/log.txt" 2>/dev/null && ok "single: bench ran on 2 MPI ranks" ||
  fail "single: log.txt does not show 2 ranks"
same_results "single" "$T/runs/direct/results.h5" "$T/runs/single/results.h5"

# ---- 4. job array + merge ----
if ! "$ROBUSTA" bench --help 2>&1 | grep -q -- '--datasets\|--shard'; then
  fail "array: robusta bench has neither --datasets A,B nor --shard I/N yet (binary feature requested; the array and merge are untested)"
elif ! "$ROBUSTA" merge --help >/dev/null 2>&1; then
  fail "array: robusta merge --help fails: the merge command does not exist yet (binary feature requested)"
else
  out=$(slurm/submit.sh array --shards 2 --ranks 1 --time 10 --out "$T/runs/array" --wait -- "${small[@]:2}" 2>&1)
  rc=$?
  if ((rc == 0)); then ok "submit.sh array --shards 2 --wait: prepare, 2 shards (one dataset each) and merge finished"
  else fail "submit.sh array (exit $rc): $(tail -5 <<<"$out" | tr '\n' ' ') $(tail -3 "$T"/runs/slurm-logs/array/*.out 2>/dev/null | tr '\n' ' ')"; fi
  n=$(ls -d "$T"/runs/array/shards/shard-*-of-002 2>/dev/null | wc -l)
  ((n == 2)) && ok "array: 2 shard run directories" || fail "array: $n shard directories, wanted 2"
  same_results "array+merge" "$T/runs/direct/results.h5" "$T/runs/array/results.h5"
  [[ -s $T/runs/array/summary.md && -s $T/runs/array/cells.csv ]] && ok "array: merged summary.md and cells.csv" ||
    fail "array: no merged summary.md / cells.csv"
fi

# ---- 5. requeue: USR1 before the time limit -> scontrol requeue -> resume ----
# a longer grid (the default test sets, full grid) on 1 rank, so the signal lands mid-run
big=(-c configs/default.cfg
  --set data.datasets.[0].n_train=60 --set data.datasets.[0].n_train_violent=29
  --set data.datasets.[0].n_test=80 --set data.datasets.[0].n_test_violent=50
  --set data.datasets.[1].n_test=60 --set data.datasets.[1].n_test_violent=29
  --set model.hidden1=64 --set model.hidden2=16 --set train.epochs=2 --set train.batch=16
  --set gmm.components=4 --set gmm.subsample=3000
  --set "data.dir=\"$T/data-big\"" --set "run.out_root=\"$T/runs\"")
"$ROBUSTA" train "${big[@]}" >"$T/train-big.log" 2>&1 || fail "training the requeue config: $(tail -2 "$T/train-big.log")"
jid=$(slurm/submit.sh single --ranks 1 --time 10 --out "$T/runs/requeue" -- "${big[@]:2}" 2>/dev/null)
if [[ ! $jid =~ ^[0-9]+$ ]]; then fail "requeue: submit failed ($jid)"; else
  # the direct run of the same config meanwhile would compete for the 2 cores; run it afterwards
  signalled=0
  for _ in $(seq 600); do
    if compgen -G "$T/runs/requeue/journal/attempt-0000-rank-*.bin" >/dev/null &&
       [[ $(cat "$T"/runs/requeue/journal/attempt-0000-rank-*.bin | wc -c) -gt 2000 ]]; then
      scancel --batch --signal=USR1 "$jid" && signalled=1
      break
    fi
    [[ $(job_field "$jid" JobState) == @(COMPLETED|FAILED|CANCELLED|TIMEOUT) ]] && break
    sleep 0.2
  done
  ((signalled)) && ok "requeue: job $jid sent USR1 mid-grid" || fail "requeue: could not signal job $jid mid-grid (state $(job_field "$jid" JobState))"
  state=
  # Slurm holds a requeued batch job for about two minutes (Reason=BeginTime); the test lifts the
  # hold so it need not wait, which changes nothing about what the restarted job does. It waits a few
  # seconds first: slurmd refuses a job credential issued in the same second as the revocation of
  # the killed instance's ("Job credential revoked"), which is what the hold protects against.
  held_since=
  for _ in $(seq 1500); do
    state=$(job_field "$jid" JobState)
    [[ $state == @(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) ]] && break
    if [[ $state == PENDING && $(job_field "$jid" Reason) == BeginTime ]]; then
      held_since=${held_since:-$SECONDS}
      ((SECONDS - held_since >= 3)) && scontrol update "JobId=$jid" StartTime=now
    fi
    sleep 0.2
  done
  restarts=$(job_field "$jid" Restarts)
  [[ $state == COMPLETED && ${restarts:-0} -ge 1 ]] && ok "requeue: job requeued ($restarts restart) and COMPLETED" ||
    fail "requeue: state $state, restarts ${restarts:-?}; $(tail -4 "$T"/runs/slurm-logs/requeue/*.out 2>/dev/null | tr '\n' ' ')"
  grep -q "requeueing job $jid" "$T"/runs/slurm-logs/requeue/*.out 2>/dev/null && ok "requeue: the USR1 trap called scontrol requeue" ||
    fail "requeue: no 'requeueing' line in the job output"
  if grep -q '^resume: [1-9][0-9]* of' "$T/runs/requeue/log.txt" 2>/dev/null; then
    ok "requeue: restarted job resumed ($(grep '^resume:' "$T/runs/requeue/log.txt" | head -1 | cut -c1-60))"
  else fail "requeue: log.txt has no 'resume: N of M cells' line"; fi
  mpirun --oversubscribe -np 2 "$ROBUSTA" bench "${big[@]}" --out "$T/runs/big-direct" >"$T/big-direct.log" 2>&1 ||
    fail "direct run of the requeue config: $(tail -2 "$T/big-direct.log")"
  same_results "requeue (1 rank, interrupted) vs direct (2 ranks)" "$T/runs/big-direct/results.h5" "$T/runs/requeue/results.h5"
fi
finish
