#!/usr/bin/env bash
# integrity.sh - run identity and run directories (docs/run-directory.md): a resumed run is bitwise
# equal to an uninterrupted one on 1 and 2 ranks, or refused with the reason - another binary
# (version or commit in the manifest, a dirty build of other sources), another config (with or
# without its manifest), other inputs (an input file or the inputs digest), another --datasets shard, a journal
# record whose cell key the run does not have, --resume --save-scores on a run started without it;
# the run lock refuses a second job on the same directory (a real concurrent run, left unaffected,
# and a held lock on 2 ranks); a new run refuses a non-empty directory (user files intact, --out /);
# a run that committed no cell never blocks a rerun; config errors that used to surface after
# training are reported before anything is written; config files and @include files are bounded.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
d=$T/data
small=(--set data.dir=\"$d\"
       --set data.datasets.[0].n_train=40 --set data.datasets.[0].n_train_violent=20
       --set data.datasets.[0].n_test=16 --set data.datasets.[0].n_test_violent=9
       --set data.datasets.[1].n_test=10 --set data.datasets.[1].n_test_violent=5
       --set data.datasets.[0].d_visual=64 --set data.datasets.[1].d_visual=64
       --set data.datasets.[0].d_audio=16 --set data.datasets.[1].d_audio=16
       --set model.hidden1=32 --set model.hidden2=8 --set train.epochs=2 --set train.batch=8
       --set train.seeds=2 --set gmm.components=2 --set gmm.subsample=2000
       --set 'grid.visual=[fog]' --set 'grid.audio=[reverb]' --set 'grid.severities=[1, 3]')
bench() { timeout 120 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "$@"; }
bench2() { timeout 120 "${MPIRUN[@]}" -np 2 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "$@"; }
metrics() { # every metric dataset of a results file, values only
  for obj in /cells/ap /cells/ap_step /cells/roc_auc /replicas/ap /replicas/roc_auc /conditions/weight_visual \
             /conditions/weight_audio /conditions/detect_auc_visual /cells/method /cells/corruption /cells/severity; do
    h5dump -m '%.17g' -d "$obj" "$1" | tail -n +2; done; } # %.17g: every bit of a double (the default prints 6 digits)
same_results() { # same metrics, cells.csv (but its run_id column) and summary.md
  cmp -s <(metrics "$1/results.h5") <(metrics "$2/results.h5") && cmp -s <(csv_without_run_id "$1/cells.csv") <(csv_without_run_id "$2/cells.csv") &&
    cmp -s "$1/summary.md" "$2/summary.md"; }

# journal.py: keep the first N whole records of a journal file (and leave a torn tail), or give
# record I a new cell key with a valid checksum (the record format of src/io/journal.c)
cat >"$T/journal.py" <<'PY'
import struct, sys
def records(data):
    out, pos = [], 0
    while pos + 16 <= len(data):
        magic, t, n, z = struct.unpack_from("<IIII", data, pos)
        end = pos + 16 + t + 8 * n + 8
        if magic != 0x324a4252 or end > len(data): break
        out.append((pos, t, n, end)); pos = end
    return out
def fnv(b, h=1469598103934665603):
    for c in b: h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h
cmd, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
recs = records(data)
if cmd == "keep":
    k = int(sys.argv[3])
    cut = recs[k][0] if k < len(recs) else len(data)
    open(path, "wb").write(data[:cut] + (data[cut:cut + 21] if k < len(recs) else b""))  # torn tail
elif cmd == "rekey":
    i, key = int(sys.argv[3]), sys.argv[4]
    pos, t, n, end = recs[i]
    text = data[pos + 16:pos + 16 + t].decode().split("\n")
    text[0] = "key=" + key
    text = "\n".join(text).encode()
    payload = data[pos + 16 + t:end - 8]
    rec = struct.pack("<IIII", 0x324a4252, len(text), n, 0) + text + payload + struct.pack("<Q", fnv(payload, fnv(text)))
    open(path, "wb").write(data[:pos] + rec + data[end:])
elif cmd == "count":
    print(len(recs))
PY
jpy() { python3 "$T/journal.py" "$@"; }
# interrupt DIR KEEP: turn a finished run into one killed part-way: no results or tables, and each
# rank's journal cut to its first KEEP records plus a torn record
interrupt() {
  rm -f "$1/results.h5" "$1/summary.md" "$1/cells.csv"
  for f in "$1"/journal/attempt-*.bin; do jpy keep "$f" "$2"; done
}

