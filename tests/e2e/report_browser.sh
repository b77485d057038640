#!/usr/bin/env bash
# report_browser.sh - report.html, overview.svg, results.json, compare.html and `audit --junit` on a
# small real run (docs/results.md, docs/formats.md, docs/audit.md): report.html and compare.html pass
# `xmllint --html` with no message, the SVG is well-formed XML, and in headless Chromium each page
# loads with no script error, console.error or console.warn, and no console line at all in the log,
# and every figure decodes (the page's render check, read through --dump-dom; a page with a
# console.error added must fail; a screenshot goes under the run directory). results.json is checked against its
# documented schema and JUnit XML is parsed with Python's xml.etree, including a failing audit.
# Installs nothing: without chromium (or xmllint) those checks are skipped with a message.
source "$(dirname "$0")/lib.sh"
d=$E2E_TMP/data
small=(--set data.dir=\"$d\"
       --set data.datasets.[0].n_train=60 --set data.datasets.[0].n_train_violent=29
       --set data.datasets.[0].n_test=24 --set data.datasets.[0].n_test_violent=14
       --set data.datasets.[1].n_test=12 --set data.datasets.[1].n_test_violent=6
       --set model.hidden1=64 --set model.hidden2=16 --set train.batch=8 --set train.lr=1e-3
       --set gmm.components=4 --set gmm.subsample=3000
       --set 'grid.visual=[fog, frame_drop]' --set 'grid.audio=[reverb]' --set 'grid.severities=[1, 3, 5]')
run=$E2E_TMP/run1
# quiet COMMAND...: run it with its output in $E2E_TMP/quiet.log (the last lines shown when it fails)
quiet() { "$@" >"$E2E_TMP/quiet.log" 2>&1 || { tail -n 5 "$E2E_TMP/quiet.log"; false; }; }
check "run 1 (2 ranks, 2 replicas)" quiet timeout 600 "${MPIRUN[@]}" -np 2 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" \
  --set train.epochs=3 --set train.seeds=2 --out "$run"
check "on 2 ranks bench prints no 1-rank note" bash -c "! grep -q 'running on 1 MPI rank' '$E2E_TMP/quiet.log'"
check "run 2 (1 rank, fewer epochs: other numbers)" quiet timeout 600 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" \
  --set train.epochs=2 --set train.seeds=2 --set run.id=\"other\" --out "$E2E_TMP/run2" --force
check "on 1 rank bench says so once, and how to use more" \
  bash -c "[[ \$(grep -c 'bench: running on 1 MPI rank; to use more: mpirun -np N' '$E2E_TMP/quiet.log') == 1 ]]"
check "bench wrote results.json beside results.h5" test -s "$run/results.json"
check "report writes report.html, overview.svg, results.json" \
  bash -c "'$ROBUSTA' report '$run/results.h5' --out '$run/report' >'$E2E_TMP/report.log' 2>&1 &&
           test -s '$run/report/report.html' -a -s '$run/report/overview.svg' -a -s '$run/report/results.json'"
check "report's results.json equals bench's" cmp -s "$run/results.json" "$run/report/results.json"
check "no gnuplot figures by default" test ! -e "$run/report/plots"
check "--metric roc_auc" bash -c "'$ROBUSTA' report '$run/results.h5' --metric roc_auc --out '$E2E_TMP/roc' >/dev/null 2>&1 &&
                                  grep -q 'Metric shown: <b>ROC-AUC' '$E2E_TMP/roc/report.html'"
expect_error "--metric rejects an unknown metric" "expected ap, ap_step or roc_auc" \
  "$ROBUSTA" report "$run/results.h5" --metric auc --out "$E2E_TMP/bad"
check "self-contained: no http(s) reference, no external src or href" \
  bash -c "! grep -Eq 'https?://[^\"]*\\.(js|css)|<script[^>]+src=|<link[^>]+href=|src=\"(https?:|/|\\.)' '$run/report/report.html'"

