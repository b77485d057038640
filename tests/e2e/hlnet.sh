#!/usr/bin/env bash
# hlnet.sh - model.arch = "hlnet" end to end with the real MPI launcher: every detector kind trained on
# 1 and 2 ranks (jobs spread) and 2 detectors on 1 and 3 ranks (data-parallel teams over the gradient
# groups) give bitwise-identical weights; model.h5 records the architecture and the HL-Net blocks; a
# small grid scores whole videos with identical metrics on 1 and 2 ranks and after a resume (results.h5
# write failed, half the journal dropped); a bad arch is one clear error.
source "$(dirname "$0")/lib.sh"
d=$E2E_TMP/data
small=(--set data.datasets.[0].n_train=40 --set data.datasets.[0].n_train_violent=19
       --set data.datasets.[0].n_test=16 --set data.datasets.[0].n_test_violent=8
       --set data.datasets.[1].n_test=8 --set data.datasets.[1].n_test_violent=4
       --set model.hidden1=32 --set model.hidden2=16 --set train.epochs=2 --set train.batch=16
       --set train.seeds=1 --set gmm.components=4 --set gmm.subsample=3000 --set 'model.arch="hlnet"')
check "hlnet: train every kind on 1 rank" timeout 600 "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set data.dir=\"$d/np1\"
mkdir -p "$d/np2" && cp "$d"/np1/*-like.h5 "$d/np2/"
check "hlnet: train every kind on 2 ranks" timeout 600 "${MPIRUN[@]}" -np 2 "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set data.dir=\"$d/np2\"
payload() { for obj in $(h5ls -r "$1" | awk '$2 == "Dataset" {print $1}' | grep -E '^/(detectors|gmm|calibration)/' | grep -v '/log/'); do
              echo "$obj"; h5dump -d "$obj" "$1" | tail -n +2; done; }
payload "$d/np1/xdv-like.model.h5" >"$E2E_TMP/m1.txt"
payload "$d/np2/xdv-like.model.h5" >"$E2E_TMP/m2.txt"
check "hlnet: weights identical for 1 and 2 ranks" cmp -s "$E2E_TMP/m1.txt" "$E2E_TMP/m2.txt"
check "hlnet: model.h5 holds the HL-Net blocks of all 5 kinds" bash -c "[[ \$(grep -c '/hl.gc_in.w\$' '$E2E_TMP/m1.txt') == 5 && \$(grep -c '/l3.w\$' '$E2E_TMP/m1.txt') == 0 ]]"
check "hlnet: model.h5 records arch = hlnet" bash -c "h5dump -a /detectors/shared/0/arch '$d/np1/xdv-like.model.h5' | grep -q '\"hlnet\"'"
two=(--set 'train.detectors=["concat", "shared"]')
mkdir -p "$d/team1" "$d/team3" && cp "$d"/np1/*-like.h5 "$d/team1/" && cp "$d"/np1/*-like.h5 "$d/team3/"
check "hlnet: 2 detectors on 1 rank" timeout 600 "$ROBUSTA" train -c configs/default.cfg "${small[@]}" "${two[@]}" --set data.dir=\"$d/team1\"
check "hlnet: 2 detectors by teams on 3 ranks" timeout 600 "${MPIRUN[@]}" -np 3 "$ROBUSTA" train -c configs/default.cfg "${small[@]}" "${two[@]}" --set data.dir=\"$d/team3\"
payload "$d/team1/xdv-like.model.h5" >"$E2E_TMP/t1.txt"
payload "$d/team3/xdv-like.model.h5" >"$E2E_TMP/t3.txt"
check "hlnet: team training gives bitwise the weights of 1-rank training" cmp -s "$E2E_TMP/t1.txt" "$E2E_TMP/t3.txt"
grid=(--set 'grid.visual=[frame_drop, motion_blur]' --set 'grid.audio=[reverb]' --set 'grid.severities=[3]' --set grid.missing=true) # missing streams: hlnet paths score whole zero videos
metrics() { for obj in /cells/ap /cells/roc_auc /replicas/ap /cells/method /cells/corruption; do h5dump -d "$obj" "$1" | tail -n +2; done; }
for n in 1 2; do
  check "hlnet: bench on $n rank(s)" timeout 600 "${MPIRUN[@]}" -np $n "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${grid[@]}" \
    --set data.dir=\"$d/np1\" --out "$E2E_TMP/b$n" --save-scores
done
metrics "$E2E_TMP/b1/results.h5" >"$E2E_TMP/r1.txt"
metrics "$E2E_TMP/b2/results.h5" >"$E2E_TMP/r2.txt"
check "hlnet: results metrics identical on 1 and 2 ranks" cmp -s "$E2E_TMP/r1.txt" "$E2E_TMP/r2.txt"
# resume (no kill needed): a 2-rank run journals every cell, then its results.h5 write fails (RB_FAULT,
# docs/failure-model.md); rank 1's journal is dropped so the resume recomputes those cells on 1 rank
rs="$E2E_TMP/resumed" hl_data="$d/np1" # (check's own local d hides $d inside a function it calls)
failed_write() {
  timeout 600 "${MPIRUN[@]}" -np 2 -x RB_FAULT='write:1@0:results.h5.tmp.' "$ROBUSTA" bench -c configs/default.cfg \
    "${small[@]}" "${grid[@]}" --set data.dir=\"$hl_data\" --out "$rs" >"$E2E_TMP/failed.txt" 2>&1
  local rc=$?
  if ((rc != 0)) && grep -q '^robusta: error.*results.h5' "$E2E_TMP/failed.txt" && [[ ! -e $rs/results.h5 ]] &&
     ls "$rs"/journal/*-rank-000001.bin >/dev/null 2>&1; then return 0; fi
  echo "exit $rc; $(grep -c 'robusta: grid' "$E2E_TMP/failed.txt") cell lines; $(grep '^robusta: error' "$E2E_TMP/failed.txt"); $(ls "$rs" "$rs/journal" 2>&1 | tr '\n' ' ')"
  return 1
}
check "hlnet: 2-rank run whose results.h5 write fails after every cell is journaled" failed_write
rm -f "$rs"/journal/*-rank-000001.bin
resume_run() { timeout 600 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "${grid[@]}" --set data.dir=\"$hl_data\" \
                 --out "$rs" --resume --progress=json >"$E2E_TMP/resume.jsonl"; }
check "hlnet: --resume on 1 rank writes results.h5" resume_run
recomputed_some() { # the grid's stage event: 0 < todo < total
  local ev; ev=$(grep '"event": "stage", "stage": "grid"' "$E2E_TMP/resume.jsonl")
  [[ $ev =~ \"total\":\ ([0-9]+),\ \"todo\":\ ([0-9]+) ]] && ((BASH_REMATCH[2] > 0 && BASH_REMATCH[2] < BASH_REMATCH[1])) ||
    { echo "grid stage event: $ev"; return 1; }
}
check "hlnet: ... recomputing only the cells of the dropped journal" recomputed_some
metrics "$rs/results.h5" >"$E2E_TMP/rr.txt"
check "hlnet: resumed results metrics identical to the uninterrupted run's" cmp -s "$E2E_TMP/r1.txt" "$E2E_TMP/rr.txt"
check "hlnet: saved scores present" bash -c "h5ls -r '$E2E_TMP/b1/results.h5' | grep -q '/scores/xdv-like/clean/0/visual'"
# the independent PyTorch recomputation of the saved test scores and of one training step
if python_torch=$(bash tests/hlnet_python.sh); then
  check "hlnet: PyTorch recomputes the saved scores of every method, clean and missing-stream cells (max |diff| <= 1e-5)" \
    "$python_torch" tests/hlnet_check.py scores --model "$d/np1/xdv-like.model.h5" --data "$d/np1/xdv-like.h5" \
    --results "$E2E_TMP/b1/results.h5" --dataset xdv-like --tol 1e-5
  check "hlnet: PyTorch loss and gradients of one training step of every kind match the C code" \
    "$python_torch" tests/hlnet_check.py step --robusta-unit "$PWD/bin/robusta-unit" --tol 2e-5
else
  echo "skip hlnet PyTorch check: no python3 with torch, h5py and numpy (apt-get install python3-torch python3-h5py python3-numpy)"
fi
expect_error "hlnet: an unknown architecture is one clear error" "model.arch" \
  "$ROBUSTA" train -c configs/default.cfg "${small[@]}" --set 'model.arch="gcn"' --set data.dir=\"$d/np1\"
finish
