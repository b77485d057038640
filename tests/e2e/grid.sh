#!/usr/bin/env bash
# grid.sh - `robusta bench` end to end with the real MPI launcher and parallel HDF5: results.h5 and
# tables bitwise identical on 1, 2, 3 and 4 ranks (and with the clean arrays shared per node, nodes of
# 1-3 ranks); the linear shortcut against the products (same metrics within 1e-4); saved scores
# recompute the stored metrics; a
# 2-rank run killed part-way and resumed equals an uninterrupted run; resume refuses a changed config;
# an error seen by one rank ends the whole job with its message (no hang). The bootstrap resamples,
# intervals, paired comparisons and robustness summaries are part of "identical" throughout.
source "$(dirname "$0")/lib.sh"
d=$E2E_TMP/data
small=(--set data.dir=\"$d\"
       --set data.datasets.[0].n_train=60 --set data.datasets.[0].n_train_violent=29
       --set data.datasets.[0].n_test=24 --set data.datasets.[0].n_test_violent=14
       --set data.datasets.[1].n_test=12 --set data.datasets.[1].n_test_violent=6
       --set model.hidden1=64 --set model.hidden2=16 --set train.epochs=3 --set train.batch=8 --set train.lr=1e-3
       --set train.seeds=2 --set gmm.components=4 --set gmm.subsample=3000)
grid=(--set 'grid.visual=[gaussian_noise, fog, frame_drop]' --set 'grid.audio=[reverb, packet_loss]'
      --set 'grid.severities=[1, 3, 5]' --set 'grid.pairs=["fog+reverb"]'
      --set stats.bootstrap=200) # 200 resamples: enough for every invariance check, and the sanitizer pass stays short
check "train the small models" "$ROBUSTA" train -c configs/default.cfg "${small[@]}"

metrics() { # every metric dataset of a results file, values only
  for obj in /cells/ap /cells/ap_step /cells/roc_auc /cells/ap_sd /replicas/ap /replicas/roc_auc \
             /conditions/detect_auc_visual /conditions/detect_auc_audio /conditions/weight_visual \
             /conditions/weight_audio /conditions/oracle_gap_ap /conditions/nll_anomaly_auc_visual \
             /conditions/weight_q50_audio /conditions/weight_low_frac_visual /cells/method /cells/corruption /cells/severity \
             /bootstrap/values /cells/ap_lo /cells/ap_step_hi /cells/roc_auc_lo /comparisons/lo /comparisons/frac_positive \
             /summaries/value /summaries/lo /summaries/hi; do
    h5dump -m '%.17g' -d "$obj" "$1" | tail -n +2; done; } # %.17g: every bit of a double (the default prints 6 digits)
for n in 1 2 3 4; do
  check "bench on $n rank(s)" timeout 600 "${MPIRUN[@]}" -np $n "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${grid[@]}" --out "$E2E_TMP/np$n"
done
metrics "$E2E_TMP/np1/results.h5" >"$E2E_TMP/m1.txt"
check "results.h5 has 2 datasets x 21 cells x 9 methods (configs/default.cfg)" bash -c "h5dump -H -d /cells/ap '$E2E_TMP/np1/results.h5' | grep -q '( 378 )'"
for n in 2 3 4; do
  metrics "$E2E_TMP/np$n/results.h5" >"$E2E_TMP/m$n.txt"
  check "results.h5 metrics on $n ranks identical to 1 rank" cmp -s "$E2E_TMP/m1.txt" "$E2E_TMP/m$n.txt"
  check "summary.md on $n ranks identical to 1 rank" cmp -s "$E2E_TMP/np1/summary.md" "$E2E_TMP/np$n/summary.md"
  check "cells.csv on $n ranks identical to 1 rank (but its run_id column)" cmp -s <(csv_without_run_id "$E2E_TMP/np1/cells.csv") <(csv_without_run_id "$E2E_TMP/np$n/cells.csv")
  check "summaries.csv and comparisons.csv on $n ranks identical to 1 rank" \
    bash -c "cmp -s '$E2E_TMP/np1/summaries.csv' '$E2E_TMP/np$n/summaries.csv' && cmp -s '$E2E_TMP/np1/comparisons.csv' '$E2E_TMP/np$n/comparisons.csv'"