# the page and figures, checked by independent parsers
python3 - "$run" >"$E2E_TMP/py.txt" 2>&1 <<'PY'
import base64, json, math, re, sys, xml.etree.ElementTree as ET
run = sys.argv[1]
ok = fail = 0
def check(cond, what):
    global ok, fail
    print(("ok   " if cond else "FAIL ") + what)
    ok, fail = ok + bool(cond), fail + (not cond)
html = open(f"{run}/report/report.html").read()
imgs = re.findall(r'<img class="fig" id="([^"]+)" alt="([^"]*)" src="data:image/svg\+xml;base64,([^"]+)"', html)
check(len(imgs) >= 6, f"report.html embeds {len(imgs)} SVG figures (>= 6)")
for fid, alt, b64 in imgs:
    try:
        root = ET.fromstring(base64.b64decode(b64))
        good = root.tag.endswith("svg") and float(root.get("width")) > 0
    except Exception as e:
        good = False
    check(good, f"figure {fid} is a well-formed SVG")
for sec in ["ranking", "overview", "severity", "missing", "weights", "provenance"]:
    check(f'id="{sec}"' in html, f"section {sec} present")
svg = ET.parse(f"{run}/report/overview.svg").getroot()
panels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.text and re.match(r"\([ab]\) ", t.text)]
check(panels == ["(a) xdv-like", "(b) ucf-like"], f"overview.svg has one panel per dataset: {panels}")

# results.json against docs/formats.md "results.json"
j = json.load(open(f"{run}/report/results.json"))
def typed(v, t): return v is None or isinstance(v, t)
check(j["schema"] == "robusta-results-json" and j["schema_version"] == 1, "results.json schema and version")
check(set(j) == {"schema", "schema_version", "run_id", "methods", "n_replicas", "n_boot", "provenance", "datasets"},
      f"results.json top-level keys: {sorted(j)}")
check(j["n_replicas"] == 2 and isinstance(j["n_boot"], int), "n_replicas 2, n_boot an integer")
p = j["provenance"]
check(set(p) == {"robusta_version", "git_commit", "time_utc", "host", "ranks", "command", "mpi_library",
                 "hdf5_version", "config_digest", "inputs"}, f"provenance keys: {sorted(p)}")
check(p["ranks"] == 2 and re.fullmatch(r"[0-9a-f]{16}", p["config_digest"] or ""), "provenance ranks 2, 16-hex config digest")
check(all(set(i) == {"sha256", "path"} and re.fullmatch(r"[0-9a-f]{64}", i["sha256"]) for i in p["inputs"]) and p["inputs"],
      "provenance inputs: sha256 + path")
cells = {}
import csv
for r in csv.DictReader(open(f"{run}/cells.csv")):
    cells[(r["dataset"], r["corruption"], r["modality"], int(r["severity"]), r["method"])] = r
summ = {}
for r in csv.DictReader(open(f"{run}/report/summaries.csv")):
    if r["family"] == "all":
        summ[(r["dataset"], r["method"], r["summary"], r["metric"])] = (float(r["value"]), float(r["lo"]), float(r["hi"]))
