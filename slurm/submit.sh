#!/usr/bin/env bash
# submit.sh - submit a robusta run to Slurm without editing any batch script: picks the batch script
# for the mode, turns options into sbatch arguments (partition, account, time, ranks, threads, ...),
# fixes the run directory up front (so requeues and the array's shards and merge all agree), and for
# the job-array mode chains prepare -> array of shards -> merge with afterok dependencies.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: slurm/submit.sh single|multi|array [options] [-- BENCH_ARGS...]

Submit robusta bench to Slurm. Modes:
  single   one node (slurm/single-node.sbatch)
  multi    several nodes (slurm/multi-node.sbatch)
  array    prepare (datasets, models) -> job array of grid shards -> merge into one results.h5
           (slurm/prepare.sbatch, slurm/shard.sbatch, slurm/merge.sbatch)

options:
  -c, --config CFG        experiment config (default: $ROBUSTA_CONFIG or configs/default.cfg)
      --run-id ID         run directory <run.out_root>/ID (default: the config's run.id, else
                          <mode>-<UTC time>)
  -o, --out DIR           run directory (overrides --run-id)
      --set KEY=VALUE     config override passed to robusta (repeatable)
  -p, --partition P       Slurm partition (or SBATCH_PARTITION)
  -A, --account A         Slurm account (or SBATCH_ACCOUNT)
  -q, --qos Q             Slurm QOS (or SBATCH_QOS)
  -t, --time T            time limit per job, e.g. 02:00:00 (or SBATCH_TIMELIMIT)
  -n, --ranks N           MPI ranks (single, multi: total; array: per shard)
  -N, --nodes N           nodes (multi)
      --ranks-per-node R  ranks per node (multi; instead of --ranks)
      --threads T         OpenBLAS threads per rank (--cpus-per-task)
      --shards N          array: number of shards (default 2; with bench --datasets at most the
                          number of datasets)
      --max-parallel K    array: at most K shards running at once
      --sbatch-arg ARG    extra sbatch argument for every job (repeatable), e.g. --sbatch-arg=--mem=8G
      --wait              block until the run ends (array: until the merge ends); exit with its status
      --dry-run           print the sbatch commands, submit nothing
  -h, --help              this text

Prints the job id (array: the merge job's) on stdout. Anything after -- goes to robusta bench as is (e.g. --save-scores). Knobs for the batch scripts
(ROBUSTA_MODULES, ROBUSTA_ENV_SCRIPT, ROBUSTA_LAUNCHER, ...) are read from the environment, which
sbatch passes on: see docs/slurm.md.
EOF
}

home=$(cd "$(dirname "$0")/.." && pwd)
export ROBUSTA_HOME=${ROBUSTA_HOME:-$home}
mode=${1:-}
case $mode in
  single|multi|array) shift ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

cfg=${ROBUSTA_CONFIG:-configs/default.cfg} run_id= out= ranks= nodes= per_node= threads= shards=2 maxpar=
wait=0 dry=0
sets=() common=() bench_extra=()
need() { [[ $# -ge 2 && -n $2 ]] || { echo "submit.sh: $1 needs a value" >&2; exit 2; }; }
while (($#)); do
  case $1 in
    -c|--config) need "$@"; cfg=$2; shift 2 ;;
    --run-id) need "$@"; run_id=$2; shift 2 ;;
    -o|--out) need "$@"; out=$2; shift 2 ;;
    --set) need "$@"; sets+=(--set "$2"); shift 2 ;;
    -p|--partition) need "$@"; common+=("--partition=$2"); shift 2 ;;
    -A|--account) need "$@"; common+=("--account=$2"); shift 2 ;;
    -q|--qos) need "$@"; common+=("--qos=$2"); shift 2 ;;
    -t|--time) need "$@"; common+=("--time=$2"); shift 2 ;;
    -n|--ranks) need "$@"; ranks=$2; shift 2 ;;
    -N|--nodes) need "$@"; nodes=$2; shift 2 ;;
    --ranks-per-node) need "$@"; per_node=$2; shift 2 ;;
    --threads) need "$@"; threads=$2; shift 2 ;;
    --shards) need "$@"; shards=$2; shift 2 ;;
    --max-parallel) need "$@"; maxpar=$2; shift 2 ;;
    --sbatch-arg) need "$@"; common+=("$2"); shift 2 ;;
    --sbatch-arg=*) common+=("${1#--sbatch-arg=}"); shift ;;
    --wait) wait=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; bench_extra=("$@"); break ;;
    *) echo "submit.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
# -c and --set given after -- count as submit options too (prepare and the run directory need them)
rest=()
for ((i = 0; i < ${#bench_extra[@]}; i++)); do
  a=${bench_extra[i]}
  case $a in
    -c|--config) cfg=${bench_extra[i+1]:-}; i=$((i + 1)) ;;
    --set) sets+=(--set "${bench_extra[i+1]:-}"); i=$((i + 1)) ;;
    --set=*) sets+=(--set "${a#--set=}") ;;
    -o|--out) out=${bench_extra[i+1]:-}; i=$((i + 1)) ;;
    *) rest+=("$a") ;;
  esac