done
check "results.h5 holds 200 resamples per (cell, method, metric)" bash -c "h5dump -H -d /bootstrap/values '$E2E_TMP/np1/results.h5' | grep -q '( 42, 9, 3, 200 )'"
check "report rebuilds summary.md and summaries.csv bitwise from results.h5" bash -c \
  "'$ROBUSTA' report '$E2E_TMP/np2/results.h5' --out '$E2E_TMP/rep' --no-plots >/dev/null && cmp -s '$E2E_TMP/rep/summary.md' '$E2E_TMP/np1/summary.md' && cmp -s '$E2E_TMP/rep/summaries.csv' '$E2E_TMP/np1/summaries.csv'"
# the linear shortcut (fog and frame_drop here) against the products: not the same bits, the same metrics
check "bench with grid.linear_corruptions = false" timeout 600 "${MPIRUN[@]}" -np 2 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" \
  "${grid[@]}" --set grid.linear_corruptions=false --out "$E2E_TMP/nolin"
check "the linear shortcut changed some bits (it was taken)" bash -c "! cmp -s <(h5dump -m '%.17g' -d /cells/ap '$E2E_TMP/np1/results.h5') <(h5dump -m '%.17g' -d /cells/ap '$E2E_TMP/nolin/results.h5')"
check "the linear shortcut's metrics equal the products' within 1e-4" bash -c \
  "'$ROBUSTA' audit '$E2E_TMP/nolin/results.h5' '$E2E_TMP/np1/results.h5' --metric-tolerance ap=1e-4,ap_step=1e-4,roc_auc=1e-4,oracle_gap=1e-4,detect_auc=1e-9,weight=1e-9 | tail -n 1 | grep -q 'audit: MATCH'"
check "bench with stats.bootstrap = 0" timeout 600 "${MPIRUN[@]}" -np 2 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${grid[@]}" \
  --set stats.bootstrap=0 --out "$E2E_TMP/b0"
check "stats.bootstrap = 0: no /bootstrap, no interval columns, the same metrics, and summary.md says so" bash -c \
  "! h5ls '$E2E_TMP/b0/results.h5/bootstrap' >/dev/null 2>&1 && ! h5ls '$E2E_TMP/b0/results.h5/cells/ap_lo' >/dev/null 2>&1 && grep -q 'No intervals (stats.bootstrap = 0)' '$E2E_TMP/b0/summary.md' && diff <(h5dump -d /cells/ap '$E2E_TMP/b0/results.h5' | tail -n +2) <(h5dump -d /cells/ap '$E2E_TMP/np1/results.h5' | tail -n +2) >/dev/null"
check "run_id is the run directory's name, not a path of this machine (cells.csv, results.h5)" bash -c \
  "csv_run_ids() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if (\$i == \"run_id\") c = i; next } { print \$c }' \"\$1\" | sort -u; }; [[ \$(csv_run_ids '$E2E_TMP/np1/cells.csv') == np1 ]] && h5dump -a /run_id '$E2E_TMP/np1/results.h5' | grep -q '\"np1\"'"
check "provenance records the rank count" bash -c "h5dump -a /provenance/ranks '$E2E_TMP/np3/results.h5' | grep -q '(0): 3'"
check "provenance records input checksums" bash -c "h5dump -d /provenance/inputs '$E2E_TMP/np1/results.h5' | grep -Eq '[0-9a-f]{64}  .*xdv-like.model.h5'"

