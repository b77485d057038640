# job-lib.sh - option parsing and run-directory naming shared by the named jobs (jobs/*.sh); the
# launcher, threads, resume and signal handling come from slurm/robusta-lib.sh. Sourced, not executed.
# Common options of every job: --run-id ID, --out DIR, --ranks N, --threads T, --config CFG,
# --set KEY=VALUE (repeatable), -- EXTRA bench/audit arguments, --help.

# rb_job_parse USAGE_FUNCTION ARGS...: fills JOB_CFG (if given), JOB_RUN_ID, JOB_OUT, JOB_SETS,
# JOB_EXTRA and JOB_POSITIONAL; unknown options are an error. Jobs add their own options first
# through JOB_OWN_OPTS (a case-pattern handler function job_opt NAME VALUE -> 0 taken, 1 takes value).
rb_job_parse() {
  local usage=$1; shift
  JOB_CFG= JOB_RUN_ID= JOB_OUT= JOB_SETS=() JOB_EXTRA=() JOB_POSITIONAL=()
  while (($#)); do
    case $1 in
      -h|--help) "$usage"; exit 0 ;;
      -c|--config) JOB_CFG=${2:?--config needs a value}; shift 2 ;;
      --run-id) JOB_RUN_ID=${2:?--run-id needs a value}; shift 2 ;;
      -o|--out) JOB_OUT=${2:?--out needs a value}; shift 2 ;;
      --ranks) export ROBUSTA_RANKS=${2:?--ranks needs a value}; shift 2 ;;
      --threads) export ROBUSTA_THREADS=${2:?--threads needs a value}; shift 2 ;;
      --set) JOB_SETS+=(--set "${2:?--set needs KEY=VALUE}"); shift 2 ;;
      --) shift; JOB_EXTRA=("$@"); break ;;
      -*)
        if declare -F job_opt >/dev/null; then
          job_opt "$1" "${2:-}"; local r=$?
          if ((r == 0)); then shift; continue; elif ((r == 1)); then shift 2; continue; fi
        fi
        echo "$(basename "$0"): unknown option '$1' (see --help)" >&2; exit 2 ;;
      *) JOB_POSITIONAL+=("$1"); shift ;;
    esac
  done
}

# rb_job_run_dir NAME CFG: JOB_DIR = --out, else <run.out_root>/<--run-id>, else
# <run.out_root>/NAME-<Slurm job id> under Slurm (stable across requeues) or NAME-<UTC time> locally.
# Rerunning a job with the same --run-id resumes it (slurm/robusta-lib.sh passes --resume).
rb_job_run_dir() {
  if [[ -n $JOB_OUT ]]; then JOB_DIR=$JOB_OUT; return; fi
  local id=$JOB_RUN_ID
  if [[ -z $id ]]; then
    if [[ -n ${SLURM_JOB_ID:-} ]]; then id=$1-$SLURM_JOB_ID; else id=$1-$(date -u +%Y%m%dT%H%M%SZ); fi
  fi
  rb_split_args -c "$2" "${JOB_SETS[@]}"
  local root; root=$(rb_config_key run out_root)
  JOB_DIR=${root:-results}/$id
}

# The options every job takes (printed after a job's own usage text).
rb_job_common_help() {
  cat <<'TXT'
common options:
  -c, --config CFG      experiment config (default: the one named above)
      --set KEY=VALUE   config override (repeatable)
      --run-id ID       run directory <run.out_root>/ID; the same ID again resumes an unfinished run
  -o, --out DIR         run directory
      --ranks N         MPI ranks (default: $SLURM_NTASKS under Slurm, else 2)
      --threads T       OpenBLAS threads per rank (default: $SLURM_CPUS_PER_TASK, else 1)
  -- ARGS...            passed to robusta bench as is (e.g. --save-scores)
  -h, --help            this text
Locally the job runs with mpirun; inside a Slurm allocation (sbatch jobs/NAME.sh ...) with srun
--mpi=pmix, or mpirun when srun lacks pmix (ROBUSTA_LAUNCHER overrides). See docs/slurm.md.
TXT
}