check "train the small models" timeout 300 "$ROBUSTA" train -c configs/default.cfg "${small[@]}"
check "uninterrupted run on 1 rank" bench --out "$T/whole1"
check "uninterrupted run on 2 ranks" bench2 --out "$T/whole2"
check "the manifest records version, commit, config digest, inputs and the 14 cell keys" bash -c "
  grep -q '^robusta_version: ' '$T/whole1/manifest.txt' && grep -q '^git_commit: ' '$T/whole1/manifest.txt' &&
  grep -Eq '^config_digest: [0-9a-f]{64}$' '$T/whole1/manifest.txt' && grep -Eq '^input: [0-9a-f]{64}  .*xdv-like.model.h5$' '$T/whole1/manifest.txt' &&
  grep -q '^cells: 14$' '$T/whole1/manifest.txt' && [[ \$(grep -c '^cell: ' '$T/whole1/manifest.txt') == 14 ]] &&
  grep -q '^cell: ucf-like/audio.reverb/3$' '$T/whole1/manifest.txt' && grep -q '^owns: manifest.txt run.lock' '$T/whole1/manifest.txt'"

# ---- resume: accepted and bitwise equal, on 1 and 2 ranks
cp -r "$T/whole1" "$T/part1" && interrupt "$T/part1" 5
check "an interrupted 1-rank run kept 5 records" [ "$(jpy count "$T"/part1/journal/attempt-0000-rank-000000.bin)" = 5 ]
cp -r "$T/part1" "$T/part1.orig"
check "resume the interrupted run on 1 rank" bench --out "$T/part1" --resume
check "the resume restored the 5 committed cells" grep -q 'resume: 5 of 14 cells' "$T/part1/log.txt"
check "resumed on 1 rank equals uninterrupted (metrics, cells.csv, summary.md)" same_results "$T/part1" "$T/whole1"
cp -r "$T/whole2" "$T/part2" && interrupt "$T/part2" 3
check "resume an interrupted 2-rank run on 2 ranks" bench2 --out "$T/part2" --resume
check "the resume restored the 6 committed cells" grep -q 'resume: 6 of 14 cells' "$T/part2/log.txt"
check "resumed on 2 ranks equals uninterrupted on 2 and on 1 rank" bash -c "$(declare -f metrics same_results); same_results '$T/part2' '$T/whole2' && same_results '$T/part2' '$T/whole1'"