done
bench_extra=("${rest[@]}")
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --shards wants a positive integer" >&2; exit 2; }

# The run directory, decided now: relative paths are relative to the working directory the batch
# scripts use (ROBUSTA_WORKDIR, default the checkout).
robusta=${ROBUSTA:-$ROBUSTA_HOME/bin/robusta}
workdir=${ROBUSTA_WORKDIR:-$ROBUSTA_HOME}
cd "$workdir" || exit 2
if [[ -z $out ]]; then
  eff=$("$robusta" config -c "$cfg" "${sets[@]}") || { echo "submit.sh: the config does not load (above)" >&2; exit 2; }
  key() { awk -v k="$1" '/^run = [{]/{g=1;next} g&&/^}/{g=0} g&&$1==k{sub(/^[^=]*= */,"");gsub(/^"|"$/,"");print;exit}' <<<"$eff"; }
  root=$(key out_root); id=${run_id:-$(key id)}
  [[ -n $id ]] || id=$mode-$(date -u +%Y%m%dT%H%M%SZ)
  out=${root:-results}/$id
fi
export ROBUSTA_OUT=$out
# Slurm's job logs go beside the run directory, not in it: robusta starts a new run only in an
# empty or absent directory (docs/run-directory.md), and the logs exist before the job starts.
logs=$(dirname -- "$out")/slurm-logs/$(basename -- "$out")
[[ $dry == 1 ]] || mkdir -p "$logs" || exit 2

# per-job resources
res=()
[[ -n $threads ]] && res+=("--cpus-per-task=$threads")
case $mode in
  single|array) [[ -n $ranks ]] && res+=("--ntasks=$ranks") ;;
  multi)
    [[ -n $nodes ]] && res+=("--nodes=$nodes")
    [[ -n $ranks ]] && res+=("--ntasks=$ranks")
    [[ -n $per_node ]] && res+=("--ntasks-per-node=$per_node") ;;
esac
args=(-c "$cfg" "${sets[@]}" "${bench_extra[@]}")

# submit SCRIPT SBATCH_ARGS... -- SCRIPT_ARGS...: prints the job id
submit() {
  local script=$1; shift
  local -a sb=()
  while [[ $1 != -- ]]; do sb+=("$1"); shift; done
  shift
  local cmd=(sbatch --parsable --export=ALL "${common[@]}" "${sb[@]}" "$ROBUSTA_HOME/slurm/$script" "$@")
  if [[ $dry == 1 ]]; then echo "ROBUSTA_OUT=$ROBUSTA_OUT ${cmd[*]}" >&2; echo "DRYRUN"; return 0; fi
  local id
  id=$("${cmd[@]}") || { echo "submit.sh: sbatch $script failed" >&2; return 1; }
  echo "${id%%;*}"
}

echo "submit.sh: run directory $out (Slurm logs in $logs)" >&2
case $mode in
  single|multi)
    script=single-node.sbatch
    [[ $mode == multi ]] && script=multi-node.sbatch
    w=(); [[ $wait == 1 ]] && w=(--wait)
    jid=$(submit "$script" "${res[@]}" "--output=$logs/%x-%j.out" "${w[@]}" -- "${args[@]}")
    rc=$?
    echo "submit.sh: job ${jid:-?} ($mode)" >&2
    echo "$jid"
    exit $rc ;;
  array)
    # the prepare step builds the inputs once; it does not need the bench-only flags
    prep=$(submit prepare.sbatch "${res[@]}" "--output=$logs/%x-%j.out" -- -c "$cfg" "${sets[@]}") || exit 1
    range=0-$((shards - 1)); [[ -n $maxpar ]] && range+="%$maxpar"
    dep=(); [[ $dry == 1 ]] || dep=("--dependency=afterok:$prep" --kill-on-invalid-dep=yes)
    arr=$(submit shard.sbatch "${res[@]}" "--array=$range" "${dep[@]}" "--output=$logs/%x-%A_%a.out" -- "${args[@]}") || exit 1
    dep=(); [[ $dry == 1 ]] || dep=("--dependency=afterok:$arr" --kill-on-invalid-dep=yes)
    w=(); [[ $wait == 1 ]] && w=(--wait)
    echo "submit.sh: prepare job $prep, shard array $arr ($shards shards), merge after the array" >&2
    mrg=$(submit merge.sbatch "${dep[@]}" "--output=$logs/%x-%j.out" "${w[@]}" -- --out "$out")
    rc=$?
    echo "submit.sh: merge job ${mrg:-?}" >&2
    echo "$mrg"
    exit $rc ;;
esac
