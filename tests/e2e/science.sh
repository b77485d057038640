#!/usr/bin/env bash
# science.sh - what the benchmark must show on the embedded default data (configs/default.cfg, the
# `make run` job, on 2 real MPI ranks): every detector learns (clean ROC-AUC and step AP far above
# chance), the multimodal methods beat the unimodal ones on clean data, and for every corruption the
# concat baseline's AP at severity 5 is below its AP at severity 1. Prints the numbers it asserts.
source "$(dirname "$0")/lib.sh"
check "default job (synth, train, full grid) on 2 ranks" \
  mpirun_n 2 "$ROBUSTA" bench -c configs/default.cfg --set data.dir=\"$E2E_TMP/data\" --out "$E2E_TMP/run"
python3 - "$E2E_TMP/run/cells.csv" >"$E2E_TMP/science.txt" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ok = fail = 0
def check(cond, what):
    global ok, fail
    print(("ok   " if cond else "FAIL ") + what)
    ok, fail = ok + bool(cond), fail + (not cond)
clean = {r["method"]: r for r in rows if r["dataset"] == "xdv-like" and r["corruption"] == "clean"}
pos = None
for m, r in clean.items():
    print(f"     clean xdv-like {m:15s} ap {float(r['ap']):.4f}  ap_step {float(r['ap_step']):.4f}  roc_auc {float(r['roc_auc']):.4f}")
for m, r in clean.items():
    check(float(r["roc_auc"]) > 0.75, f"{m} learns: clean ROC-AUC {float(r['roc_auc']):.4f} > 0.75 (chance 0.5)")
    check(float(r["ap_step"]) > 0.45, f"{m} learns: clean step AP {float(r['ap_step']):.4f} > 0.45 (chance ~0.13)")
uni = max(float(clean["visual"]["ap"]), float(clean["audio"]["ap"]))
for m in ["concat", "shared-mean", "shared-dyn", "shared-pad-dyn"]:
    check(float(clean[m]["ap"]) > uni, f"multimodal {m} clean AP {float(clean[m]['ap']):.4f} > best unimodal {uni:.4f}")
ap = {(r["modality"], r["corruption"], int(r["severity"])): float(r["ap"]) for r in rows
      if r["dataset"] == "xdv-like" and r["method"] == "concat" and r["corruption"] not in ("clean", "missing")}
for (mod, cor) in sorted({(k[0], k[1]) for k in ap}):
    a1, a5 = ap[(mod, cor, 1)], ap[(mod, cor, 5)]
    check(a5 < a1, f"concat AP falls with severity: {mod} {cor}: s1 {a1:.4f} > s5 {a5:.4f}")
print(f"assertions {ok} {fail}")
PY
grep -v '^assertions' "$E2E_TMP/science.txt"
read -r _ n_ok n_fail < <(grep '^assertions' "$E2E_TMP/science.txt" || echo "assertions 0 1")
E2E_PASS=$((E2E_PASS + n_ok)); E2E_FAIL=$((E2E_FAIL + n_fail))
finish
