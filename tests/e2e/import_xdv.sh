#!/usr/bin/env bash
# import_xdv.sh - end-to-end test of `robusta import-xdv`: generate a tiny release in the real layout
# (tests/e2e/make_xdv_fixture.py), import it, and check the dataset file with h5ls/h5dump against the
# numbers the generator computed independently; then the --crops 1 variant and the error paths.
# Run from the repository root; $ROBUSTA names the binary (default bin/robusta).
# Prints one line per failed check and a final "e2e import_xdv: N checks, ok|FAILED"; exit 1 on failure.
set -u
ROBUSTA=${ROBUSTA:-bin/robusta}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/robusta-e2e-xdv.XXXXXX")
trap 'rm -rf "$work"' EXIT
checks=0
failed=0

check() { # check DESCRIPTION GOT WANT
    checks=$((checks + 1))
    if [ "$2" != "$3" ]; then
        failed=$((failed + 1))
        echo "FAIL: $1"
        echo "   got:  $(printf '%s' "$2" | cut -c1-300)"
        echo "   want: $(printf '%s' "$3" | cut -c1-300)"
    fi
}

# values of a dataset, space separated, via h5dump's raw output
vals() {
    rm -f "$work/raw"
    h5dump -y -w 0 -o "$work/raw" -d "$2" "$1" >/dev/null 2>&1 || { echo "<no $2>"; return; }
    tr -s ', \n' '   ' <"$work/raw" | sed 's/\\000//g; s/"//g' | xargs
}
dims() { h5ls "$1/$2" 2>/dev/null | sed 's/.*Dataset //'; }
attr() { h5dump -a "$2" -y -w 0 "$1" 2>/dev/null | awk '/DATA \{/{getline; print; exit}' | sed 's/^ *"//; s/"$//; s/\\000//g'; }
flat() { xargs <"$1"; }

fx="$work/fx"
python3 "$here/make_xdv_fixture.py" "$fx" || { echo "e2e import_xdv: fixture generator failed"; exit 1; }
args=(--lists "$fx/list" --visual-dir "$fx/i3d-features/RGB" --visual-test-dir "$fx/i3d-features/RGBTest"
      --audio-dir "$fx/vggish-features/train" --audio-test-dir "$fx/vggish-features/test"
      --annotations "$fx/annotations.txt")
read -r train_v train_s test_v test_s drop_rows pos_frames drop_frames < <(sed 's/[a-z_]*=//g' "$fx/expected/summary.txt")

# --- the five-crop import --------------------------------------------------------------------
out="$work/xdv.h5"
summary=$("$ROBUSTA" import-xdv "${args[@]}" --out "$out" --name xdv-fixture 2>"$work/err")
check "import-xdv exits 0 ($(head -c 300 "$work/err"))" "$?" 0
check "summary: train counts" "$(grep -o "train $train_v videos ([0-9]* violent) $train_s snippets" <<<"$summary" | wc -l)" 1
check "summary: test counts" "$(grep -o "test $test_v videos ([0-9]* violent) $test_s snippets" <<<"$summary" | wc -l)" 1
check "summary: dropped rows" "$(grep -o "dropped $drop_rows extra visual rows" <<<"$summary" | wc -l)" 1
check "summary: truth" "$(grep -o "$pos_frames positive frames, $drop_frames annotated frames past" <<<"$summary" | wc -l)" 1
check "no .tmp left" "$(ls "$work" | grep -c '\.tmp')" 0
check "/train/visual shape" "$(dims "$out" train/visual)" "{$train_s, 5, 16}"
check "/train/audio shape" "$(dims "$out" train/audio)" "{$train_s, 8}"
check "/test/visual shape" "$(dims "$out" test/visual)" "{$test_s, 5, 16}"
check "/test/audio shape" "$(dims "$out" test/audio)" "{$test_s, 8}"
for split in train test; do
    for key in offsets labels visual audio; do
        check "/$split/$key values" "$(vals "$out" /$split/$key)" "$(flat "$fx/expected/${split}_$key.txt")"
    done
    check "/$split/names" "$(vals "$out" /$split/names)" "$(flat "$fx/expected/${split}_names.txt")"
done
check "/test/snippet_pos" "$(vals "$out" /test/snippet_pos)" "$(flat "$fx/expected/test_pos.txt")"
check "/test/snippet_frames" "$(vals "$out" /test/snippet_frames)" "$(yes 16 | head -n "$test_s" | xargs)"
check "source attribute" "$(attr "$out" /source)" "import-xdv"
check "name attribute" "$(attr "$out" /name)" "xdv-fixture"
check "recipe attribute" "$(attr "$out" /recipe | cut -d' ' -f1-3)" "importer=import-xdv crops=5 d_visual=16"
ann_sha=$(sha256sum "$fx/annotations.txt" | cut -d' ' -f1)
check "provenance records the annotation file and its checksum" \
    "$(h5dump -d /provenance/inputs "$out" 2>/dev/null | grep -c "$ann_sha  $fx/annotations.txt")" 1

# --- an existing output is never overwritten silently -----------------------------------------
"$ROBUSTA" import-xdv "${args[@]}" --out "$out" >/dev/null 2>"$work/err"
check "rerun without --force fails" "$?" 1
check "rerun message" "$(grep -c "exists; remove it or pass --force" "$work/err")" 1
"$ROBUSTA" import-xdv "${args[@]}" --out "$out" --force >/dev/null 2>&1
check "rerun with --force" "$?" 0

# --- centre crop only --------------------------------------------------------------------------
out1="$work/xdv1.h5"
"$ROBUSTA" import-xdv "${args[@]}" --out "$out1" --crops 1 >/dev/null 2>"$work/err"
check "--crops 1 exits 0 ($(head -c 300 "$work/err"))" "$?" 0
check "--crops 1 visual shape" "$(dims "$out1" train/visual)" "{$train_s, 1, 16}"
# crop 0 of every snippet: the first 16 of each block of 5 x 16 values
want=$(python3 -c "import sys; v=sys.stdin.read().split(); print(' '.join(x for i,x in enumerate(v) if (i//16)%5==0))" \
       <"$fx/expected/test_visual.txt")
check "--crops 1 test visual values" "$(vals "$out1" /test/visual)" "$want"

# --- errors name the file and leave no output ---------------------------------------------------
bad="$fx/i3d-features/RGBTest/Test.Calm.2002__#00-03-00_00-04-00_label_A__3.npy"
python3 - "$bad" <<'EOF'
import struct, sys
h = "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 16), }"
h += " " * (63 - (10 + len(h)) % 64) + "\n"
open(sys.argv[1], "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + b"\0" * 192)
EOF
out2="$work/bad.h5"
"$ROBUSTA" import-xdv "${args[@]}" --out "$out2" >/dev/null 2>"$work/err"
check "Fortran-order file fails" "$?" 1
check "error names the file" "$(grep -c '^robusta: error: .*label_A__3.npy: Fortran-ordered' "$work/err")" 1
check "no output after an error" "$(ls "$work" | grep -c '^bad\.h5')" 0
"$ROBUSTA" import-xdv --lists "$fx/list" --visual-dir "$fx/i3d-features/RGB" --out "$out2" >/dev/null 2>"$work/err"
check "missing --audio-dir fails" "$?" 1
check "missing option named" "$(grep -c -- '--audio-dir is required' "$work/err")" 1
"$ROBUSTA" import-xdv --help >"$work/help"
check "--help exits 0" "$?" 0
check "--help prints usage" "$(grep -c '^usage: robusta import-xdv' "$work/help")" 1

echo "$((checks - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
