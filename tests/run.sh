#!/usr/bin/env bash
# run.sh - the test suite behind `make test`, `make test-unit` and `make test-e2e`: the include rule
# between the stages (tests/check-layout.sh), the unit tests, the same unit tests under AddressSanitizer
# + UBSan (with MPI, then a leak check without MPI), a short fuzz run, and the end-to-end tests (real
# mpirun, real HDF5 files), the MPI ones also under the sanitizer binary.
#
#   usage: tests/run.sh [--unit | --e2e] [--only PATTERN]
#     --unit          the layout check and the three unit-test passes only
#     --e2e           the end-to-end scripts only (plain and sanitizer runs)
#     --only PATTERN  only the unit tests whose name contains PATTERN (or is exactly PATTERN), the e2e
#                     scripts whose name contains it, and the layout check / fuzz run when "layout" /
#                     "fuzz" contains it; parts left with nothing to run are skipped
#
# Each part prints "N passed, N failed"; this script adds them up and, at the end, lists each part's
# wall-clock time (where CI's time goes) and every failed test with the command that reruns it
# alone ("FAIL unit NAME -> ./bin/robusta-unit NAME", "FAIL e2e grid: DESCRIPTION ->
# bash tests/e2e/grid.sh"), then prints the total "N passed, N failed"
# as its last line, and exits non-zero on any failure. Failures are read from the parts' output: lines
# "FAIL NAME (" of the unit binary (tests/unit/rb_test_main.c), lines "FAIL ..." of the e2e scripts
# (tests/e2e/lib.sh) and of the layout check; a part that fails without such a line is listed whole.
set -uo pipefail
cd "$(dirname "$0")/.."
export ROBUSTA="$PWD/bin/robusta"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1

