#!/usr/bin/env bash
# audit.sh - the audit job: re-run a published results file from the config and inputs stored in it
# (`robusta audit --rerun A.h5`, MPI) and compare the new numbers with the published ones. Exit 0
# when they match. Local (mpirun) or under Slurm (sbatch jobs/audit.sh A.h5).
#SBATCH --job-name=robusta-audit
#SBATCH --time=04:00:00
#SBATCH --nodes=1
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --requeue
#SBATCH --signal=B:USR1@120
#SBATCH --open-mode=append
#SBATCH --output=robusta-audit-%j.out
set -uo pipefail
usage() {
  cat <<'TXT'
usage: jobs/audit.sh RESULTS.h5 [options] [-- AUDIT_ARGS...]

Re-run RESULTS.h5's grid from its own stored config (inputs checked against its stored checksums)
and compare: `robusta audit --rerun RESULTS.h5` on the job's MPI ranks. AUDIT_ARGS go to robusta
audit (e.g. --tolerance 1e-9, --strict). Last line: "audit-job: MATCH|DIFFER|ERROR", exit 0, 1, 2.

options:
  -o, --out DIR         where the re-run writes (passed as --out to robusta audit --rerun)
      --ranks N         MPI ranks (default: $SLURM_NTASKS under Slurm, else 2)
      --threads T       OpenBLAS threads per rank
  -h, --help            this text
TXT
}
for h in "${ROBUSTA_HOME:-}" "$(cd "$(dirname "$0")/.." 2>/dev/null && pwd)" "${SLURM_SUBMIT_DIR:-}"; do
  if [[ -n $h && -f $h/slurm/robusta-lib.sh ]]; then export ROBUSTA_HOME=$h; break; fi
done
[[ -n ${ROBUSTA_HOME:-} ]] || { echo "$(basename "$0"): cannot find the robusta checkout; set ROBUSTA_HOME" >&2; exit 2; }
source "$ROBUSTA_HOME/slurm/robusta-lib.sh"
source "$ROBUSTA_HOME/jobs/job-lib.sh"
rb_job_parse usage "$@"
((${#JOB_POSITIONAL[@]} == 1)) || { usage >&2; exit 2; }
a=${JOB_POSITIONAL[0]}
rb_setup
[[ -f $a ]] || rb_die "no results file $a"
"$ROBUSTA" audit --help 2>/dev/null | grep -q -- --rerun ||
  { echo "audit-job: ERROR: this robusta has no 'audit --rerun' (see docs/slurm.md)"; exit 2; }
out=(); [[ -n $JOB_OUT ]] && out=(--out "$JOB_OUT")
launch=()
rb_launch_cmd launch "$RB_RANKS"
rb_run "${launch[@]}" "$ROBUSTA" audit --rerun "$a" "${out[@]}" "${JOB_EXTRA[@]}"
rc=$?
case $rc in 0) echo "audit-job: MATCH ($a)";; 1) echo "audit-job: DIFFER ($a)";; *) echo "audit-job: ERROR (exit $rc)"; rc=2;; esac
exit $rc