# --save-scores: recompute the stored metrics of one cell from the saved scores and truth
check "bench --save-scores" mpirun_n 2 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${grid[@]}" --out "$E2E_TMP/scores" --save-scores
check "scores and truth stored" bash -c "h5ls -r '$E2E_TMP/scores/results.h5' | grep -q '/scores/xdv-like/visual.fog/5/shared-dyn' && h5ls -r '$E2E_TMP/scores/results.h5' | grep -q '/truth/ucf-like/snippet_frames'"
check "scores run has the same metrics" bash -c "diff <(h5dump -d /cells/ap '$E2E_TMP/scores/results.h5' | tail -n +2) <(h5dump -d /cells/ap '$E2E_TMP/np1/results.h5' | tail -n +2) >/dev/null"
values() { h5dump -m '%.9g' -y -w 0 -d "$2" "$1" | sed -n '/DATA {/,/}/p' | tr -d ' \n' | sed 's/DATA{//; s/}//' | tr ',' '\n'; }
values "$E2E_TMP/scores/results.h5" /scores/xdv-like/visual.fog/5/concat >"$E2E_TMP/s.txt"
values "$E2E_TMP/scores/results.h5" /truth/xdv-like/snippet_pos >"$E2E_TMP/p.txt"
values "$E2E_TMP/scores/results.h5" /truth/xdv-like/snippet_frames >"$E2E_TMP/f.txt"
python3 - "$E2E_TMP" <<'PY' && ok "saved scores recompute the stored replica-0 AP of xdv-like fog s5 concat" || fail "saved scores recompute the stored AP"
import subprocess, sys
tmp = sys.argv[1]
s = [float(x) for x in open(tmp + "/s.txt") if x.strip()]
p = [int(x) for x in open(tmp + "/p.txt") if x.strip()]
f = [int(x) for x in open(tmp + "/f.txt") if x.strip()]
n = len(p); s = s[:n]                     # replica 0 is the first row of [replicas][snippets]
# sklearn precision_recall_curve + auc on frames (each snippet's score repeated per frame)
order = sorted(range(n), key=lambda i: -s[i])
tp = fp = 0; P = sum(p); pts = [(0.0, 1.0)]; i = 0
while i < n:
    j = i
    while j < n and s[order[j]] == s[order[i]]:
        tp += p[order[j]]; fp += f[order[j]] - p[order[j]]; j += 1
    pts.append((tp / P, tp / (tp + fp))); i = j
ap = sum((pts[k][0] - pts[k-1][0]) * (pts[k][1] + pts[k-1][1]) / 2 for k in range(1, len(pts)))
# the stored replica-0 value, read from /replicas with h5dump
out = subprocess.run(["h5dump", "-m", "%.17g", "-y", "-w", "0", "-d", "/replicas/ap", tmp + "/scores/results.h5"], capture_output=True, text=True).stdout
vals = [float(v) for v in out.split("DATA {")[1].split("}")[0].replace("\n", " ").split(",")]
meth = subprocess.run(["h5dump", "-y", "-w", "0", "-d", "/replicas/method", tmp + "/scores/results.h5"], capture_output=True, text=True).stdout
labels = subprocess.run(["h5dump", "-y", "-w", "0", "-d", "/replicas/corruption", tmp + "/scores/results.h5"], capture_output=True, text=True).stdout
sev = subprocess.run(["h5dump", "-y", "-w", "0", "-d", "/replicas/severity", tmp + "/scores/results.h5"], capture_output=True, text=True).stdout
def strings(text):
    return [x.strip().strip('"').replace("\\000", "") for x in text.split("DATA {")[1].split("}")[0].replace("\n", " ").split(",")]
ms, cs = strings(meth), strings(labels)
ss = [int(x) for x in sev.split("DATA {")[1].split("}")[0].replace("\n", " ").split(",")]
idx = [k for k in range(len(ms)) if ms[k] == "concat" and cs[k] == "fog" and ss[k] == 5][0]  # first: xdv-like, replica 0
print(f"recomputed {ap:.12f} stored {vals[idx]:.12f}")
sys.exit(0 if abs(ap - vals[idx]) < 1e-9 else 1)
PY

# kill a 2-rank run part-way, then resume it (a larger test split so cells take a while; 2 x 18
# cells, so the kill after 8 progress lines lands mid-grid and the resumed and uninterrupted runs
# stay short under the sanitizers)
kd=$E2E_TMP/killdata
kill_cfg=(--set data.dir=\"$kd\" --set data.datasets.[0].n_train=60 --set data.datasets.[0].n_train_violent=29
          --set data.datasets.[0].n_test=160 --set data.datasets.[0].n_test_violent=100
          --set data.datasets.[1].n_test=60 --set data.datasets.[1].n_test_violent=30
          --set model.hidden1=64 --set model.hidden2=16 --set train.epochs=2 --set train.batch=8
          --set train.seeds=2 --set gmm.components=4 --set gmm.subsample=3000 --set 'grid.severities=[1, 3, 5]'
          --set 'grid.visual=[gaussian_noise, fog, motion_blur]' --set 'grid.audio=[reverb, packet_loss]' --set 'grid.pairs=[]')
check "train the kill-test models" "$ROBUSTA" train -c configs/default.cfg "${kill_cfg[@]}"
"${MPIRUN[@]}" -np 2 "$ROBUSTA" bench -c configs/default.cfg "${kill_cfg[@]}" --out "$E2E_TMP/killed" >"$E2E_TMP/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  done_cells=$(grep -Ec '^grid [0-9]+/' "$E2E_TMP/killed/log.txt" 2>/dev/null || true)
  [[ ${done_cells:-0} -ge 8 ]] && break
  sleep 0.05
