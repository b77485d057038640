#!/usr/bin/env bash
# synth.sh - `robusta synth` end to end: the documented file layout (h5dump -H), byte-identical
# feature payloads on a rebuild, recipe checks, and a synth started under mpirun with 2 ranks.
source "$(dirname "$0")/lib.sh"
d=$E2E_TMP/data
small=(--set data.dir=\"$d\" --set data.datasets.[0].n_train=40 --set data.datasets.[0].n_train_violent=19
       --set data.datasets.[0].n_test=20 --set data.datasets.[0].n_test_violent=12
       --set data.datasets.[1].n_test=10 --set data.datasets.[1].n_test_violent=5)
check "synth builds both default datasets" "$ROBUSTA" synth -c configs/default.cfg "${small[@]}"
layout=$(h5dump -H "$d/xdv-like.h5")
for obj in 'GROUP "train"' 'GROUP "test"' 'GROUP "provenance"' 'DATASET "visual"' 'DATASET "audio"' \
           'DATASET "offsets"' 'DATASET "names"' 'DATASET "labels"' 'DATASET "snippet_pos"' \
           'DATASET "snippet_frames"' 'ATTRIBUTE "recipe"' 'DATASET "config"'; do
  check "layout has $obj" grep -qF "$obj" <<<"$layout"
done
check "visual is [snippets][1 crop][1024] float32" bash -c "h5dump -H -d /test/visual '$d/xdv-like.h5' | grep -Eq 'H5T_IEEE_F32LE' && h5dump -H -d /test/visual '$d/xdv-like.h5' | grep -Eq 'SIMPLE \{ \( [0-9]+, 1, 1024 \)'"
check "train split has no frame truth" bash -c "! h5dump -H -g /train '$d/xdv-like.h5' | grep -q snippet_pos"
check "a rebuild keeps an up-to-date file" bash -c "'$ROBUSTA' synth -c configs/default.cfg ${small[*]} 2>&1 | grep -q 'up to date'"
# payload dump without the first line (it names the file)
payload() { h5dump -d /test/visual -d /test/audio -d /test/snippet_pos "$1" | tail -n +2; }
payload "$d/xdv-like.h5" >"$E2E_TMP/a.txt"
check "--force rebuilds" "$ROBUSTA" synth -c configs/default.cfg "${small[@]}" --force
payload "$d/xdv-like.h5" >"$E2E_TMP/b.txt"
check "same config and seed give a byte-identical payload" cmp -s "$E2E_TMP/a.txt" "$E2E_TMP/b.txt"
expect_error "a changed recipe is refused" "different recipe" "$ROBUSTA" synth -c configs/default.cfg "${small[@]}" --set run.seed=7
check "synth under mpirun -np 2" mpirun_n 2 "$ROBUSTA" synth -c configs/default.cfg "${small[@]}" --set data.dir=\"$d/mpi\"
payload "$d/mpi/xdv-like.h5" >"$E2E_TMP/c.txt"
check "mpirun build equals the serial build" cmp -s "$E2E_TMP/b.txt" "$E2E_TMP/c.txt"
synth_json() { "$ROBUSTA" synth -c configs/default.cfg "${small[@]}" --set data.dir=\"$E2E_TMP/json\" --progress=json >"$E2E_TMP/synth.jsonl"; }
check "synth --progress=json" synth_json
check "  ... a synth stage of 2 files, then 2 progress events ending at fraction 1" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev[0]["event"] == "stage" and ev[0]["stage"] == "synth" and ev[0]["todo"] == 2, ev[0]
assert [(e["event"], e["done"], e["item"]) for e in ev[1:]] == [("progress", 1, "xdv-like"), ("progress", 2, "ucf-like")], ev
assert ev[-1]["fraction"] == 1 and ev[-1]["eta_s"] == 0 and abs(sum(e["cost"] for e in ev[1:]) / ev[0]["predicted_cost"] - 1) < 1e-5
' "$E2E_TMP/synth.jsonl"
check "a second synth counts nothing (files up to date)" bash -c "'$ROBUSTA' synth -c configs/default.cfg ${small[*]} --set data.dir=\\\"$E2E_TMP/json\\\" 2>&1 | grep -q 'xdv-like: .* is up to date' && ! '$ROBUSTA' synth -c configs/default.cfg ${small[*]} --set data.dir=\\\"$E2E_TMP/json\\\" 2>&1 | grep -q 'datasets ('"
finish
