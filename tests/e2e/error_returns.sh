#!/usr/bin/env bash
# error_returns.sh - the MPI error discipline (docs/failure-model.md) in the code that used to end
# the job itself with rb_die / rb_collective_check: command-line errors, the commands merge,
# import-xdv, config, report and audit, the team training and the gather of train, and the per-snippet
# scores of `bench --save-scores`. Each case runs on several ranks under a timeout and must end with
# exactly one "robusta: error" line naming the problem, exit status 1 (the status main gives a
# returned error, not an MPI_Abort's), no crash and, for the faults, no file written.
source "$(dirname "$0")/lib.sh"
LIMIT=120
d=$E2E_TMP/data

# one_error DESCRIPTION WANT NP RB_FAULT COMMAND...: COMMAND on NP ranks with RB_FAULT ("" for none)
# ends within LIMIT seconds, exit status 1, one error line containing WANT, the fault injected.
one_error() {
  local desc=$1 want=$2 np=$3 spec=$4; shift 4
  local out rc
  out=$(timeout $LIMIT "${MPIRUN[@]}" -np "$np" -x RB_FAULT="$spec" "$@" 2>&1); rc=$?
  local lines; lines=$(grep -c '^robusta: error' <<<"$out")
  local why=
  ((rc == 124)) && why+=" hung (timeout ${LIMIT}s hit)"
  ((rc == 1)) || why+=" exit $rc (expected 1)"
  [[ $lines == 1 ]] || why+=" $lines error lines"
  grep -qF -- "$want" <<<"$out" || why+=" no '$want' in the error"
  [[ -z $spec ]] || grep -q '^robusta: fault injected' <<<"$out" || why+=" the fault was never injected"
  grep -Eq 'AddressSanitizer|runtime error:|Segmentation fault|signal 11|core dumped|exited on signal|MPI_ABORT' <<<"$out" &&
    why+=" crashed or aborted"
  if [[ -z $why ]]; then ok "$desc"; grep '^robusta: error' <<<"$out" | sed 's/^/       /' | head -c 300
  else fail "$desc:$why; got: $(grep -v '^robusta: \(cell\|fault\|train\|gmm\)' <<<"$out" | head -c 600)"; fi
}

# ---- command-line and command errors, seen alike by every rank: agreed, printed once by rank 0
one_error "an unknown option on 2 ranks" "unknown option" 2 "" "$ROBUSTA" bench --bogus
one_error "bench without -c on 3 ranks" "-c CFG is required" 3 "" "$ROBUSTA" bench
one_error "config with a stray argument on 2 ranks" "unexpected argument 'stray'" 2 "" "$ROBUSTA" config -c configs/default.cfg stray
one_error "config with a bad value on 2 ranks" "train.epochs" 2 "" "$ROBUSTA" config -c configs/default.cfg --set train.epochs=0
one_error "merge on 2 ranks" "merge: run it on one rank" 2 "" "$ROBUSTA" merge -o "$E2E_TMP/m.h5" "$E2E_TMP/missing.h5"
one_error "merge of a missing shard (1 rank)" "missing.h5" 1 "" "$ROBUSTA" merge -o "$E2E_TMP/m.h5" "$E2E_TMP/missing.h5"
check "  ... writes no output" test ! -e "$E2E_TMP/m.h5"
one_error "import-xdv on 2 ranks" "import-xdv is a serial command" 2 "" "$ROBUSTA" import-xdv --lists x
one_error "import-xdv without --lists (1 rank)" "give --lists DIR" 1 "" "$ROBUSTA" import-xdv --out "$E2E_TMP/x.h5"
one_error "report of a missing file on 2 ranks" "missing.h5" 2 "" "$ROBUSTA" report "$E2E_TMP/missing.h5"
one_error "report without a file on 2 ranks" "expected a RESULTS.h5 argument" 2 "" "$ROBUSTA" report
one_error "audit of a missing file on 2 ranks" "missing.h5" 2 "" "$ROBUSTA" audit "$E2E_TMP/missing.h5" "$E2E_TMP/missing.h5"
one_error "audit --check with two files on 2 ranks" "audit --check: expected one results file" 2 "" "$ROBUSTA" audit --check a.h5 b.h5
one_error "audit with a bad tolerance on 3 ranks" "audit" 3 "" "$ROBUSTA" audit --tolerance x a.h5 b.h5

