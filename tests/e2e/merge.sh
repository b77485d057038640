#!/usr/bin/env bash
# merge.sh - dataset shards (`bench --datasets`, as a Slurm job array runs them) merged with
# `robusta merge` equal a single-job run (robusta audit: MATCH), scores included; bad merges refused.
source "$(dirname "$0")/lib.sh"
d=$E2E_TMP/data
small=(--set data.dir=\"$d\"
       --set data.datasets.[0].n_train=60 --set data.datasets.[0].n_train_violent=29
       --set data.datasets.[0].n_test=24 --set data.datasets.[0].n_test_violent=14
       --set data.datasets.[1].n_test=12 --set data.datasets.[1].n_test_violent=6
       --set model.hidden1=64 --set model.hidden2=16 --set train.epochs=3 --set train.batch=8 --set train.lr=1e-3
       --set gmm.components=4 --set gmm.subsample=3000
       --set 'grid.visual=[fog, frame_drop]' --set 'grid.audio=[reverb]' --set 'grid.severities=[1, 5]')
check "single-job run" mpirun_n 2 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" --out "$E2E_TMP/single" --save-scores
check "shard xdv-like" mpirun_n 2 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" --out "$E2E_TMP/s1" --datasets xdv-like --save-scores
check "shard ucf-like" "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" --out "$E2E_TMP/s2" --datasets ucf-like --save-scores
check "a shard holds only its dataset" bash -c "! h5dump -d /conditions/dataset '$E2E_TMP/s2/results.h5' | grep -q xdv-like"
check "merge the shards (given in reverse order)" "$ROBUSTA" merge -o "$E2E_TMP/merged.h5" "$E2E_TMP/s2/results.h5" "$E2E_TMP/s1/results.h5"
check "merged equals the single-job run (robusta audit)" bash -c "'$ROBUSTA' audit '$E2E_TMP/single/results.h5' '$E2E_TMP/merged.h5' | tail -n 1 | grep -q 'audit: MATCH'"
check "merged scores equal the single-job scores" bash -c "diff <(h5dump -d /scores/ucf-like/visual.fog/5/shared-dyn '$E2E_TMP/merged.h5' | tail -n +2) <(h5dump -d /scores/ucf-like/visual.fog/5/shared-dyn '$E2E_TMP/single/results.h5' | tail -n +2) >/dev/null"
check "report reads the merged file" "$ROBUSTA" report "$E2E_TMP/merged.h5" --out "$E2E_TMP/report" --no-plots
check "its cells.csv equals the single-job cells.csv (but the run_id column)" cmp -s <(csv_without_run_id "$E2E_TMP/report/cells.csv") <(csv_without_run_id "$E2E_TMP/single/cells.csv")
check "its summary.md and summaries.csv (bootstrap intervals) equal the single job's" \
  bash -c "cmp -s '$E2E_TMP/report/summary.md' '$E2E_TMP/single/summary.md' && cmp -s '$E2E_TMP/report/summaries.csv' '$E2E_TMP/single/summaries.csv'"
expect_error "overlapping shards are refused" "appears in both" "$ROBUSTA" merge -o "$E2E_TMP/bad1.h5" "$E2E_TMP/s1/results.h5" "$E2E_TMP/single/results.h5"
expect_error "a missing dataset is refused" "is in none of the shards" "$ROBUSTA" merge -o "$E2E_TMP/bad2.h5" "$E2E_TMP/s1/results.h5"
check "--partial allows it" "$ROBUSTA" merge -o "$E2E_TMP/partial.h5" --partial "$E2E_TMP/s1/results.h5"
check "shard of another config" "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" --set run.id=\"other\" --out "$E2E_TMP/s3" --datasets ucf-like
expect_error "shards of different configs are refused" "different config" "$ROBUSTA" merge -o "$E2E_TMP/bad3.h5" "$E2E_TMP/s1/results.h5" "$E2E_TMP/s3/results.h5"
expect_error "an unknown --datasets name is refused" "is not a dataset of the config" "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" --out "$E2E_TMP/s4" --datasets nope
check "no half-written merge output" bash -c "[[ ! -e '$E2E_TMP/bad1.h5' && ! -e '$E2E_TMP/bad3.h5' ]]"
finish
