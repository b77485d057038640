#!/usr/bin/env bash
# reference.sh - a fresh run of configs/reference.cfg against the accepted reference results
# (results/reference/reference.h5), with the reference tolerances of docs/audit.md: 5e-3 on
# ap/ap_step/roc_auc, 1e-4 on detection AUCs and weights. Measured drift between OpenBLAS kernel
# families (Haswell, SkylakeX, Sandybridge) on this config: at most 3.3e-4. Also `audit --rerun`.
source "$(dirname "$0")/lib.sh"
ref=results/reference/reference.h5
tol=(--reference --metric-tolerance ap=5e-3,ap_step=5e-3,roc_auc=5e-3,detect_auc=1e-4,weight=1e-4)
check "the reference file is in the repository" test -f "$ref"
check "fresh run of configs/reference.cfg (2 ranks)" \
  mpirun_n 2 "$ROBUSTA" bench -c configs/reference.cfg --set data.dir=\"$E2E_TMP/data\" --out "$E2E_TMP/run"
"$ROBUSTA" audit "$ref" "$E2E_TMP/run/results.h5" "${tol[@]}" >"$E2E_TMP/audit.txt" 2>&1
tail -n 12 "$E2E_TMP/audit.txt" | sed 's/^/     /'
check "fresh run matches the accepted reference within the documented tolerances" grep -q 'audit: MATCH' "$E2E_TMP/audit.txt"
check "audit --rerun re-runs the reference from its stored config and matches" bash -c \
  "'$ROBUSTA' audit --rerun '$ref' --out '$E2E_TMP/rerun' ${tol[*]} 2>/dev/null | tail -n 1 | grep -q 'audit: MATCH'"
check "the rerun rebuilt its data under its own directory" test -f "$E2E_TMP/rerun/data/xdv-like.model.h5"
expect_error "audit of a missing file is one clear error" "nope.h5" "$ROBUSTA" audit "$ref" "$E2E_TMP/nope.h5"
finish
