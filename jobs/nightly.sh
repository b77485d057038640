#!/usr/bin/env bash
# nightly.sh - the nightly regression job: the full grid (configs/full.cfg) into
# <run.out_root>/nightly-<UTC date>, then `robusta audit --reference REF.h5 NEW.h5` against the last
# accepted reference. Prints a short report (also written to <run dir>.nightly-report.txt, beside the
# run directory: robusta writes only its own files inside it, docs/run-directory.md) for mail
# or CI, and exits 0 PASS, 1 FAIL (numbers differ), 2 ERROR (the run or the audit broke),
# 3 NO-REFERENCE. The verdict is also JUnit XML (--junit FILE, default <run dir>.nightly-junit.xml, beside the run directory):
# the nightly's own steps plus robusta audit --junit's test case per cell and check.
# Local or under Slurm (sbatch jobs/nightly.sh); rerun the same day it resumes.
#SBATCH --job-name=robusta-nightly
#SBATCH --time=12:00:00
#SBATCH --nodes=1
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --requeue
#SBATCH --signal=B:USR1@120
#SBATCH --open-mode=append
#SBATCH --output=robusta-nightly-%j.out
set -uo pipefail
usage() {
  cat <<'TXT'
usage: jobs/nightly.sh [options]

Run the full grid (configs/full.cfg), then audit it against the accepted reference results file. The report's last
line is "nightly: PASS|FAIL|ERROR|NO-REFERENCE ..." and the exit status is 0, 1, 2 or 3.

options:
      --reference REF.h5  accepted reference (default: $ROBUSTA_REFERENCE, else
                          <run.out_root>/reference/nightly.h5)
      --accept            after the run, make its results the new reference (a human decision:
                          use it once to create the first reference, or after an intended change)
      --mail ADDR         mail the report with `mail -s` (also $ROBUSTA_MAIL)
      --skip-run          audit an existing run directory (--run-id/--out) without running it
      --run-id ID         default nightly-<UTC date>: a rerun the same day resumes that run
      --junit FILE        JUnit XML of the verdict (default: <run dir>.nightly-junit.xml; also
                          $ROBUSTA_JUNIT): suite "nightly" (run, reference, audit) and the audit's
                          suites (a test case per compared cell, condition and provenance check)
TXT
  rb_job_common_help
}
for h in "${ROBUSTA_HOME:-}" "$(cd "$(dirname "$0")/.." 2>/dev/null && pwd)" "${SLURM_SUBMIT_DIR:-}"; do
  if [[ -n $h && -f $h/slurm/robusta-lib.sh ]]; then export ROBUSTA_HOME=$h; break; fi
