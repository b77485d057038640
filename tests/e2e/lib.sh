# lib.sh - helpers sourced by the end-to-end tests: pass/fail bookkeeping, a private scratch
# directory, and mpirun with the flags a test machine needs. Each check prints "ok   DESCRIPTION" or
# "FAIL DESCRIPTION" and finish prints "N passed, N failed" last: tests/run.sh reads both (the FAIL
# lines become its list of failed tests, each with "bash tests/e2e/<script>.sh" to rerun it).
set -uo pipefail
: "${ROBUSTA:=$PWD/bin/robusta}"
E2E_PASS=0 E2E_FAIL=0
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/robusta-e2e.XXXXXX")
trap 'rm -rf "$E2E_TMP"' EXIT

ok()   { echo "ok   $*"; E2E_PASS=$((E2E_PASS + 1)); }
fail() { echo "FAIL $*"; E2E_FAIL=$((E2E_FAIL + 1)); }
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# expect_error DESCRIPTION SUBSTRING COMMAND...: the command must fail with exactly one error line
# that contains SUBSTRING
expect_error() {
  local d=$1 want=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  local lines; lines=$(grep -c '^robusta: error' <<<"$out")
  if ((rc != 0)) && [[ $lines == 1 ]] && grep -qF -- "$want" <<<"$out"; then ok "$d"
  else fail "$d (exit $rc, $lines error lines, wanted '$want'; got: $(head -c 400 <<<"$out"))"; fi
}
MPIRUN=(mpirun --oversubscribe --allow-run-as-root)
mpirun_n() { local n=$1; shift; "${MPIRUN[@]}" -np "$n" "$@"; }
finish() { echo "$E2E_PASS passed, $E2E_FAIL failed"; ((E2E_FAIL == 0)); }
# csv_without_run_id FILE: cells.csv without its run_id column (the one column that names the run
# directory, so it differs between two runs with identical numbers; found by its header name)
csv_without_run_id() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "run_id") skip = i }
           { out = ""; for (i = 1; i <= NF; i++) if (i != skip) out = out (out == "" && i == 1 ? "" : ",") $i; print out }' "$1"
}