want_unit=1 want_e2e=1 want_fuzz=1 pattern=
usage() { echo "usage: tests/run.sh [--unit | --e2e] [--only PATTERN]" >&2; exit 2; }
while (($#)); do
  case $1 in
    --unit) want_e2e=0 want_fuzz=0 ;;
    --e2e) want_unit=0 want_fuzz=0 ;;
    --only) (($# >= 2)) && [[ -n $2 ]] || usage; pattern=$2; shift ;;
    *) usage ;;
  esac
  shift
done
((want_unit || want_e2e)) || usage

# The sanitizer settings of every sanitizer part (and of its rerun commands).
SAN_ENV=(ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
LEAK_ENV=(RB_UNIT_NO_MPI=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

total_pass=0 total_fail=0 parts_run=0
failures=() # "FAIL <label> <what> -> <rerun command>", in the order seen
part_times=() # "   N s  TITLE" per part, printed at the end (where CI time goes)

# matches NAME: whether a part or script called NAME is selected by --only (always without it)
matches() { [[ -z $pattern || $1 == *"$pattern"* ]]; }
# shell_words WORD...: the words as one command line a shell reads back the same
shell_words() { local out= w; for w in "$@"; do out+="${out:+ }$(printf '%q' "$w")"; done; printf '%s' "$out"; }

# run_part TITLE LABEL KIND COMMAND...: run COMMAND (leading VAR=value words are its environment),
# show its output, add its "N passed, N failed" (or 1 / 0 by exit status) to the totals, and record
# its failures with their rerun commands. KIND: unit (COMMAND is a unit binary; --only's pattern is
# appended, one test reruns as COMMAND NAME), script (an e2e script: FAIL lines are its checks) or
# whole (FAIL lines are complete descriptions; the rerun is COMMAND).
run_part() {
  local title=$1 label=$2 kind=$3; shift 3
  local cmd=("$@") args=()
  [[ $kind == unit && -n $pattern ]] && args=("$pattern")
  local rerun; rerun=$(shell_words "${cmd[@]}")
  echo "=== $title"
  parts_run=$((parts_run + 1))
  local started=$SECONDS
  local log; log=$(mktemp)
  env "${cmd[@]}" "${args[@]}" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} line listed=0
  while IFS= read -r line; do
    case $kind in
      unit) [[ $line =~ ^FAIL\ ([^ ]+)\ \( ]] || continue
            failures+=("FAIL $label ${BASH_REMATCH[1]} -> $rerun ${BASH_REMATCH[1]}") ;;
      script) [[ $line =~ ^FAIL:?\ (.*)$ ]] || continue
              failures+=("FAIL $label: ${BASH_REMATCH[1]} -> $rerun") ;;
      whole) [[ $line == FAIL* ]] || continue
             failures+=("$line -> $rerun") ;;
    esac
    listed=$((listed + 1))
  done <"$log"
  local last; last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  # a unit binary that died: the first selected test without a result line is the one it died in
  if [[ $kind == unit && -z $last ]] && ((rc != 0)); then
    local t
    while IFS= read -r t; do
      grep -qE "^(ok   |FAIL |skip )$t \(" "$log" && continue
      failures+=("FAIL $label $t (the binary died in it: exit status $rc) -> $rerun $t")
      break
    done < <(env "${cmd[@]}" --list "${args[@]}")
  fi
  rm -f "$log"
  local p=0 f=0
  if [[ -n $last ]]; then
    p=${last%% passed*} f=${last#*, }; f=${f%% failed}
  elif ((rc == 0)); then
    p=1
  fi
  if ((rc != 0 && f == 0)); then
    f=1
    echo "FAIL $title: exit status $rc"
  fi
  # a part that failed without naming a test, or ended before its summary line (a crash; the tests
  # after the one it died in did not run): list it whole
  if ((rc != 0)) && { ((listed == 0)) || [[ -z $last ]]; }; then
    failures+=("FAIL $label (exit status $rc) -> $(shell_words "${cmd[@]}" "${args[@]}")")
  fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  part_times+=("$(printf '%5d s  %s' $((SECONDS - started)) "$title")")
}

# unit_part TITLE LABEL COMMAND...: a unit-test pass, skipped when no selected test would run in it
unit_part() {
  local title=$1 label=$2; shift 2
  local bin; for bin in "$@"; do [[ $bin == *=* ]] || break; done
  if [[ ! -x $bin ]]; then
    echo "=== $title"
    echo "FAIL $bin is missing (make all asan builds it)"
    failures+=("FAIL $label: $bin is missing -> make all asan")
    total_fail=$((total_fail + 1)); parts_run=$((parts_run + 1))
    return
  fi
  local selected; selected=$(env "$@" --list ${pattern:+"$pattern"} | wc -l)
  ((selected > 0)) && run_part "$title" "$label" unit "$@"
}

if ((want_unit)); then
  matches layout && run_part "layout (include rule between the stages)" layout whole bash tests/check-layout.sh
  unit_part "unit tests" unit ./bin/robusta-unit
  # AddressSanitizer + UBSan over every unit test (with MPI). Open MPI's plugins leave allocations
  # behind that LeakSanitizer cannot attribute, so leaks are checked in a second pass without MPI_Init
  # (the few tests that need MPI are skipped there and run in the first pass).
  unit_part "unit tests (address + undefined sanitizers)" unit-asan "${SAN_ENV[@]}" ./bin/robusta-unit-asan
  unit_part "unit tests (leak check, no MPI)" unit-leak "${LEAK_ENV[@]}" ./bin/robusta-unit-asan
fi
if ((want_fuzz)) && matches fuzz && [[ -x tests/fuzz/run.sh ]]; then
  run_part "fuzz (short run)" fuzz whole bash tests/fuzz/run.sh "${ROBUSTA_FUZZ_SECONDS:-10}"
fi
if ((want_e2e)); then
  for t in tests/e2e/*.sh; do
    name=$(basename "$t" .sh)
    [[ $name == lib ]] && continue
    matches "$name" && run_part "e2e $name" "e2e $name" script bash "$t"
  done
  # The MPI paths (collective HDF5, journal, resume, shared windows, merge) under the sanitizer binary.
  for name in train grid merge faults integrity safe_files error_returns; do
    matches "$name" && run_part "e2e $name (address + undefined sanitizers)" "e2e-asan $name" script \
      ROBUSTA="$PWD/bin/robusta-asan" "${SAN_ENV[@]}" bash "tests/e2e/$name.sh"
  done
fi
if ((parts_run == 0)); then
  failures+=("FAIL nothing to run: no selected unit test or e2e script name contains '$pattern'")
  total_fail=$((total_fail + 1))
fi
echo
if ((${#part_times[@]})); then
  echo "time per part (wall clock):"
  printf '%s\n' "${part_times[@]}"
fi
if ((${#failures[@]})); then
  echo "failed (rerun from $PWD; the e2e scripts need, as root: export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1):"
  printf '%s\n' "${failures[@]}"
fi
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