check(j["n_boot"] > 0 and summ, f"the run has intervals: n_boot {j['n_boot']}, {len(summ)} summaries of family all")
check([d["name"] for d in j["datasets"]] == ["xdv-like", "ucf-like"], "datasets in file order")
for d in j["datasets"]:
    q = d["positive_fraction"]
    check(isinstance(q, float) and 0 < q < 1, f"{d['name']}: positive_fraction {q} in (0, 1)")
    check(abs(d["chance"]["ap"] - (1 + q) / 2) < 1e-15 and d["chance"]["ap_step"] == q and d["chance"]["roc_auc"] == 0.5,
          f"{d['name']}: chance levels (1+q)/2, q, 0.5")
    n_corr = sum(1 for k in cells if k[0] == d["name"] and k[1] != "clean" and k[4] == j["methods"][0])
    check(d["n_corrupted_cells"] == n_corr, f"{d['name']}: n_corrupted_cells {d['n_corrupted_cells']} = cells.csv {n_corr}")
    for h in d["headline"]:
        m = h["method"]
        for k in ["ap", "ap_step", "roc_auc"]:
            clean = float(cells[(d["name"], "clean", "none", 0, m)][k])
            corr = [float(r[k]) for key, r in cells.items() if key[0] == d["name"] and key[1] != "clean" and key[4] == m]
            mean_corr = sum(corr) / len(corr)
            check(abs(h[k]["clean"]["mean"] - clean) < 1e-12 and abs(h[k]["corrupted"]["mean"] - mean_corr) < 1e-12
                  and typed(h[k]["drop"]["sd"], float) and typed(h[k]["relative"]["mean"], float),
                  f"{d['name']} {m} {k}: clean {clean:.4f}, corrupted {mean_corr:.4f} recomputed from cells.csv")
            # the ranked quantity's interval and relative robustness's: summaries.csv's family "all" rows, exactly
            c_v, c_lo, c_hi = summ[(d["name"], m, "mean_corrupted", k)]
            r_v, r_lo, r_hi = summ[(d["name"], m, "relative", k)]
            ci, ri = h[k].get("corrupted_interval"), h[k].get("relative_interval")
            check(ci == [c_lo, c_hi] and ri == [r_lo, r_hi] and c_lo < c_hi and r_lo < r_hi
                  and abs(c_v - h[k]["corrupted"]["mean"]) < 1e-12 and c_lo <= c_v <= c_hi,
                  f"{d['name']} {m} {k}: corrupted_interval {ci}, relative_interval {ri} = summaries.csv")
            if k == "ap_step":  # the report's default metric: the ranking table prints the same intervals
                row = re.search(r'<tr><td>\d+</td><td class="l">' + re.escape(m) + r'</td><td>[^<]*</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>',
                                html[html.index(f"Ranking on <code>{d['name']}</code>"):])
                want = (f"{h[k]['corrupted']['mean']:.4f} [{c_lo:.4f}, {c_hi:.4f}]", f"{r_v:.4f} [{r_lo:.4f}, {r_hi:.4f}]")
                check(row is not None and (row.group(1), row.group(2)) == want,
                      f"{d['name']} {m}: report.html ranking shows corrupted {row and row.group(1)}, relative {row and row.group(2)} (want {want})")
    for k in ["ap", "ap_step", "roc_auc"]:
        order = sorted(j["methods"], key=lambda m: -[h for h in d["headline"] if h["method"] == m][0][k]["corrupted"]["mean"])
        check(d["ranking"][k] == order, f"{d['name']}: ranking by {k} = sorted corrupted means")
    # the family-group robustness summaries: exactly summaries.csv's rows of those families
    want = {}
    for r in csv.DictReader(open(f"{run}/report/summaries.csv")):
        if r["dataset"] == d["name"] and r["family"] in ("all", "visual", "audio", "missing", "pairs"):
            want[(r["family"], r["summary"], r["metric"], r["method"])] = (float(r["value"]), float(r["lo"]), float(r["hi"]))
    got = {(s["family"], s["summary"], s["metric"], s["method"]): (s["value"], s["interval"]) for s in d["summaries"]}
    same = set(got) == set(want) and all(
        (math.isnan(w[0]) and got[k][0] is None or got[k][0] == w[0]) and
        (got[k][1] is None and math.isnan(w[1]) or got[k][1] == [w[1], w[2]]) for k, w in want.items())
    check(same and len(got) > 0 and {k[1] for k in got} >= {"mean_corrupted", "relative", "mce", "effective_robustness"},
          f"{d['name']}: results.json summaries ({len(got)}) = summaries.csv's family-group rows ({len(want)})")
    fams = {c["family"] for c in d["corruptions"]}
    check(fams <= {"visual", "audio", "missing", "pairs"} and "missing" in fams, f"{d['name']}: corruption families {sorted(fams)}")
