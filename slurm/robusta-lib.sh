# robusta-lib.sh - shell functions shared by the Slurm batch scripts (slurm/*.sbatch) and the named
# jobs (jobs/*.sh): locate robusta, site setup (modules), the MPI launcher (srun --mpi=pmix or mpirun,
# inside or outside Slurm), ranks and OpenBLAS threads per rank, a stable run directory with automatic
# --resume, and time-limit / preemption handling (USR1 -> scontrol requeue, or a clean stop).
# Sourced, not executed. Every knob is an environment variable (docs/slurm.md has the table):
#   ROBUSTA_HOME        robusta checkout (default: found from the script, else $SLURM_SUBMIT_DIR)
#   ROBUSTA             the binary (default: $ROBUSTA_HOME/bin/robusta)
#   ROBUSTA_WORKDIR     directory the job runs in; relative paths in configs and arguments are
#                       relative to it (default: $ROBUSTA_HOME, like `make run`)
#   ROBUSTA_MODULES     space-separated environment modules to `module load` first
#   ROBUSTA_ENV_SCRIPT  a site shell file to source first (spack env, conda, exports, ...)
#   ROBUSTA_LAUNCHER    auto | srun | mpirun | none (auto: srun when inside Slurm and srun lists the
#                       ROBUSTA_SRUN_MPI plugin, else mpirun)
#   ROBUSTA_SRUN_MPI    srun --mpi plugin (default pmix)
#   ROBUSTA_SRUN_ARGS, ROBUSTA_MPIRUN_ARGS   extra launcher arguments (word-split)
#   ROBUSTA_RANKS       MPI ranks (default: $SLURM_NTASKS inside Slurm, else 2)
#   ROBUSTA_THREADS     OpenBLAS threads per rank (default: $SLURM_CPUS_PER_TASK, else 1)
#   ROBUSTA_OUT         run directory (default: --out in the arguments, else <run.out_root>/<run.id>,
#                       else <run.out_root>/<job>-<Slurm job id or UTC time> when run.id is "")
#   ROBUSTA_REQUEUE     1 (default): on USR1 requeue the job; 0: stop cleanly and exit 3

# ---- logging, setup ----

rb_log() { echo "robusta-slurm[$(date -u +%H:%M:%S)]: $*" >&2; }
rb_die() { rb_log "error: $*"; exit 2; }

# rb_setup: modules / site file, binary, working directory, threads, Open MPI as root.
rb_setup() {
  if [[ -n ${ROBUSTA_ENV_SCRIPT:-} ]]; then
    # shellcheck disable=SC1090
    source "$ROBUSTA_ENV_SCRIPT" || rb_die "sourcing ROBUSTA_ENV_SCRIPT=$ROBUSTA_ENV_SCRIPT failed"
  fi
  if [[ -n ${ROBUSTA_MODULES:-} ]]; then
    command -v module >/dev/null 2>&1 || type module >/dev/null 2>&1 ||
      rb_die "ROBUSTA_MODULES is set but the module command is not available"
    # shellcheck disable=SC2086
    module load $ROBUSTA_MODULES || rb_die "module load $ROBUSTA_MODULES failed"
  fi
  ROBUSTA=${ROBUSTA:-$ROBUSTA_HOME/bin/robusta}
  [[ -x $ROBUSTA ]] || rb_die "robusta binary $ROBUSTA not found or not executable (run make, or set ROBUSTA)"
  cd "${ROBUSTA_WORKDIR:-$ROBUSTA_HOME}" || rb_die "cannot cd to ${ROBUSTA_WORKDIR:-$ROBUSTA_HOME}"
  if [[ -n ${SLURM_JOB_ID:-} ]]; then RB_RANKS=${ROBUSTA_RANKS:-${SLURM_NTASKS:-1}}
  else RB_RANKS=${ROBUSTA_RANKS:-2}; fi
  RB_THREADS=${ROBUSTA_THREADS:-${SLURM_CPUS_PER_TASK:-1}}
  # BLAS threads fixed per rank (determinism, docs/architecture.md): the environment for OpenBLAS, the config key
  # run.blas_threads for robusta itself (rb_blas_set), and no OpenMP oversubscription.
  export OPENBLAS_NUM_THREADS=$RB_THREADS OMP_NUM_THREADS=$RB_THREADS
  if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
  rb_choose_launcher
}

# ---- launcher ----

