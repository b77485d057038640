#!/usr/bin/env bash
# faults.sh - the MPI error discipline (docs/failure-model.md) under injected faults and a real full
# filesystem: a write or an allocation made to fail (RB_FAULT=KIND:N[@RANK][:MATCH]) on 1, 2 and 3
# ranks at the results.h5 write, a journal record, the shared clean pass of the grid, the dataset
# write of synth, the model write of train and several allocations. Every case must end, within its
# timeout, with exactly one "robusta: error" line, a non-zero exit, no crash (sanitizer reports, signals), and no half-written
# file: the run's previously committed results.h5 stays byte for byte, and no temporary is left.
# Last, a small tmpfs that fills while a 2-rank job writes results.h5 (skipped when mount is not
# permitted). Under tests/run.sh the script also runs with ROBUSTA=bin/robusta-asan.
source "$(dirname "$0")/lib.sh"
d=$E2E_TMP/data
small=(--set data.dir=\"$d\"
       --set data.datasets.[0].n_train=40 --set data.datasets.[0].n_train_violent=19
       --set data.datasets.[0].n_test=16 --set data.datasets.[0].n_test_violent=8
       --set data.datasets.[1].n_test=12 --set data.datasets.[1].n_test_violent=6
       --set model.hidden1=32 --set model.hidden2=8 --set train.epochs=2 --set train.batch=8 --set train.lr=1e-3
       --set train.seeds=1 --set gmm.components=2 --set gmm.subsample=2000)
grid=(--set 'grid.visual=[gaussian_noise, fog]' --set 'grid.audio=[reverb]' --set 'grid.severities=[1, 5]'
      --set 'grid.pairs=[]')
bench=("$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${grid[@]}")
LIMIT=120

# fault_case DESCRIPTION WANT NP RB_FAULT COMMAND...: run COMMAND on NP ranks (0: without mpirun)
# with RB_FAULT set, bounded by the timeout, and check the outcome of a fault.
fault_case() {
  local desc=$1 want=$2 np=$3 spec=$4; shift 4
  local out rc
  if ((np == 0)); then out=$(RB_FAULT=$spec timeout $LIMIT "$@" 2>&1); rc=$?
  else out=$(timeout $LIMIT "${MPIRUN[@]}" -np "$np" -x RB_FAULT="$spec" "$@" 2>&1); rc=$?; fi
  local lines; lines=$(grep -c '^robusta: error' <<<"$out")
  local why=
  ((rc == 124)) && why+=" hung (timeout ${LIMIT}s hit)"
  ((rc == 0)) && why+=" exit 0"
  [[ $lines == 1 ]] || why+=" $lines error lines"
  grep -qF -- "$want" <<<"$out" || why+=" no '$want' in the error"
  [[ -z $spec ]] || grep -q '^robusta: fault injected' <<<"$out" || why+=" the fault was never injected"
  grep -Eq 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:|Segmentation fault|signal 11|core dumped|exited on signal' <<<"$out" &&
    why+=" crashed"
  if [[ -z $why ]]; then ok "$desc"; grep '^robusta: error' <<<"$out" | sed 's/^/       /' | head -c 300
  else fail "$desc:$why; got: $(grep -v '^robusta: cell\|^robusta: fault' <<<"$out" | head -c 600)"; fi
}

check "train the small models" timeout 300 "$ROBUSTA" train -c configs/default.cfg "${small[@]}"
check "a complete 2-rank run to fault later" timeout $LIMIT "${MPIRUN[@]}" -np 2 "${bench[@]}" --out "$E2E_TMP/run"
sum() { sha256sum "$1" | cut -d' ' -f1; }
committed=$(sum "$E2E_TMP/run/results.h5")
h5dump -m '%.17g' -d /cells/ap -d /replicas/roc_auc "$E2E_TMP/run/results.h5" | tail -n +2 >"$E2E_TMP/committed-metrics.txt"

