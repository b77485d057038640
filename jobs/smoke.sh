#!/usr/bin/env bash
# smoke.sh - the smoke job: the default config (configs/default.cfg) with a reduced grid (2 visual and
# 2 audio corruptions at severities 1 and 5, plus missing), minutes end to end including the first
# synthesis and training. Checks the whole pipeline, not the numbers. Local or under Slurm:
#   jobs/smoke.sh [options]            sbatch jobs/smoke.sh [options]
#SBATCH --job-name=robusta-smoke
#SBATCH --time=00:30:00
#SBATCH --nodes=1
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --requeue
#SBATCH --signal=B:USR1@120
#SBATCH --open-mode=append
#SBATCH --output=robusta-smoke-%j.out
set -uo pipefail
usage() {
  cat <<'TXT'
usage: jobs/smoke.sh [options]

Smoke test of the whole robusta pipeline: configs/default.cfg (synthetic data and models shared
with `make run`), grid reduced to gaussian_noise and fog (visual), clipping and packet_loss (audio),
severities 1 and 5, plus missing. Run directory <run.out_root>/smoke-<Slurm job id or UTC time>.

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
cfg=${JOB_CFG:-configs/default.cfg}
rb_job_run_dir smoke "$cfg"
rb_bench smoke -c "$cfg" --set "grid.visual=[gaussian_noise,fog]" --set "grid.audio=[clipping,packet_loss]" \
  --set "grid.severities=[1,5]" --set grid.missing=true "${JOB_SETS[@]}" "${JOB_EXTRA[@]}" --out "$JOB_DIR"
rc=$?
if ((rc == 0)); then echo "smoke: ok ($JOB_DIR/summary.md)"; else echo "smoke: FAILED (exit $rc; see $JOB_DIR/log.txt)"; fi
exit $rc
