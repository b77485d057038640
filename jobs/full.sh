#!/usr/bin/env bash
# full.sh - the full job: configs/full.cfg, every dataset, corruption, severity and missing modality
# with several training replicas (train.seeds). Hours on a workstation; meant for a cluster node or
# several (sbatch -N 2 --ntasks-per-node 8 jobs/full.sh). Requeue-safe: resumes its run directory.
#   jobs/full.sh [options]             sbatch jobs/full.sh [options]
#SBATCH --job-name=robusta-full
#SBATCH --time=12:00:00
#SBATCH --nodes=1
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --requeue
#SBATCH --signal=B:USR1@120
#SBATCH --open-mode=append
#SBATCH --output=robusta-full-%j.out
set -uo pipefail
usage() {
  cat <<'TXT'
usage: jobs/full.sh [options]

The full benchmark: configs/full.cfg (both synthetic datasets, the whole corruption grid at 5
severities plus missing, 3 training replicas). Run directory <run.out_root>/full-<Slurm job id or
UTC time>; pass --run-id to name it (the same id again resumes).

TXT
  rb_job_common_help
}
for h in "${ROBUSTA_HOME:-}" "$(cd "$(dirname "$0")/.." 2>/dev/null && pwd)" "${SLURM_SUBMIT_DIR:-}"; do
  if [[ -n $h && -f $h/slurm/robusta-lib.sh ]]; then export ROBUSTA_HOME=$h; break; fi
done
[[ -n ${ROBUSTA_HOME:-} ]] || { echo "$(basename "$0"): cannot find the robusta checkout; set ROBUSTA_HOME" >&2; exit 2; }
source "$ROBUSTA_HOME/slurm/robusta-lib.sh"
source "$ROBUSTA_HOME/jobs/job-lib.sh"
rb_job_parse usage "$@"
rb_setup
cfg=${JOB_CFG:-configs/full.cfg}
rb_job_run_dir full "$cfg"
rb_bench full -c "$cfg" "${JOB_SETS[@]}" "${JOB_EXTRA[@]}" --out "$JOB_DIR"
rc=$?
if ((rc == 0)); then echo "full: ok ($JOB_DIR/results.h5)"; else echo "full: FAILED (exit $rc; see $JOB_DIR/log.txt)"; fi
exit $rc