# ---- the results.h5 write: a resumed run rewrites results.h5 from the journal; a fault in that
# write must leave the committed file as it was.
for spec in "1:write:1@0:results.h5.tmp." "1:write:4@0:results.h5.tmp.*/cells" \
            "2:write:3@1:results.h5.tmp." "2:write:1@0:results.h5.tmp.*/replicas" \
            "3:write:6@2:results.h5.tmp." "3:write:2@1:results.h5.tmp.*/provenance" \
            "2:alloc:1@1:cells columns" "3:alloc:2@2:provenance line" "2:alloc:1@0:severity column"; do
  np=${spec%%:*} f=${spec#*:}
  fault_case "results.h5 write fails on $np rank(s) ($f): one error, no hang" "results.h5" "$np" "$f" \
    "${bench[@]}" --out "$E2E_TMP/run" --resume
  check "  ... the committed results.h5 is intact and no temporary is left ($f)" \
    bash -c "[[ \$(sha256sum '$E2E_TMP/run/results.h5' | cut -d' ' -f1) == $committed ]] && [[ -z \$(find '$E2E_TMP/run' -name '*.tmp' -o -name '*.tmp.*' -o -name '*.reserve') ]]"
done
# without the fault, the same resume rewrites the same metrics (the failures left nothing behind)
check "the resumed run completes once the fault is gone" timeout $LIMIT "${MPIRUN[@]}" -np 2 "${bench[@]}" --out "$E2E_TMP/run" --resume
check "  ... with the metrics of the committed file" bash -c "h5dump -m '%.17g' -d /cells/ap -d /replicas/roc_auc '$E2E_TMP/run/results.h5' | tail -n +2 | cmp -s - '$E2E_TMP/committed-metrics.txt'"

# ---- a journal record, a cell's allocation: the failing rank stops, the others stop after their
# cell, nobody writes results.h5
for spec in "1:write:2@0:journal:journal" "2:write:2@1:journal:journal" "3:write:1@2:journal:journal" \
            "2:alloc:1@1:cell record:cell record" "3:alloc:1@0:journal record:journal record"; do
  np=${spec%%:*} rest=${spec#*:} want=${spec##*:}
  f=${rest%:*}
  rm -rf "$E2E_TMP/j"
  fault_case "a cell fails on $np rank(s) ($f): one error, no hang" "$want" "$np" "$f" "${bench[@]}" --out "$E2E_TMP/j"
  check "  ... no results.h5 and no temporary ($f)" bash -c "[[ ! -e '$E2E_TMP/j/results.h5' ]] && [[ -z \$(find '$E2E_TMP/j' -name '*.tmp' -o -name '*.tmp.*') ]]"
done

# ---- the clean pass shared over the ranks (src/grid/clean_pass.c): an allocation fails on one rank
# while it builds its scorer, or after it scored its clean blocks while the others wait to gather
for spec in "2:alloc:1@1:clean pass row ranges" "3:alloc:1@2:clean pass arrays" "3:alloc:2@0:clean scores" \
            "4:alloc:1@3:clean pass row offsets"; do
  np=${spec%%:*} f=${spec#*:}
  rm -rf "$E2E_TMP/c"
  fault_case "the shared clean pass fails on one of $np ranks ($f): one error, no hang" "the clean pass of dataset" "$np" "$f" \
    "${bench[@]}" --out "$E2E_TMP/c"
  check "  ... no results.h5 and no temporary ($f)" bash -c "[[ ! -e '$E2E_TMP/c/results.h5' ]] && [[ -z \$(find '$E2E_TMP/c' -name '*.tmp' -o -name '*.tmp.*') ]]"
done

# ... and with the clean arrays shared per "node" of 2 ranks (ROBUSTA_TEST_NODE_RANKS): a fault on the
# second node's first rank, or on a rank that is not its node's first, before the nodes exchange rows
for spec in "3:alloc:1@2:clean pass arrays" "4:alloc:1@1:clean pass row ranges" "4:alloc:2@3:clean scores"; do
  np=${spec%%:*} f=${spec#*:}
  rm -rf "$E2E_TMP/c"
  fault_case "the clean pass shared per node of 2 ranks fails on one of $np ranks ($f): one error, no hang" \
    "the clean pass of dataset" "$np" "$f" -x ROBUSTA_TEST_NODE_RANKS=2 "${bench[@]}" --out "$E2E_TMP/c"
  check "  ... no results.h5 and no temporary ($f, nodes of 2)" bash -c "[[ ! -e '$E2E_TMP/c/results.h5' ]] && [[ -z \$(find '$E2E_TMP/c' -name '*.tmp' -o -name '*.tmp.*') ]]"
done

# ---- an unwritable place: the run directory cannot be created (a file is in the way)
touch "$E2E_TMP/afile"
fault_case "an uncreatable run directory on 2 ranks: one error, no hang" "afile" 2 "" "${bench[@]}" --out "$E2E_TMP/afile/run"

# ---- a read that fails on one rank only (the test split's string columns, read by every rank)
fault_case "reading the test split fails on one of 3 ranks: one error, no hang" "xdv-like.h5" 3 "alloc:1@2:string column" \
  "${bench[@]}" --out "$E2E_TMP/read"

# ---- the dataset write of synth and the model write of train (rank 0 writes, the others wait)
for np in 1 2 3; do
  fault_case "synth: a dataset write fails on $np rank(s)" "xdv-like" "$np" "write:2@0:xdv-like.h5.tmp" \
    "$ROBUSTA" synth -c configs/default.cfg "${small[@]}" --set data.dir=\"$E2E_TMP/synth$np\"
  check "  ... no dataset file and no temporary ($np)" bash -c "[[ ! -e '$E2E_TMP/synth$np/xdv-like.h5' ]] && [[ -z \$(find '$E2E_TMP/synth$np' -name '*.tmp' -o -name '*.tmp.*') ]]"
done
cp -r "$d" "$E2E_TMP/train2" && rm -f "$E2E_TMP/train2"/*.model.h5
for np in 1 2; do
  fault_case "train: the model write fails on $np rank(s)" "model.h5" "$np" "write:3@0:model.h5.tmp" \
    "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set data.dir=\"$E2E_TMP/train2\"
  check "  ... no model file and no temporary ($np)" bash -c "[[ ! -e '$E2E_TMP/train2/xdv-like.model.h5' ]] && [[ -z \$(find '$E2E_TMP/train2' -name '*.tmp' -o -name '*.tmp.*') ]]"
done

expect_error "a bad option on 3 ranks is one error line" "unknown option" \
  timeout $LIMIT "${MPIRUN[@]}" -np 3 "$ROBUSTA" bench --no-such-option
expect_error "a malformed RB_FAULT is one clear error" "RB_FAULT: 'write:zero' needs a count" \
  timeout $LIMIT "${MPIRUN[@]}" -np 2 -x RB_FAULT=write:zero "$ROBUSTA" config -c configs/default.cfg

# ---- a rank that dies mid-grid (kill -9 of one rank): the launcher ends the job, nothing is published
kd=$E2E_TMP/killdata
slow=("${small[@]}" --set data.dir=\"$kd\" --set data.datasets.[0].n_test=120 --set data.datasets.[0].n_test_violent=60)
check "train the models of the rank-death run" timeout 300 "$ROBUSTA" train -c configs/default.cfg "${slow[@]}"
timeout $LIMIT "${MPIRUN[@]}" -np 2 "$ROBUSTA" bench -c configs/default.cfg "${slow[@]}" "${grid[@]}" \
  --set 'grid.severities=[1, 2, 3, 4, 5]' --out "$E2E_TMP/dies" >"$E2E_TMP/dies.log" 2>&1 &
tpid=$!
for _ in $(seq 1 600); do
  [[ $(grep -cE 'grid [0-9]+/[0-9]+ \(' "$E2E_TMP/dies/log.txt" 2>/dev/null) -ge 2 ]] && break
  sleep 0.1
done
mpid=$(pgrep -P "$tpid" | head -1)
victim=$(pgrep -P "${mpid:-0}" | tail -1)   # the ranks are the launcher's children
[[ -n $victim ]] && kill -9 "$victim"
wait "$tpid"; rc=$?
if [[ -n $victim ]] && ((rc != 0 && rc != 124)) && [[ ! -e $E2E_TMP/dies/results.h5 ]] && ls "$E2E_TMP/dies/journal" | grep -q rank; then
  ok "a rank killed mid-grid ends the 2-rank job (exit $rc, no hang, no results.h5, the journal kept)"
else
  fail "a rank killed mid-grid: victim '${victim}', exit $rc; $(tail -c 400 "$E2E_TMP/dies.log")"
fi

# ---- a real full filesystem: a tmpfs with room for the run but not for its results.h5 (a wider
# grid, so that results.h5 is large next to the journal and the other files of the run)
wide=("${bench[@]}" --set 'grid.visual=[gaussian_noise, fog, frame_drop, jpeg]' --set 'grid.audio=[reverb, packet_loss]'
      --set 'grid.severities=[1, 2, 3, 4, 5]')
mnt=$E2E_TMP/tmpfs
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=64m tmpfs "$mnt" 2>/dev/null; then
  echo "skip a full tmpfs: mount -t tmpfs is not permitted here"
else
  trap 'umount "$mnt" 2>/dev/null; rm -rf "$E2E_TMP"' EXIT
  check "a complete run of the wider grid (to measure its files)" timeout $LIMIT "${MPIRUN[@]}" -np 2 "${wide[@]}" --out "$mnt/ref"
  res_kib=$(du -k "$mnt/ref/results.h5" | cut -f1)
  # what the run writes before results.h5 (journal, manifest, log)
  rest_kib=$(du -sk --exclude=results.h5 --exclude=summary.md --exclude=cells.csv "$mnt/ref" | cut -f1)
  rm -rf "$mnt/ref"
  # room for the run, the 128 KiB that results.h5's writer reserves for its final flush
  # (src/results/results_file.c), and a third of results.h5
  free_kib=$(( rest_kib + 128 + res_kib / 3 ))
  avail_kib=$(df -k --output=avail "$mnt" | tail -1)
  echo "tmpfs: results.h5 $res_kib KiB, the rest of the run $rest_kib KiB, $free_kib KiB left free"
  if (( res_kib / 3 < 24 )); then
    fail "a full tmpfs: results.h5 ($res_kib KiB) is too small to fill the disk in its write"
  else
    dd if=/dev/zero of="$mnt/filler" bs=1k count=$(( avail_kib - free_kib )) status=none
    fault_case "a tmpfs fills during the 2-rank results.h5 write: one error, no hang" "results.h5" 2 "" \
      "${wide[@]}" --out "$mnt/run"
    check "  ... no results.h5 and no temporary on the full filesystem, the journal is there" \
      bash -c "[[ ! -e '$mnt/run/results.h5' ]] && [[ -z \$(find '$mnt/run' -name '*.tmp' -o -name '*.tmp.*' -o -name '*.reserve') ]] && ls '$mnt/run/journal' | grep -q rank"
    rm -rf "$mnt/run"   # the same room again, for one rank (where an open HDF5 file used to crash MPI_Finalize)
    fault_case "a tmpfs fills during the 1-rank results.h5 write: one error, no crash" "results.h5" 0 "" \
      "${wide[@]}" --out "$mnt/run"
    check "  ... no results.h5 and no temporary (1 rank)" bash -c "[[ ! -e '$mnt/run/results.h5' ]] && [[ -z \$(find '$mnt/run' -name '*.tmp' -o -name '*.tmp.*' -o -name '*.reserve') ]]"
  fi
  umount "$mnt"
  trap 'rm -rf "$E2E_TMP"' EXIT
fi
finish