done
[[ -n ${ROBUSTA_HOME:-} ]] || { echo "$(basename "$0"): cannot find the robusta checkout; set ROBUSTA_HOME" >&2; exit 2; }
source "$ROBUSTA_HOME/slurm/robusta-lib.sh"
source "$ROBUSTA_HOME/jobs/job-lib.sh"
ref=${ROBUSTA_REFERENCE:-} accept=0 mail=${ROBUSTA_MAIL:-} skip=0 junit=${ROBUSTA_JUNIT:-}
job_opt() {
  case $1 in
    --reference) ref=${2:?--reference needs a file}; return 1 ;;
    --accept) accept=1; return 0 ;;
    --mail) mail=${2:?--mail needs an address}; return 1 ;;
    --skip-run) skip=1; return 0 ;;
    --junit) junit=${2:?--junit needs a file}; return 1 ;;
  esac
  return 2
}
rb_job_parse usage "$@"
rb_setup
cfg=${JOB_CFG:-configs/full.cfg}
[[ -n $JOB_RUN_ID || -n $JOB_OUT ]] || JOB_RUN_ID=nightly-$(date -u +%Y%m%d)
rb_job_run_dir nightly "$cfg"
root=$(rb_config_key run out_root)
ref=${ref:-${root:-results}/reference/nightly.h5}
new=$JOB_DIR/results.h5
mkdir -p "$(dirname "$JOB_DIR")"
report=${JOB_DIR%/}.nightly-report.txt
junit=${junit:-${JOB_DIR%/}.nightly-junit.xml}
audit_junit=${JOB_DIR%/}.audit-junit.xml
rm -f "$audit_junit"
start=$(date +%s)
# JUnit test cases of the nightly's own steps: "name|failed (0/1)|message"
junit_cases=()
xml_escape() { local s=$1; s=${s//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//\"/&quot;}; printf '%s' "$s"; }
# write_junit: the nightly suite, then the audit's suites when it ran (totals summed), atomically
write_junit() {
  local n=${#junit_cases[@]} f=0 c body= name failed msg
  for c in "${junit_cases[@]}"; do
    IFS='|' read -r name failed msg <<<"$c"
    f=$((f + failed))
    body+="    <testcase classname=\"nightly\" name=\"$(xml_escape "$name")\""
    if ((failed)); then body+=">"$'\n'"      <failure message=\"$(xml_escape "$msg")\"/>"$'\n'"    </testcase>"$'\n'
    else body+="/>"$'\n'; fi
  done
  local at=0 af=0 inner=
  if [[ -s $audit_junit ]]; then
    local root; root=$(sed -n 2p "$audit_junit")
    [[ $root =~ tests=\"([0-9]+)\"\ failures=\"([0-9]+)\" ]] && at=${BASH_REMATCH[1]} af=${BASH_REMATCH[2]}
    inner=$(sed '1,2d;$d' "$audit_junit")$'\n'
  fi
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites name=\"robusta nightly\" tests=\"$((n + at))\" failures=\"$((f + af))\" errors=\"0\">"
    echo "  <testsuite name=\"nightly\" tests=\"$n\" failures=\"$f\" errors=\"0\" skipped=\"0\">"
    printf '%s' "$body"
    echo "  </testsuite>"
    printf '%s' "$inner"
    echo "</testsuites>"
  } >"$junit.tmp" && mv "$junit.tmp" "$junit"
}
{
  echo "robusta nightly $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname -s)${SLURM_JOB_ID:+ (Slurm job $SLURM_JOB_ID)}"
  echo "version: $("$ROBUSTA" --version 2>&1 | head -1)"
  echo "config: $cfg ${JOB_SETS[*]}"
  echo "run: $JOB_DIR"
  echo "reference: $ref"
} >"$report"
verdict= status=
if ((skip == 0)); then
  rb_bench nightly -c "$cfg" "${JOB_SETS[@]}" "${JOB_EXTRA[@]}" --out "$JOB_DIR"
  rc=$?
  echo "bench: exit $rc after $(( $(date +%s) - start )) s" >>"$report"
  if ((rc != 0)); then verdict="ERROR: the run failed (exit $rc; see $JOB_DIR/log.txt)" status=2; fi
  junit_cases+=("run: robusta bench|$((rc != 0))|exit $rc")
fi
if [[ -z $status && ! -f $new ]]; then verdict="ERROR: no $new" status=2; junit_cases+=("results file|1|no $new"); fi
if [[ -z $status ]] && ((accept)); then
  mkdir -p "$(dirname "$ref")" && cp "$new" "$ref.tmp" && mv "$ref.tmp" "$ref" &&
    echo "accepted: $new is now the reference $ref" >>"$report"
fi
if [[ -z $status && ! -f $ref ]]; then
  verdict="NO-REFERENCE: $ref does not exist; run once with --accept to create it" status=3
  junit_cases+=("reference|1|$ref does not exist")
elif [[ -z $status ]]; then
  junit_cases+=("reference|0|")
fi
if [[ -z $status ]]; then
  out=$("$ROBUSTA" audit --reference "$ref" "$new" --junit "$audit_junit" 2>&1); arc=$?
  junit_cases+=("audit: robusta audit --reference|$((arc != 0))|$(tail -1 <<<"$out")")
  { echo "--- robusta audit --reference $ref $new (exit $arc)"; tail -n 25 <<<"$out"; echo "---"; } >>"$report"
  case $arc in
    0) verdict="PASS: $(tail -1 <<<"$out")" status=0 ;;
    1) verdict="FAIL: $(tail -1 <<<"$out")" status=1 ;;
    *) verdict="ERROR: robusta audit exit $arc" status=2 ;;
  esac
fi
echo "nightly: $verdict" >>"$report"
write_junit || echo "nightly: could not write the JUnit file $junit" >>"$report"
cat "$report"
if [[ -n $mail ]]; then
  if command -v mail >/dev/null 2>&1; then mail -s "robusta nightly: ${verdict%%:*}" "$mail" <"$report"
  else rb_log "--mail $mail: no mail command on this host; report left in $report"; fi
fi
exit "$status"
