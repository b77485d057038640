#!/usr/bin/env bash
# train.sh - `robusta train` end to end: a small config trained on 1 and on 2 ranks (real mpirun)
# gives bitwise-identical weights, GMMs and calibrations; so do teams (more ranks than detectors) of
# 2, 3 and 8 ranks at 8, 16 and 64 gradient groups, and train.grad_groups outside 1..64 is refused; a
# model that exists is reused only when its recipe matches; the progress counter and JSON events; bad
# inputs give one clear error.
source "$(dirname "$0")/lib.sh"
d=$E2E_TMP/data
small=(--set data.datasets.[0].n_train=60 --set data.datasets.[0].n_train_violent=29
       --set data.datasets.[0].n_test=20 --set data.datasets.[0].n_test_violent=12
       --set data.datasets.[1].n_test=10 --set data.datasets.[1].n_test_violent=5
       --set model.hidden1=64 --set model.hidden2=16 --set train.epochs=2 --set train.batch=16
       --set train.seeds=2 --set gmm.components=4 --set gmm.subsample=3000)
check "train on 1 rank" "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set data.dir=\"$d/np1\"
mkdir -p "$d/np2" && cp "$d"/np1/*-like.h5 "$d/np2/"
check "train on 2 ranks (same datasets)" mpirun_n 2 "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set data.dir=\"$d/np2\"
# every dataset of the model except the training logs (they hold wall-clock throughput), every value
# printed exactly (hexadecimal floating point: h5dump's default %g would hide the last digits)
payload() { for obj in $(h5ls -r "$1" | awk '$2 == "Dataset" {print $1}' | grep -E '^/(detectors|gmm|calibration)/' | grep -v '/log/'); do
              h5dump -m %a -d "$obj" "$1" | tail -n +2; done; }
payload "$d/np1/xdv-like.model.h5" >"$E2E_TMP/m1.txt"
payload "$d/np2/xdv-like.model.h5" >"$E2E_TMP/m2.txt"
check "model weights, GMMs and calibrations identical for 1 and 2 ranks" cmp -s "$E2E_TMP/m1.txt" "$E2E_TMP/m2.txt"
# more ranks than detector jobs: every detector is trained by a team of ranks (data parallel over its
# fixed gradient groups) and the weights are still those of a 1-rank training
two=(--set 'train.detectors=["concat", "audio"]' --set train.seeds=1)
mkdir -p "$d/team1" "$d/team3" && cp "$d"/np1/*-like.h5 "$d/team1/" && cp "$d"/np1/*-like.h5 "$d/team3/"
check "2 detectors trained on 1 rank" "$ROBUSTA" train -c configs/default.cfg "${small[@]}" "${two[@]}" --set data.dir=\"$d/team1\"
check "2 detectors trained by teams on 3 ranks" mpirun_n 3 "$ROBUSTA" train -c configs/default.cfg "${small[@]}" "${two[@]}" --set data.dir=\"$d/team3\"
payload "$d/team1/xdv-like.model.h5" >"$E2E_TMP/t1.txt"
payload "$d/team3/xdv-like.model.h5" >"$E2E_TMP/t3.txt"
check "team training gives bitwise the weights of 1-rank training" cmp -s "$E2E_TMP/t1.txt" "$E2E_TMP/t3.txt"
# larger gradient-group counts (the team sums them by a reduce-scatter + allgather): one detector, so
# 2, 3 and 8 (oversubscribed) ranks are all teams; G = 16 at batch 16 (one bag per group), G = 64 at
# batch 128 (two bags per group, and a last batch of 44 bags that leaves 20 groups empty)
one=(--set 'train.detectors=["concat"]' --set train.seeds=1 --set gmm.max_iter=5)
for G in 16 64; do
  batch=$([[ $G == 16 ]] && echo 16 || echo 128)
  for n in 1 2 3 8; do
    mkdir -p "$d/g$G-np$n" && cp "$d"/np1/*-like.h5 "$d/g$G-np$n/"
    check "G = $G on $n rank(s)" mpirun_n $n "$ROBUSTA" train -c configs/default.cfg "${small[@]}" "${one[@]}" \
      --set train.grad_groups=$G --set train.batch=$batch --set data.dir=\"$d/g$G-np$n\"
    payload "$d/g$G-np$n/xdv-like.model.h5" >"$E2E_TMP/g$G-np$n.txt"
  done
  check "  ... G = $G: weights bitwise identical on 1, 2, 3 and 8 ranks" bash -c \
    "[[ -s '$E2E_TMP/g$G-np1.txt' ]] && cmp -s '$E2E_TMP/g$G-np1.txt' '$E2E_TMP/g$G-np2.txt' && cmp -s '$E2E_TMP/g$G-np1.txt' '$E2E_TMP/g$G-np3.txt' && cmp -s '$E2E_TMP/g$G-np1.txt' '$E2E_TMP/g$G-np8.txt'"
done
for G in 0 65; do
  expect_error "train.grad_groups = $G is refused (range 1 .. 64)" "train.grad_groups = $G is out of range [1, 64]" \
    "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set train.grad_groups=$G --set data.dir=\"$d/np1\"
done
check "model holds 5 detectors x 2 replicas" bash -c "[[ \$(h5ls -r '$d/np1/xdv-like.model.h5' | grep -c 'l1.w') == 10 ]]"
check "training curves stored" bash -c "h5ls -r '$d/np1/xdv-like.model.h5' | grep -q 'shared/1/log/visual_fraction'"
check "no model for the zero-shot dataset" test ! -e "$d/np1/ucf-like.model.h5"
check "a second train reuses the model" bash -c "'$ROBUSTA' train -c configs/default.cfg ${small[*]} --set data.dir=\\\"$d/np1\\\" 2>&1 | grep -q 'model xdv-like: .* is up to date'"
check "the up-to-date check used the train digest cached in the dataset file" bash -c "'$ROBUSTA' train -c configs/default.cfg ${small[*]} --set data.dir=\\\"$d/np1\\\" 2>&1 | grep -q 'up to date (train-split digest cached in the dataset file)'"
touch "$d/np1/xdv-like.h5"
check "after the dataset file is touched the digest is recomputed and still matches" bash -c "'$ROBUSTA' train -c configs/default.cfg ${small[*]} --set data.dir=\\\"$d/np1\\\" 2>&1 | grep 'model xdv-like: .* is up to date' | grep -vq 'cached'"
expect_error "changed settings are refused" "different dataset file or settings" "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set data.dir=\"$d/np1\" --set train.lr=0.001
check "--force retrains" "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set data.dir=\"$d/np1\" --set train.lr=0.001 --force
# progress: one counter over the 12 jobs (5 detectors x 2 replicas + 2 GMMs) on rank 0; per detector
# only the lines of epoch 1, every 10th and the last (12 epochs: 1, 10, 12); JSON events on stdout
mkdir -p "$d/prog" && cp "$d"/np1/*-like.h5 "$d/prog/"
data_prog="$d/prog" # (check's own local d hides $d inside a function it calls)
progress_run() {
  "${MPIRUN[@]}" -np 2 "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set train.epochs=12 \
    --set data.dir=\"$data_prog\" "$@" >"$E2E_TMP/prog.out" 2>"$E2E_TMP/prog.err"
}
check "train on 2 ranks, text progress" progress_run
check "  ... one counter line per job, the last 12/12 at 100%" bash -c "[[ \$(grep -c '^robusta: train xdv-like [0-9]*/12 jobs (' '$E2E_TMP/prog.err') == 12 ]] && grep -q '^robusta: train xdv-like 12/12 jobs (100% of the predicted work, ETA 0 s)' '$E2E_TMP/prog.err'"
check "  ... 3 epoch lines per detector (epochs 1, 10, 12)" bash -c "[[ \$(grep -c ' epoch [0-9]*/12 ' '$E2E_TMP/prog.err') == 30 && \$(grep -c ' epoch 10/12 ' '$E2E_TMP/prog.err') == 10 && \$(grep -c ' epoch 5/12 ' '$E2E_TMP/prog.err') == 0 ]]"
check "train --progress=json --force on 2 ranks" progress_run --progress=json --force
check "  ... JSON events: a train stage of 12 jobs, then 12 progress events ending at fraction 1" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
tr = [e for e in ev if e["stage"] == "train"]
assert tr[0]["event"] == "stage" and tr[0]["todo"] == 12 and tr[0]["group"] == "xdv-like", tr[0]
pr = tr[1:]
assert [e["done"] for e in pr] == list(range(1, 13)), pr
assert all(e["event"] == "progress" and e["todo"] == 12 and e["eta_s"] is not None for e in pr)
assert pr[-1]["fraction"] == 1 and pr[-1]["eta_s"] == 0 and abs(sum(e["cost"] for e in pr) / tr[0]["predicted_cost"] - 1) < 1e-5
assert sorted(e["item"] for e in pr).count("gmm visual") == 1 and {e["rank"] for e in pr} == {0, 1}
' "$E2E_TMP/prog.out"
check "  ... and no counter text on stderr" bash -c "! grep -q 'jobs (' '$E2E_TMP/prog.err'"
expect_error "--progress takes text or json" "train: --progress: expected text or json, got 'xml'" \
  "$ROBUSTA" train -c configs/default.cfg --progress=xml
expect_error "2 ranks: an unknown key aborts every rank with one message" "unknown key 'train.bogus'" \
  mpirun_n 2 "$ROBUSTA" train -c configs/default.cfg --set train.bogus=1
mkdir -p "$d/bad" && cp "$d"/np1/xdv-like.h5 "$d/bad/" && head -c 20000 "$d/np1/xdv-like.h5" >"$d/bad/xdv-like.h5"
expect_error "a truncated dataset file is one clear error" "xdv-like.h5" \
  mpirun_n 2 "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set data.dir=\"$d/bad\"
finish