done
pkill -9 -f -- "--out $E2E_TMP/killed" 2>/dev/null; wait "$pid" 2>/dev/null  # mpirun and both ranks, no clean exit
check "the killed run left no results.h5 and a journal" bash -c "[[ ! -e '$E2E_TMP/killed/results.h5' ]] && ls '$E2E_TMP/killed/journal/' | grep -q rank"
expect_error "a killed run is not restarted over without --resume" "use --resume" \
  mpirun_n 2 "$ROBUSTA" bench -c configs/default.cfg "${kill_cfg[@]}" --out "$E2E_TMP/killed"
expect_error "resume refuses a changed config" "config digest differs from the run's" \
  mpirun_n 2 "$ROBUSTA" bench -c configs/default.cfg "${kill_cfg[@]}" --out "$E2E_TMP/killed" --resume --set 'grid.audio=[reverb]'
check "resume the killed run on 3 ranks" mpirun_n 3 "$ROBUSTA" bench -c configs/default.cfg "${kill_cfg[@]}" --out "$E2E_TMP/killed" --resume
check "the resumed run skipped committed cells" grep -Eq 'resume: ([1-9][0-9]*) of' "$E2E_TMP/killed/log.txt"
check "uninterrupted reference run" "$ROBUSTA" bench -c configs/default.cfg "${kill_cfg[@]}" --out "$E2E_TMP/whole"
metrics "$E2E_TMP/killed/results.h5" >"$E2E_TMP/mk.txt"
metrics "$E2E_TMP/whole/results.h5" >"$E2E_TMP/mw.txt"
check "killed + resumed equals uninterrupted (results.h5 metrics)" cmp -s "$E2E_TMP/mk.txt" "$E2E_TMP/mw.txt"
check "killed + resumed equals uninterrupted (summary.md)" cmp -s "$E2E_TMP/killed/summary.md" "$E2E_TMP/whole/summary.md"
check "killed + resumed equals uninterrupted (cells.csv but its run_id column)" cmp -s <(csv_without_run_id "$E2E_TMP/killed/cells.csv") <(csv_without_run_id "$E2E_TMP/whole/cells.csv")
check "killed + resumed equals uninterrupted (summaries.csv, comparisons.csv)" \
  bash -c "cmp -s '$E2E_TMP/killed/summaries.csv' '$E2E_TMP/whole/summaries.csv' && cmp -s '$E2E_TMP/killed/comparisons.csv' '$E2E_TMP/whole/comparisons.csv'"

# an error that only one rank sees (a NaN in pre-extracted corrupted features of one cell)
cp "$d/xdv-like.h5" "$E2E_TMP/bad.h5"
S=$(h5dump -a /test/n_snippets "$E2E_TMP/bad.h5" | grep '(0)' | awk '{print $2}')
check "make a dataset with NaN pre-extracted features" python3 -c "
import sys, struct
S = int('$S'); n = S * 128
open('$E2E_TMP/bad.bin', 'wb').write(struct.pack('<%df' % n, *([float('nan')] * n)))"
printf 'PATH test/corrupted/audio/reverb/3\nINPUT-CLASS FP\nINPUT-SIZE 32\nINPUT-BYTE-ORDER LE\nRANK 2\nDIMENSION-SIZES %s 128\nOUTPUT-CLASS FP\nOUTPUT-SIZE 32\nOUTPUT-ARCHITECTURE IEEE\nOUTPUT-BYTE-ORDER LE\n' "$S" >"$E2E_TMP/import.cfg"
check "store them as /test/corrupted/audio/reverb/3 (h5import)" h5import "$E2E_TMP/bad.bin" -c "$E2E_TMP/import.cfg" -o "$E2E_TMP/bad.h5"
mkdir -p "$E2E_TMP/baddata" && cp "$E2E_TMP/bad.h5" "$E2E_TMP/baddata/xdv-like.h5" && cp "$d/ucf-like.h5" "$E2E_TMP/baddata/"
expect_error "an error on one rank ends the 3-rank job with its message, no hang" "non-finite value" \
  timeout 300 "${MPIRUN[@]}" -np 3 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${grid[@]}" --set data.datasets.[0].file=\"$E2E_TMP/baddata/xdv-like.h5\" \
  --set data.datasets.[0].model=\"$d/xdv-like.model.h5\" --set data.datasets.[0].generator=\"none\" --out "$E2E_TMP/bad"