rb_choose_launcher() {
  RB_LAUNCHER=${ROBUSTA_LAUNCHER:-auto}
  local mpi=${ROBUSTA_SRUN_MPI:-pmix}
  if [[ $RB_LAUNCHER == auto ]]; then
    RB_LAUNCHER=mpirun
    if [[ -n ${SLURM_JOB_ID:-} ]] && command -v srun >/dev/null 2>&1; then
      if srun --mpi=list 2>&1 | grep -qw -- "$mpi"; then RB_LAUNCHER=srun
      else rb_log "srun --mpi=list has no '$mpi' plugin: launching with mpirun inside the allocation"; fi
    fi
  fi
  case $RB_LAUNCHER in srun|mpirun|none) ;; *) rb_die "ROBUSTA_LAUNCHER=$RB_LAUNCHER: expected auto, srun, mpirun or none";; esac
}

# rb_launch_cmd ARRAYNAME RANKS: the launcher prefix (words) for RANKS ranks, into ARRAYNAME.
rb_launch_cmd() {
  local -n out=$1
  local ranks=$2
  out=()
  case $RB_LAUNCHER in
    srun)
      out=(srun "--mpi=${ROBUSTA_SRUN_MPI:-pmix}" -n "$ranks" -c "$RB_THREADS" --kill-on-bad-exit=1)
      # shellcheck disable=SC2206
      [[ -n ${ROBUSTA_SRUN_ARGS:-} ]] && out+=($ROBUSTA_SRUN_ARGS) ;;
    mpirun)
      out=(mpirun -np "$ranks" -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS)
      if [[ -n ${SLURM_JOB_ID:-} ]]; then
        ((RB_THREADS > 1)) && out+=(--map-by "slot:PE=$RB_THREADS")
      else
        out+=(--oversubscribe)   # a workstation: ranks may exceed cores
      fi
      # shellcheck disable=SC2206
      [[ -n ${ROBUSTA_MPIRUN_ARGS:-} ]] && out+=($ROBUSTA_MPIRUN_ARGS) ;;
    none)
      ((ranks == 1)) || rb_die "ROBUSTA_LAUNCHER=none runs 1 rank, but $ranks were asked" ;;
  esac
}

# ---- signals: time limit, preemption ----
# `#SBATCH --signal=B:USR1@120` makes Slurm send USR1 to this batch shell 120 s before the time limit
# (a preemption with GraceTime does the same when the site configures it). The launcher runs in the
# background so bash can take the signal while it waits. Every finished cell is already in the run's
# fsynced journal, so stopping loses at most the cells in flight.
RB_STEP_PID=
RB_SIGNALLED=
rb_on_usr1() {
  RB_SIGNALLED=1
  if [[ ${ROBUSTA_REQUEUE:-1} == 1 && -n ${SLURM_JOB_ID:-} ]]; then
    rb_log "USR1: time limit or preemption near; requeueing job $SLURM_JOB_ID (it resumes ${RB_RUN_DIR:-its run directory})"
    if scontrol requeue "$SLURM_JOB_ID"; then return; fi
    rb_log "scontrol requeue $SLURM_JOB_ID failed (job not requeueable?); stopping cleanly instead"
  else
    rb_log "USR1: stopping cleanly"
  fi
  RB_STOPPED=1
  [[ -n $RB_STEP_PID ]] && kill -TERM "$RB_STEP_PID" 2>/dev/null
}
trap rb_on_usr1 USR1

# rb_run COMMAND...: run in the background, wait through signals, return its exit status.
# After a clean stop (no requeue) the job exits 3 with a note on how to resume.
rb_run() {
  rb_log "run: $*"
  RB_STOPPED=
  "$@" &
  RB_STEP_PID=$!
  local rc
  while :; do
    wait "$RB_STEP_PID"; rc=$?
    if [[ -n $RB_SIGNALLED ]] && kill -0 "$RB_STEP_PID" 2>/dev/null; then RB_SIGNALLED=; continue; fi
    break
  done
  RB_STEP_PID=
  if [[ -n $RB_STOPPED ]]; then
    rb_log "stopped before the time limit; submit the same command again to resume ${RB_RUN_DIR:-the run}"
    exit 3
  fi
  return "$rc"
}

# ---- config arguments, run directory, resume ----