print(f"assertions {ok} {fail}")
PY
grep -v '^assertions' "$E2E_TMP/py.txt"
read -r _ n_ok n_fail < <(grep '^assertions' "$E2E_TMP/py.txt" || echo "assertions 0 1")
E2E_PASS=$((E2E_PASS + n_ok)); E2E_FAIL=$((E2E_FAIL + n_fail))

# xmllint (libxml2-utils): no parser message at all
if command -v xmllint >/dev/null 2>&1; then
  check "xmllint --html: report.html without errors" bash -c "out=\$(xmllint --html --noout '$run/report/report.html' 2>&1) && [[ -z \$out ]] || { echo \"\$out\" | head -5; false; }"
  check "xmllint: overview.svg is well-formed XML" xmllint --noout "$run/report/overview.svg"
else
  echo "skip xmllint not installed (Debian: libxml2-utils; scripts/check-deps.sh --tests installs it)"
fi

# the page in a real browser
chromium_bin=
for c in /usr/bin/chromium /usr/bin/chromium-browser; do [[ -x $c ]] && { chromium_bin=$c; break; }; done
browse() { # browse OUTFILE PAGE ARGS...: headless Chromium, its stderr into OUTFILE.err
  local out=$1 page=$2; shift 2
  timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
    --user-data-dir="$E2E_TMP/chromium-profile" --enable-logging=stderr --v=0 --virtual-time-budget=10000 \
    "$@" "file://$page" >"$out" 2>"$out.err"
}
# page_quiet ERRFILE: the page wrote nothing to the console. Chromium logs console.error, .warn and .log
# alike as INFO:CONSOLE, so any CONSOLE line of any level fails (the report logs nothing), as do
# uncaught exceptions and failed loads; the offending lines are shown.
page_quiet() {
  local lines
  lines=$(grep -E ':CONSOLE[:(]|Uncaught|Failed to load resource' "$1")
  [[ -z $lines ]] || { head -n 5 <<<"$lines"; false; }
}
page_noisy() { ! page_quiet "$1" >/dev/null; }
# render_check DOMFILE: "figures rendered errors" from the page's #render-check paragraph
render_check() {
  local line
  line=$(grep -o '<p id="render-check"[^>]*>[^<]*' "$1" || true)
  echo "$(sed -n 's/.*data-figures="\([0-9]*\)".*/\1/p' <<<"$line") $(sed -n 's/.*data-rendered="\([0-9]*\)".*/\1/p' <<<"$line") $(sed -n 's/.*data-errors="\([0-9]*\)".*/\1/p' <<<"$line")"
}
if [[ -n $chromium_bin ]]; then
  for page in "$run/report/report.html" "$E2E_TMP/compare/compare.html"; do
    [[ $page == */compare.html ]] && { "$ROBUSTA" report "$run/results.h5" "$E2E_TMP/run2/results.h5" --out "$E2E_TMP/compare" >/dev/null 2>&1 || fail "compare.html written"; }
    name=$(basename "$page")
    browse "$E2E_TMP/$name.dom" "$page" --dump-dom
    read -r figs rend errs < <(render_check "$E2E_TMP/$name.dom")
    want_figs=$(grep -o '<img class="fig"' "$page" | wc -l)
    check "chromium: $name: every figure rendered ($rend of $figs, $want_figs in the file)" \
      test -n "$figs" -a "$figs" = "$want_figs" -a "$rend" = "$figs"
    check "chromium: $name: no script error, console.error or console.warn (render check: ${errs:-not run})" test "${errs:-x}" = 0
    check "chromium: $name: no console output, uncaught exception or failed load in the browser log" \
      page_quiet "$E2E_TMP/$name.dom.err"
  done
  # the two checks above catch a console.error whose text has no "error" in it (Chromium logs it as
  # INFO:CONSOLE): report.html with one such call added must fail both
  sed 's#</body>#<script>console.error("x");</script>\n</body>#' "$run/report/report.html" >"$E2E_TMP/console.html"
  browse "$E2E_TMP/console.dom" "$E2E_TMP/console.html" --dump-dom
  read -r figs rend errs < <(render_check "$E2E_TMP/console.dom")
  check "chromium: a page calling console.error(\"x\") fails the render check (errors: ${errs:-not run})" test "${errs:-0}" -ge 1
  check "chromium: ... and the browser-log check" page_noisy "$E2E_TMP/console.dom.err"
  browse "$E2E_TMP/shot.out" "$run/report/report.html" --hide-scrollbars --window-size=1200,2400 --screenshot="$run/report/report.png"
  check "chromium: screenshot written under the run directory ($run/report/report.png)" \
    bash -c "[[ \$(head -c 8 '$run/report/report.png' | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]"