# ---- resume refused, naming what differs
refused() { # refused NAME WANT EDIT-COMMAND [bench args...]: a copy of the interrupted run, edited, then resumed
  local name=$1 want=$2 edit=$3; shift 3
  rm -rf "$T/$name" && cp -r "$T/part1.orig" "$T/$name"
  (cd "$T/$name" && eval "$edit")
  local before; before=$(cat "$T/$name"/journal/* | md5sum)
  expect_error "resume refused: $name" "$want" bench --out "$T/$name" --resume "$@"
  check "  ... and its journal untouched, no results.h5 ($name)" bash -c "[[ \"\$(cat '$T/$name'/journal/* | md5sum)\" == '$before' && ! -e '$T/$name/results.h5' ]]"
}
refused version "robusta version differs from the run's (run: 0.0.1-old" "sed -i 's/^robusta_version: .*/robusta_version: 0.0.1-old/' manifest.txt"
refused commit "git commit of the binary differs from the run's (run: 0123456789ab" "sed -i 's/^git_commit: .*/git_commit: 0123456789ab/' manifest.txt"
refused dirty-build "-dirty-000000000000, this binary: " \
  "sed -i 's/^git_commit: \\([0-9a-f]\\{12\\}\\).*/git_commit: \\1-dirty-000000000000/' manifest.txt"
check "the binary's identity: a commit, with a source digest when built dirty, or unknown" bash -c \
  "timeout 300 '$ROBUSTA' --version | grep -Eq '^robusta [0-9.]+ \\(commit ([0-9a-f]{12}(-dirty-[0-9a-f]{12})?|unknown)\\)$' &&
   grep -Eq '^git_commit: ([0-9a-f]{12}(-dirty-[0-9a-f]{12})?|unknown)$' '$T/whole1/manifest.txt'"
refused config "config digest differs from the run's" ":" --set 'grid.visual=[pixelate]'
refused no-manifest "holds 5 committed cells in journal/ but no manifest.txt" "rm manifest.txt" --set 'grid.visual=[pixelate]'
refused no-manifest-same-config "but no manifest.txt" "rm manifest.txt"
refused unknown-key "a record names cell xdv-like/visual.nosuch/1, which is not a cell of this run" \
  "python3 '$T/journal.py' rekey journal/attempt-0000-rank-000000.bin 2 xdv-like/visual.nosuch/1"
refused input "input differs from the run's (run: 000000000000.." \
  "sed -i '0,/^input: /s/^input: [0-9a-f]\\{64\\}/input: $(printf '0%.0s' {1..64})/' manifest.txt"
refused inputs-digest "inputs digest differs from the run's" \
  "sed -i 's/^inputs_digest: .*/inputs_digest: $(printf '0%.0s' {1..64})/' manifest.txt"
refused datasets "--datasets differs from the run's (run: all, now: xdv-like)" ":" --datasets xdv-like
refused save-scores "the run was started without --save-scores; resume it without --save-scores" ":" --save-scores
refused old-manifest "written by a robusta without run identities" "sed -i '/^format: /d' manifest.txt"
expect_error "a new run over an interrupted one is refused" "already holds a run (5 cells committed); use --resume" bench --out "$T/part1.orig"
expect_error "a new run over a finished one is refused" "already holds a run (14 cells committed, results.h5 written)" bench --out "$T/whole1"

# ---- the run lock: a second job on the same directory
bench --out "$T/conc" >"$T/conc.log" 2>&1 &
first=$!
for _ in $(seq 1 2000); do grep -q '^pid ' "$T/conc/run.lock" 2>/dev/null && break; sleep 0.01; done
job=$(awk '/^pid /{print $2}' "$T/conc/run.lock" 2>/dev/null)
if [[ -n $job ]] && kill -STOP "$job" 2>/dev/null; then  # hold the first job inside its run while the second tries
  expect_error "a second job on a directory in use is refused" "is in use by another robusta job (pid $job on" bench --out "$T/conc"
  kill -CONT "$job"
else fail "the first job ended before the second could start"; fi
wait "$first"; check "the first job finished normally (exit $?)" [ "$?" = 0 ]
check "the first job's results equal an undisturbed run" same_results "$T/conc" "$T/whole1"
check "the lock is released when the job ends" flock -n "$T/conc/run.lock" true
mkdir "$T/held"
flock "$T/held/run.lock" sleep 60 &
holder=$!
for _ in $(seq 1 500); do [[ -e $T/held/run.lock ]] && break; sleep 0.01; done
expect_error "a held lock refuses the job on 2 ranks with one message" "is in use by another robusta job" bench2 --out "$T/held"
check "  ... and nothing was written" bash -c "[[ \$(ls '$T/held') == run.lock ]]"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# ---- run directories
mkdir "$T/user" && echo "my notes" >"$T/user/notes.txt" && echo "my own summary" >"$T/user/summary.md"
expect_error "a new run refuses a non-empty directory" "is not empty (it holds" bench --out "$T/user"
check "  ... the user's files are intact and nothing was added" bash -c "
  [[ \$(cat '$T/user/notes.txt') == 'my notes' && \$(cat '$T/user/summary.md') == 'my own summary' && \$(ls '$T/user' | wc -l) == 2 ]]"
expect_error "--out / is refused" "run directory / is not empty" bench --out /
expect_error "--out / --resume is refused" "run directory / is not empty" bench --out / --resume
mkdir -p "$T/stale/journal" && cp "$T/whole1/manifest.txt" "$T/stale/" && : >"$T/stale/journal/attempt-0000-rank-000000.bin"
check "a run directory whose run committed no cell is started afresh" bash -c "$(declare -f bench); small=(${small[*]@Q}); ROBUSTA='$ROBUSTA' bench --out '$T/stale' >'$T/stale.log' 2>&1"
check "  ... and says so" grep -q 'held a run that committed no cell' "$T/stale.log"
check "  ... with the results of an undisturbed run" same_results "$T/stale" "$T/whole1"

# ---- config errors found before any work, with nothing written
late() { # late DESCRIPTION WANT SET...
  local desc=$1 want=$2; shift 2
  local sets=(); for s in "$@"; do sets+=(--set "$s"); done
  rm -rf "$T/late"
  expect_error "bench: $desc" "$want" bench --out "$T/late" "${sets[@]}"
  check "  ... no run directory left ($desc)" test ! -e "$T/late"
  expect_error "config: $desc" "$want" timeout 300 "$ROBUSTA" config -c configs/default.cfg "${small[@]}" "${sets[@]}"
}
late "duplicate severities" "grid.severities lists 3 twice" 'grid.severities=[1, 3, 3]'
late "a pair naming an unknown corruption" '"nosuch" is not an audio corruption' 'grid.pairs=["fog+nosuch"]'
late "a test set without anomalies" "n_test_violent = 0: the test set needs 1 .. n_test" 'data.datasets.[1].n_test_violent=0'
late "weights.smooth even (an existing model)" "weights.smooth = 4 must be odd" 'weights.smooth=4'
late "synthetic crops out of range" "crops = 10 is out of range [1, 8]" 'data.datasets.[0].crops=10'
late "a step schedule that decays to zero" "train.step_gamma = 0 must be in (0, 1]" 'train.step_gamma=0'
late "a train set too small" "needs at least 2 train videos" 'data.datasets.[0].n_train=1' 'data.datasets.[0].n_train_violent=0'
late "more GMM components than subsampled rows" "gmm.components = 1000 exceeds gmm.subsample = 10" 'gmm.subsample=10' 'gmm.components=1000'
late "data.dir with a newline (it would add a line to manifest.txt)" 'data.dir "'"$T"'/x\ny" contains a control character (byte 0x0a)' \
  "data.dir=\"$T/x"$'\n'"y\""
late "a dataset file with a DEL" 'data.datasets.[0].file "'"$T"'/a\x7fb.h5" contains a control character (byte 0x7f)' \
  "data.datasets.[0].file=\"$T/a"$'\x7f'"b.h5\""
expect_error "2 ranks: a late config error is one message" "grid.severities lists 1 twice" bench2 --out "$T/late" --set 'grid.severities=[1, 1]'
expect_error "synth refuses what config refuses" "crops = 10 is out of range" timeout 60 "$ROBUSTA" synth -c configs/default.cfg --set data.dir=\"$T/nodata\" --set data.datasets.[0].crops=10
check "  ... and wrote no dataset" test ! -e "$T/nodata"

# ---- config files are bounded (1 MiB), /dev/zero fails at once
printf '@include "/dev/zero"\n' >"$T/zero.cfg"
expect_error "@include /dev/zero fails at once" "/dev/zero: not a regular file (a device)" timeout 20 "$ROBUSTA" config -c "$T/zero.cfg"
# a FIFO (no writer ever comes) or a directory as -c or @include: refused at once, never a hang
mkfifo "$T/fifo.cfg" && printf '@include "%s"\n' "$T/fifo.cfg" >"$T/inc-fifo.cfg"
expect_error "-c FIFO is refused, no hang" "fifo.cfg: not a regular file (a FIFO)" timeout 20 "$ROBUSTA" config -c "$T/fifo.cfg"
expect_error "@include of a FIFO is refused, no hang" "fifo.cfg: not a regular file (a FIFO)" timeout 20 "$ROBUSTA" config -c "$T/inc-fifo.cfg"
expect_error "bench -c FIFO is refused, no hang" "not a regular file (a FIFO)" timeout 20 "$ROBUSTA" bench -c "$T/fifo.cfg" --out "$T/fifo-run"
expect_error "-c a directory is refused" "not a regular file (a directory)" timeout 20 "$ROBUSTA" config -c "$T"
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    while f.tell() <= 1100000: f.write('# ' + 'x' * 70 + '\n')" "$T/big.cfg"
printf '@include "default.cfg"\n@include "%s"\n' "$T/big.cfg" >"$T/with-big.cfg" && cp configs/default.cfg configs/base.cfg "$T/"
expect_error "an @include larger than 1 MiB is refused" "larger than 1048576 bytes (1 MiB)" timeout 20 "$ROBUSTA" config -c "$T/with-big.cfg"
expect_error "a -c file larger than 1 MiB is refused" "larger than 1048576 bytes" timeout 20 "$ROBUSTA" config -c "$T/big.cfg"
finish