# ---- train: a failed allocation on one rank inside the team training (3 ranks, 2 detectors) and in
# rank 0's preparation of the gather (2 ranks, each owning jobs)
small=(--set data.dir=\"$d\"
       --set data.datasets.[0].n_train=40 --set data.datasets.[0].n_train_violent=19
       --set data.datasets.[0].n_test=16 --set data.datasets.[0].n_test_violent=8
       --set data.datasets.[1].n_test=12 --set data.datasets.[1].n_test_violent=6
       --set model.hidden1=32 --set model.hidden2=8 --set train.epochs=2 --set train.batch=8 --set train.lr=1e-3
       --set train.seeds=1 --set gmm.components=2 --set gmm.subsample=2000)
two=(--set 'train.detectors=["concat", "audio"]')
check "synth the small datasets" timeout 300 "$ROBUSTA" synth -c configs/default.cfg "${small[@]}"
one_error "team training: an allocation fails on rank 1 of 3" "(rank 1 of 3): training xdv-like detector concat#0: out of memory allocating group gradients" 3 "alloc:1@1:group gradients" \
  "$ROBUSTA" train -c configs/default.cfg "${small[@]}" "${two[@]}"
check "  ... no model file" bash -c "! ls '$d'/*.model.h5* 2>/dev/null | grep -q ."
one_error "team training: an allocation fails on rank 2 of 3 at its second detector" "group gradients" 3 \
  "alloc:2@2:group gradients" "$ROBUSTA" train -c configs/default.cfg "${small[@]}" "${two[@]}"
one_error "team training: the gradient exchange's buffer fails on rank 1 of 3" "(rank 1 of 3): training xdv-like detector concat#0: out of memory allocating group gradient slices received" 3 \
  "alloc:1@1:group gradient slices received" "$ROBUSTA" train -c configs/default.cfg "${small[@]}" "${two[@]}"
one_error "gather: rank 0 cannot allocate what rank 1 sends (2 ranks)" "gmm trace" 2 "alloc:1@0:gmm trace" \
  "$ROBUSTA" train -c configs/default.cfg "${small[@]}"
check "  ... no model file" bash -c "! ls '$d'/*.model.h5* 2>/dev/null | grep -q ."
check "train completes without the fault (2 ranks)" timeout 300 "${MPIRUN[@]}" -np 2 "$ROBUSTA" train -c configs/default.cfg "${small[@]}"

# ---- bench --save-scores: a failed scores write on one rank inside results.h5 (2 ranks)
grid=(--set 'grid.visual=[fog]' --set 'grid.audio=[reverb]' --set 'grid.severities=[1]' --set 'grid.pairs=[]')
one_error "saved scores: a write into results.h5 fails on rank 1 of 2 (named)" "(rank 1 of 2): writing" 2 "write:1@1:h5.tmp.*/scores/" \
  "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${grid[@]}" --save-scores --out "$E2E_TMP/run"
check "  ... no results.h5 and no temporary" bash -c "[[ ! -e '$E2E_TMP/run/results.h5' ]] && [[ -z \$(find '$E2E_TMP/run' -name '*.tmp' -o -name '*.tmp.*' -o -name '*.reserve') ]]"
check "  ... the resumed run completes without the fault" timeout $LIMIT "${MPIRUN[@]}" -np 2 "$ROBUSTA" bench \
  -c configs/default.cfg "${small[@]}" "${grid[@]}" --save-scores --out "$E2E_TMP/run" --resume
check "  ... with the scores in results.h5" bash -c "h5ls -r '$E2E_TMP/run/results.h5' | grep -q '^/scores/.*Dataset'"
finish