else
  echo "skip chromium not installed: the browser checks are skipped (Debian: chromium; scripts/check-deps.sh --tests installs it)"
fi

# compare.html: the two runs side by side, differences flagged
check "report A.h5 B.h5 writes compare.html" bash -c "'$ROBUSTA' report '$run/results.h5' '$E2E_TMP/run2/results.h5' --out '$E2E_TMP/compare' >'$E2E_TMP/compare.log' 2>&1"
check "compare.html has a column per run and flags differences" \
  bash -c "grep -q '<th>run 2</th>' '$E2E_TMP/compare/compare.html' && grep -q 'class=\"flag\"' '$E2E_TMP/compare/compare.html' && grep -q 'DIFFER' '$E2E_TMP/compare/compare.html'"
if command -v xmllint >/dev/null 2>&1; then
  check "xmllint --html: compare.html without errors" bash -c "out=\$(xmllint --html --noout '$E2E_TMP/compare/compare.html' 2>&1) && [[ -z \$out ]] || { echo \"\$out\" | head -5; false; }"
fi
check "a run compared with itself flags nothing" \
  bash -c "'$ROBUSTA' report '$run/results.h5' '$run/results.h5' --out '$E2E_TMP/self' >/dev/null 2>&1 && ! grep -q 'class=\"flag\"' '$E2E_TMP/self/compare.html' && grep -q '<td class=\"l\">MATCH</td>' '$E2E_TMP/self/compare.html'"

# JUnit from audit: a passing and a failing audit
"$ROBUSTA" audit "$run/results.h5" "$run/results.h5" --junit "$E2E_TMP/pass.xml" >/dev/null; rc_pass=$?
"$ROBUSTA" audit --reference "$run/results.h5" "$E2E_TMP/run2/results.h5" --junit "$E2E_TMP/fail.xml" >"$E2E_TMP/fail.txt"; rc_fail=$?
check "audit exit codes: MATCH 0, DIFFER 1" test "$rc_pass" = 0 -a "$rc_fail" = 1
python3 - "$E2E_TMP/pass.xml" "$E2E_TMP/fail.xml" "$E2E_TMP/fail.txt" "$run/cells.csv" >"$E2E_TMP/junit.txt" 2>&1 <<'PY'
import csv, re, sys, xml.etree.ElementTree as ET
ok = fail = 0
def check(cond, what):
    global ok, fail
    print(("ok   " if cond else "FAIL ") + what)
    ok, fail = ok + bool(cond), fail + (not cond)