# rb_split_args ARGS...: split bench arguments into RB_CFG_ARGS (what `robusta config`/`train` take:
# -c and --set) and RB_OUT (from -o/--out); RB_ARGS keeps everything except -o/--out.
rb_split_args() {
  RB_CFG_ARGS=() RB_ARGS=() RB_OUT=${ROBUSTA_OUT:-}
  local have_cfg=0
  while (($#)); do
    case $1 in
      -c|--config) RB_CFG_ARGS+=(-c "$2"); RB_ARGS+=("$1" "$2"); have_cfg=1; shift 2 ;;
      --config=*)  RB_CFG_ARGS+=(-c "${1#--config=}"); RB_ARGS+=("$1"); have_cfg=1; shift ;;
      --set)       RB_CFG_ARGS+=(--set "$2"); RB_ARGS+=("$1" "$2"); shift 2 ;;
      --set=*)     RB_CFG_ARGS+=(--set "${1#--set=}"); RB_ARGS+=("$1"); shift ;;
      -o|--out)    RB_OUT=$2; shift 2 ;;
      --out=*)     RB_OUT=${1#--out=}; shift ;;
      *)           RB_ARGS+=("$1"); shift ;;
    esac
  done
  if ((!have_cfg)); then
    local cfg=${ROBUSTA_CONFIG:-configs/default.cfg}
    RB_CFG_ARGS=(-c "$cfg" "${RB_CFG_ARGS[@]}")
    RB_ARGS=(-c "$cfg" "${RB_ARGS[@]}")
  fi
  RB_CFG_ARGS+=(--set "run.blas_threads=$RB_THREADS")
  RB_ARGS+=(--set "run.blas_threads=$RB_THREADS")
}

# rb_config_key GROUP KEY: a scalar of the effective config (strings without quotes).
rb_config_key() {
  "$ROBUSTA" config "${RB_CFG_ARGS[@]}" | awk -v g="$1" -v k="$2" '
    $0 ~ "^" g " = [{]" {in_g = 1; next}
    in_g && /^}/ {in_g = 0}
    in_g && $1 == k {sub(/^[^=]*= */, ""); gsub(/^"|"$/, ""); print; exit}'
}

# rb_dataset_names: the config's dataset names, one a line, in config order.
rb_dataset_names() {
  "$ROBUSTA" config "${RB_CFG_ARGS[@]}" | awk '
    /^data = [{]/ {in_d = 1; next}
    in_d && /^}/ {in_d = 0}
    in_d && $1 == "name" && $2 == "=" {v = $3; gsub(/"/, "", v); print v}'
}

# rb_resolve_run_dir TAG: RB_RUN_DIR = --out / ROBUSTA_OUT, else <out_root>/<run.id>; an empty
# run.id becomes TAG-<Slurm job id> (stable across requeues) or TAG-<UTC time> outside Slurm.
rb_resolve_run_dir() {
  if [[ -n $RB_OUT ]]; then RB_RUN_DIR=$RB_OUT; return; fi
  "$ROBUSTA" config "${RB_CFG_ARGS[@]}" >/dev/null || rb_die "the config does not load (see the error above)"
  local root id
  root=$(rb_config_key run out_root); id=$(rb_config_key run id)
  if [[ -z $id ]]; then
    if [[ -n ${SLURM_ARRAY_JOB_ID:-} ]]; then id=$1-$SLURM_ARRAY_JOB_ID
    elif [[ -n ${SLURM_JOB_ID:-} ]]; then id=$1-$SLURM_JOB_ID
    else id=$1-$(date -u +%Y%m%dT%H%M%SZ); fi
  fi
  RB_RUN_DIR=${root:-results}/$id
}

# rb_resume_args: --resume when the run directory already holds a started run (its manifest.txt).
rb_resume_args() {
  RB_RESUME=()
  local a
  for a in "${RB_ARGS[@]}"; do [[ $a == --resume ]] && return; done
  if [[ -f $RB_RUN_DIR/manifest.txt ]]; then
    rb_log "$RB_RUN_DIR holds a started run: resuming it (attempt $(( $(ls "$RB_RUN_DIR"/journal 2>/dev/null | sed -n 's/^attempt-\([0-9]*\)-.*/\1/p' | sort -u | wc -l) + 1 )))"
    RB_RESUME=(--resume)
  fi
}

# rb_bench TAG ARGS...: the whole bench step: resolve the run directory, resume when started,
# launch on RB_RANKS ranks, wait (signals handled). Extra bench flags go in ARGS (e.g. --shard I/N).
rb_bench() {
  local tag=$1; shift
  rb_split_args "$@"
  rb_resolve_run_dir "$tag"
  rb_resume_args
  local -a launch
  rb_launch_cmd launch "$RB_RANKS"
  rb_log "bench: run dir $RB_RUN_DIR, $RB_RANKS ranks x $RB_THREADS BLAS threads, launcher $RB_LAUNCHER${SLURM_JOB_ID:+, job $SLURM_JOB_ID (restart ${SLURM_RESTART_COUNT:-0})}"
  rb_run "${launch[@]}" "$ROBUSTA" bench "${RB_ARGS[@]}" --out "$RB_RUN_DIR" "${RB_RESUME[@]}"
}

# rb_has_option SUBCOMMAND OPTION: whether `robusta SUBCOMMAND --help` lists OPTION.
rb_has_option() { "$ROBUSTA" "$1" --help 2>/dev/null | grep -q -- "$2"; }