# more ranks than cells: each cell's videos are split in blocks over a group of ranks (src/grid/split.c).
# grid.chunk_rows=1 makes each block as many whole videos as fit in the longest one, so the tiny test
# splits have several blocks; the same config on every rank count.
six=(--set 'grid.visual=[gaussian_noise]' --set 'grid.audio=[reverb]' --set 'grid.severities=[3]' --set grid.missing=false
     --set grid.chunk_rows=1 --set stats.bootstrap=50)
for n in 1 8 16; do
  check "6 cells on $n rank(s)" timeout 300 "${MPIRUN[@]}" -np $n "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${six[@]}" --out "$E2E_TMP/six$n"
done
check "8 and 16 ranks split the cells' videos over several ranks" bash -c \
  "grep -q 'split in blocks over up to [2-9] ranks' '$E2E_TMP/six8/log.txt' && grep -q 'split in blocks over up to [3-9] ranks' '$E2E_TMP/six16/log.txt'"
metrics "$E2E_TMP/six1/results.h5" >"$E2E_TMP/six1.txt"
for n in 8 16; do
  metrics "$E2E_TMP/six$n/results.h5" >"$E2E_TMP/six$n.txt"
  check "split cells on $n ranks: results.h5 metrics and summary.md identical to 1 rank" \
    bash -c "cmp -s '$E2E_TMP/six1.txt' '$E2E_TMP/six$n.txt' && cmp -s '$E2E_TMP/six1/summary.md' '$E2E_TMP/six$n/summary.md'"
done
# the clean arrays are held once per node in a shared window and exchanged between nodes
# (src/grid/clean_pass.c); ROBUSTA_TEST_NODE_RANKS=k makes "nodes" of k consecutive ranks on this machine
for spec in 3:2 4:1 8:3; do
  n=${spec%:*} k=${spec#*:}
  check "6 cells on $n ranks in nodes of $k" timeout 300 "${MPIRUN[@]}" -np $n -x ROBUSTA_TEST_NODE_RANKS=$k "$ROBUSTA" bench \
    -c configs/default.cfg "${small[@]}" "${six[@]}" --out "$E2E_TMP/node$n-$k"
  metrics "$E2E_TMP/node$n-$k/results.h5" >"$E2E_TMP/node$n-$k.txt"
  check "clean arrays shared per node, $n ranks in nodes of $k: metrics and summary.md identical to 1 rank" \
    bash -c "cmp -s '$E2E_TMP/six1.txt' '$E2E_TMP/node$n-$k.txt' && cmp -s '$E2E_TMP/six1/summary.md' '$E2E_TMP/node$n-$k/summary.md'"
  nodes=$(( (n + k - 1) / k ))
  check "  ... the log names the exchange between $nodes nodes" grep -q "exchange between $nodes nodes" "$E2E_TMP/node$n-$k/log.txt"
done
expect_error "an allocation failing on one helper rank of a split cell ends the 8-rank job with its message, no hang" \
  "out of memory allocating split cell blocks" \
  timeout 120 "${MPIRUN[@]}" -np 8 -x RB_FAULT="alloc:1@1:split cell blocks" "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${six[@]}" --out "$E2E_TMP/splitfault"
four=(--set 'grid.visual=[]' --set 'grid.audio=[reverb]' --set 'grid.severities=[3]' --set grid.missing=false
      --set grid.chunk_rows=1 --set stats.bootstrap=50) # 4 cells: the bad one (xdv-like reverb 3) gets several ranks
expect_error "NaN pre-extracted features in a split cell end the 8-rank job with the message, no hang" "non-finite value" \
  timeout 120 "${MPIRUN[@]}" -np 8 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${four[@]}" --set data.datasets.[0].file=\"$E2E_TMP/baddata/xdv-like.h5\" \
  --set data.datasets.[0].model=\"$d/xdv-like.model.h5\" --set data.datasets.[0].generator=\"none\" --out "$E2E_TMP/badsplit"
check "the split run with NaN features logged the split" grep -q 'split in blocks over up to [2-9] ranks' "$E2E_TMP/badsplit/log.txt"
finish