rows = list(csv.DictReader(open(sys.argv[4])))
n_conds = len({(r["dataset"], r["corruption"], r["modality"], r["severity"]) for r in rows})
for path, failing in [(sys.argv[1], False), (sys.argv[2], True)]:
    root = ET.parse(path).getroot()
    check(root.tag == "testsuites", f"{path.split('/')[-1]}: root <testsuites>")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    check(set(suites) == {"cells", "conditions", "extra", "provenance"}, f"suites {sorted(suites)}")
    cases = root.findall("testsuite/testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    check(int(root.get("tests")) == len(cases) and int(root.get("failures")) == len(failed),
          f"totals: tests {root.get('tests')} = {len(cases)} cases, failures {root.get('failures')} = {len(failed)}")
    for name, s in suites.items():
        sc = s.findall("testcase")
        check(int(s.get("tests")) == len(sc) and int(s.get("failures")) == sum(c.find("failure") is not None for c in sc),
              f"suite {name}: counts match its cases")
    check(len(suites["cells"].findall("testcase")) == len(rows), f"one cell test case per cells.csv row ({len(rows)})")
    check(len(suites["conditions"].findall("testcase")) == n_conds, f"one condition test case per condition ({n_conds})")
    if not failing:
        check(not failed, "the audit of a file against itself has no failing test case")
    else:
        text = open(sys.argv[3]).read()
        m = re.search(r"cells: \d+ \(condition, method\) rows, (\d+) beyond tolerance", text)
        cells_failed = [c for c in suites["cells"].findall("testcase") if c.find("failure") is not None]
        check(m and len(cells_failed) == int(m.group(1)) and len(cells_failed) > 0,
              f"failing audit: {len(cells_failed)} failed cell cases = the report's rows beyond tolerance ({m and m.group(1)})")
        body = cells_failed[0].find("failure").text or ""
        check(re.search(r"(ap|ap_step|roc_auc): A [-0-9.e]+, B [-0-9.e]+, \|A - B\|", body) is not None,
              f"a failure names metric, A, B and |A - B|: {body.splitlines()[0] if body else ''}")
print(f"assertions {ok} {fail}")
PY
grep -v '^assertions' "$E2E_TMP/junit.txt"
read -r _ n_ok n_fail < <(grep '^assertions' "$E2E_TMP/junit.txt" || echo "assertions 0 1")
E2E_PASS=$((E2E_PASS + n_ok)); E2E_FAIL=$((E2E_FAIL + n_fail))

# the nightly job's JUnit (--skip-run audits the existing run 1): PASS, FAIL and NO-REFERENCE
junit_counts() { # FILE: "<tests> <failures> <suites>" read with xml.etree, totals checked against the cases
  python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall("testsuite/testcase")
failed = sum(c.find("failure") is not None for c in cases)
assert int(root.get("tests")) == len(cases) and int(root.get("failures")) == failed, "totals differ from the cases"
print(len(cases), failed, ",".join(s.get("name") for s in root.findall("testsuite")))
PY
}
nightly() { ROBUSTA=$ROBUSTA bash jobs/nightly.sh --skip-run --out "$run" "$@" >"$E2E_TMP/nightly.txt" 2>&1; }
nightly --reference "$run/results.h5" --junit "$E2E_TMP/n-pass.xml"; rc=$?
read -r t f suites < <(junit_counts "$E2E_TMP/n-pass.xml" || echo "0 -1 none")
check "nightly PASS: exit 0, JUnit $t cases, $f failed, suites $suites" test "$rc" = 0 -a "$f" = 0 -a "$t" -gt 100 -a "$suites" = nightly,cells,conditions,extra,provenance
nightly --reference "$E2E_TMP/run2/results.h5" --junit "$E2E_TMP/n-fail.xml"; rc=$?
read -r t f suites < <(junit_counts "$E2E_TMP/n-fail.xml" || echo "0 0 none")
check "nightly FAIL: exit 1, JUnit $t cases, $f failed" test "$rc" = 1 -a "$f" -gt 1
nightly --reference "$E2E_TMP/none.h5" --junit "$E2E_TMP/n-none.xml"; rc=$?
read -r t f suites < <(junit_counts "$E2E_TMP/n-none.xml" || echo "0 0 none")
check "nightly NO-REFERENCE: exit 3, JUnit 1 case, failed" test "$rc" = 3 -a "$t" = 1 -a "$f" = 1
finish
