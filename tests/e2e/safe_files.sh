#!/usr/bin/env bash
# safe_files.sh - hostile files and names (docs/formats.md, docs/config.md "Names and paths",
# docs/audit.md): symbolic links planted at temporary and final names never redirect a write (the
# link's target keeps its checksum; the command fails cleanly or succeeds with a regular file);
# names with quotes, spaces, "..", newlines or absolute paths are refused with one error; audit
# --rerun of a file whose stored config names paths outside writes only under its --out; no shell
# in the binary; and the audit blind spots (an edited /cells value, method labels swapped between
# two /replicas rows; one value of /bootstrap/values, of a weighting diagnostic or of /comparisons)
# are caught by audit --check, audit and report. Every run is bounded by timeout.
source "$(dirname "$0")/lib.sh"
H5POKE=${H5POKE:-$PWD/bin/robusta-h5poke}
T=$E2E_TMP
d=$T/data
small=(--set data.dir=\"$d\"
       --set data.datasets.[0].n_train=40 --set data.datasets.[0].n_train_violent=19
       --set data.datasets.[0].n_test=16 --set data.datasets.[0].n_test_violent=8
       --set data.datasets.[1].n_test=10 --set data.datasets.[1].n_test_violent=5
       --set model.hidden1=32 --set model.hidden2=8 --set train.epochs=2 --set train.batch=8 --set train.lr=1e-3
       --set gmm.components=2 --set gmm.subsample=2000
       --set 'grid.visual=[fog]' --set 'grid.audio=[reverb]' --set 'grid.severities=[1]')
bench() { timeout 300 "${MPIRUN[@]}" -np 2 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" "$@"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
victim=$T/victim.txt
echo "precious content" >"$victim"
victim_sum=$(sum "$victim")
victim_intact() { [[ -f $victim && ! -L $victim && $(sum "$victim") == "$victim_sum" ]]; }
# safe DESCRIPTION FINAL COMMAND...: the command fails with exactly one error line, or succeeds and
# FINAL is a regular file (not a link); in both cases the victim is untouched
safe() {
  local desc=$1 final=$2; shift 2
  local out rc lines
  out=$("$@" 2>&1); rc=$?
  lines=$(grep -c '^robusta: error' <<<"$out")
  if ! victim_intact; then fail "$desc: the link's target was written"
  elif ((rc == 0)) && [[ -f $final && ! -L $final ]]; then ok "$desc (succeeded, $final is a new file)"
  elif ((rc != 0 && rc != 124)) && [[ $lines == 1 ]]; then ok "$desc (refused with one error)"
  else fail "$desc (exit $rc, $lines error lines: $(head -c 300 <<<"$out"))"; fi
}

# --- no shell anywhere in the binary; gnuplot is started with an argument vector ---------------
check "no system() or popen() in src/" bash -c "! grep -rnE '(^|[^a-z_])(system|popen)[[:space:]]*\\(' src"
check "gnuplot runs via execvp with argv" grep -q 'execvp(gnuplot, args)' src/results/plots.c

# --- planted symbolic links -------------------------------------------------------------------
mkdir -p "$d"
ln -s "$victim" "$d/xdv-like.h5.tmp"
ln -s "$victim" "$d/xdv-like.model.h5.tmp"
good=$T/good
check "bench with links at a dataset's and a model's .tmp" bench --out "$good"
check "  ... its results.h5 is a new regular file" bash -c "[[ -f '$good/results.h5' && ! -L '$good/results.h5' ]]"
# links planted inside a run killed part-way (no results or tables; rank 1's journal lost, so its
# cells are computed again), then --resume: the links are left alone and never written through
part=$T/partial
cp -r "$good" "$part" && rm -f "$part/results.h5" "$part/summary.md" "$part/cells.csv" "$part"/journal/*rank-000001.bin
for f in results.h5.tmp manifest.txt.tmp summary.md.tmp cells.csv.tmp; do ln -s "$victim" "$part/$f"; done
safe "--resume of a partial run with links at results.h5.tmp, manifest.txt.tmp, summary.md.tmp, cells.csv.tmp" \
  "$part/results.h5" bench --out "$part" --resume
check "  ... it resumed (results.h5 is a new regular file, as in the uninterrupted run)" bash -c \
  "[[ -f '$part/results.h5' && ! -L '$part/results.h5' ]] && timeout 300 '$ROBUSTA' audit '$good/results.h5' '$part/results.h5' --tolerance 0 | tail -n 1 | grep -q 'audit: MATCH'"
check "  ... the planted links are untouched" bash -c \
  "for f in results.h5.tmp manifest.txt.tmp summary.md.tmp cells.csv.tmp; do [[ -L '$part/'\$f && \$(readlink '$part/'\$f) == '$victim' ]] || exit 1; done"
# a symbolic link at a run's journal/, scores/ or plots/ is refused, not followed
for sub in journal scores plots; do
  r=$T/link-$sub elsewhere=$T/elsewhere-$sub
  rm -rf "$r" "$elsewhere" && cp -r "$part" "$r" && mkdir -p "$elsewhere" && echo keep >"$elsewhere/keep.txt"
  if [[ -d $r/$sub ]]; then cp -a "$r/$sub/." "$elsewhere/" && rm -rf "$r/$sub"; fi
  before=$(cd "$elsewhere" && find . -type f -exec sha256sum {} + | sort | sha256sum)
  ln -s "$elsewhere" "$r/$sub"
  rm -f "$r/results.h5"
  expect_error "--resume refuses a symbolic link at $sub/" "$sub is a symbolic link, not a directory" bench --out "$r" --resume
  check "  ... nothing was written through it ($sub)" bash -c \
    "[[ \$(cd '$elsewhere' && find . -type f -exec sha256sum {} + | sort | sha256sum) == '$before' && ! -e '$r/results.h5' ]]"
done
rep=$T/plots-link-report elsewhere=$T/elsewhere-report
mkdir -p "$rep" "$elsewhere" && ln -s "$elsewhere" "$rep/plots"
expect_error "report --plots refuses a symbolic link at plots/" "plots is a symbolic link, not a directory" \
  timeout 300 "$ROBUSTA" report "$good/results.h5" --out "$rep" --plots-required
check "  ... and wrote nothing through it" bash -c "[[ -z \$(ls -A '$elsewhere') ]]"
check "  ... the dataset's and model's planted temporaries are untouched links" bash -c \
  "[[ -L '$d/xdv-like.h5.tmp' && -L '$d/xdv-like.model.h5.tmp' && -f '$d/xdv-like.h5' && ! -L '$d/xdv-like.h5' ]]"
check "  ... the link target is intact" victim_intact
A=$good/results.h5
# a link at a dataset's final name: refused (it is not a dataset of this recipe) or replaced, never followed
ln -s "$victim" "$T/ds-link.h5"
safe "a link at a dataset's final name" "$T/ds-link.h5" \
  timeout 120 "$ROBUSTA" synth -c configs/default.cfg "${small[@]}" --set data.datasets.[1].file=\"$T/ds-link.h5\"

# merge -o X: a link at X.tmp and at X itself (with --force)
ln -s "$victim" "$T/merged.h5.tmp"
safe "merge -o X with a link at X.tmp" "$T/merged.h5" timeout 120 "$ROBUSTA" merge -o "$T/merged.h5" "$A"
ln -s "$victim" "$T/m2.h5"
expect_error "merge -o X refuses a link at X without --force" "exists" timeout 120 "$ROBUSTA" merge -o "$T/m2.h5" "$A"
safe "merge -o X --force with a link at X replaces the link" "$T/m2.h5" \
  timeout 120 "$ROBUSTA" merge -o "$T/m2.h5" --force "$A"
check "merged files audit equal to their shard" bash -c "timeout 300 '$ROBUSTA' audit '$A' '$T/m2.h5' | tail -n 1 | grep -q 'audit: MATCH'"

# import-xdv --out X: a link at X.tmp
fx=$T/fx
if python3 tests/e2e/make_xdv_fixture.py "$fx" >/dev/null 2>&1; then
  ln -s "$victim" "$T/xdv.h5.tmp"
  safe "import-xdv --out X with a link at X.tmp" "$T/xdv.h5" timeout 120 "$ROBUSTA" import-xdv --lists "$fx/list" \
    --visual-dir "$fx/i3d-features/RGB" --visual-test-dir "$fx/i3d-features/RGBTest" \
    --audio-dir "$fx/vggish-features/train" --audio-test-dir "$fx/vggish-features/test" \
    --annotations "$fx/annotations.txt" --out "$T/xdv.h5" --name xdv-fixture
else
  fail "the XD-Violence fixture generator failed"
fi
check "the victim is intact after every planted link" victim_intact

# --- hostile names ----------------------------------------------------------------------------
cfg() { timeout 60 "$ROBUSTA" config -c configs/default.cfg "$@"; }
expect_error "run.id with a quote" "is not a valid name" cfg --set "run.id=\"it's\""
expect_error "run.id with a space" "is not a valid name" cfg --set 'run.id="night 1"'
expect_error "run.id ../x" "is not a valid name" cfg --set 'run.id="../x"'
expect_error "run.id .." "is not a valid name" cfg --set 'run.id=".."'
expect_error "run.id absolute" "contains '/'" cfg --set 'run.id="/tmp/x"'
expect_error "run.id with a newline (shown escaped)" 'run.id "a\nb"' cfg --set "run.id=\"a
b\""
expect_error "a dataset name ../x" "data.datasets.[0].name" cfg --set 'data.datasets.[0].name="../x"'
expect_error "a dataset name with a slash" "contains '/'" cfg --set 'data.datasets.[1].name="a/b"'
expect_error "bench refuses run.id ../escape before any work" "is not a valid name" \
  timeout 60 "$ROBUSTA" bench -c configs/default.cfg "${small[@]}" --set run.out_root=\"$T/root\" --set 'run.id="../escape"'
check "nothing was written outside run.out_root" bash -c "[[ ! -e '$T/escape' && ! -e '$T/root' ]]"

# --- audit --rerun of an untrusted file: everything under --out -------------------------------
outside=$T/outside
hostile=$T/hostile
check "a run whose config names dataset and model files outside" bench --out "$hostile" \
  --set data.datasets.[0].file=\"$outside/x.h5\" --set data.datasets.[0].model=\"$outside/x.model.h5\" \
  --set data.datasets.[1].model=\"$outside/u.model.h5\"
rm -rf "$outside" "$d"
rr="$T/re run's out"   # a quote and spaces in --out: no shell ever sees it
check "audit --rerun with a quote and spaces in --out" bash -c \
  "timeout 300 ${MPIRUN[*]} -np 2 '$ROBUSTA' audit --rerun '$hostile/results.h5' --out \"$rr\" --tolerance 1e-9 | tail -n 1 | grep -q 'audit: MATCH'"
check "the rerun wrote nothing at the stored config's paths" bash -c "[[ ! -e '$outside' && ! -e '$d' ]]"
check "the rerun's datasets, models and rerun.cfg are under --out" bash -c \
  "[[ -f \"$rr/rerun.cfg\" && -f \"$rr/data/xdv-like.h5\" && -f \"$rr/data/xdv-like.model.h5\" && -f \"$rr/run/results.h5\" ]]"

cp "$A" "$T/include.h5"
check "edit: the stored config becomes an @include of another file" \
  "$H5POKE" "$T/include.h5" set-str /provenance/config 0 "@include \"$victim\""
expect_error "audit --rerun refuses a stored config with @include" "contains @include" \
  timeout 120 "${MPIRUN[@]}" -np 2 "$ROBUSTA" audit --rerun "$T/include.h5" --out "$T/inc-rerun"

# --- a link at the run log --------------------------------------------------------------------
mkdir -p "$T/logrun"
ln -s "$victim" "$T/logrun/log.txt"
safe "a link at log.txt of a run directory" "$T/logrun/log.txt" bench --out "$T/logrun"
check "  ... the run log was not appended through it" victim_intact

# --- report's plots: gnuplot opens its outputs itself, so links there are removed first ---------
if command -v gnuplot >/dev/null; then
  rep=$T/plots-report
  mkdir -p "$rep/plots/xdv-like"
  ln -s "$victim" "$rep/plots/plots.gp"
  ln -s "$victim" "$rep/plots/gnuplot.log"
  ln -s "$victim" "$rep/plots/xdv-like/visual.fog.ap.png"
  ln -s "$victim" "$rep/plots/xdv-like/visual.fog.ap.svg"
  check "report with links at plots.gp, gnuplot.log and a figure's name" \
    timeout 300 "$ROBUSTA" report "$A" --out "$rep" --plots-required
  check "  ... plots.gp and the figures are new regular files" bash -c \
    "[[ -f '$rep/plots/plots.gp' && ! -L '$rep/plots/plots.gp' && -f '$rep/plots/xdv-like/visual.fog.ap.png' && ! -L '$rep/plots/xdv-like/visual.fog.ap.png' ]]"
  check "  ... the link target is intact" victim_intact
fi

# --- the audit blind spots --------------------------------------------------------------------
check "audit --check: a file as written is consistent" bash -c "timeout 300 '$ROBUSTA' audit --check '$A' | tail -n 1 | grep -qx 'check: CONSISTENT'"
cp "$A" "$T/cells.h5"
check "edit: every /cells/ap set to 0.999" "$H5POKE" "$T/cells.h5" set-f64 /cells/ap all 0.999
out=$(timeout 300 "$ROBUSTA" audit --check "$T/cells.h5"); rc=$?
check "audit --check fails on the edited /cells/ap" test "$rc" = 1
check "  ... reporting MISMATCH /cells/ap" grep -q 'MISMATCH /cells/ap at' <<<"$out"
check "  ... and the changed digest" grep -q 'DIGEST /cells/ap:' <<<"$out"
check "  ... INCONSISTENT verdict" grep -q '^check: INCONSISTENT' <<<"$out"
out=$(timeout 300 "$ROBUSTA" audit "$A" "$T/cells.h5"); rc=$?
check "audit A edited: DIFFER (exit 1)" bash -c "[[ $rc == 1 ]] && grep -q '^audit: DIFFER' <<<'$(tail -n 1 <<<"$out")'"
check "  ... naming MISMATCH /cells/ap" grep -q 'MISMATCH /cells/ap' <<<"$out"
expect_error "report refuses the edited file" "is inconsistent" timeout 300 "$ROBUSTA" report "$T/cells.h5" --out "$T/rep" --no-plots
check "  ... and writes no table" test ! -e "$T/rep/summary.md"
cp "$A" "$T/labels.h5"
check "edit: method labels swapped between /replicas rows 0 and 1" "$H5POKE" "$T/labels.h5" swap-str /replicas/method 0 1
out=$(timeout 300 "$ROBUSTA" audit --check "$T/labels.h5"); rc=$?
check "audit --check fails on the swapped labels" bash -c "[[ $rc == 1 ]] && grep -q 'DIGEST /replicas/method' <<<'$out'"
out=$(timeout 300 "$ROBUSTA" audit "$A" "$T/labels.h5"); rc=$?
check "audit A swapped: DIFFER" bash -c "[[ $rc == 1 ]] && grep -q '^audit: DIFFER' <<<'$(tail -n 1 <<<"$out")'"
expect_error "report refuses the swapped file" "is inconsistent" timeout 300 "$ROBUSTA" report "$T/labels.h5" --out "$T/rep2" --no-plots
# the columns added after the first digests: one resample value, one weighting diagnostic, one
# /comparisons value; each is covered by /digests, so each edit alone makes the file inconsistent
for edit in "/bootstrap/values 5 0.5" "/conditions/weight_q50_audio 1 0.25" "/comparisons/diff 0 0.75"; do
  set -- $edit
  f=$T/edit$(tr / _ <<<"$1").h5
  cp "$A" "$f"
  check "edit: $1 element $2 set to $3" "$H5POKE" "$f" set-f64 "$1" "$2" "$3"
  out=$(timeout 300 "$ROBUSTA" audit --check "$f"); rc=$?
  check "  ... audit --check fails (exit 1)" test "$rc" = 1
  check "  ... naming the changed digest of $1 only" bash -c \
    "grep -q '^  DIGEST $1: stored sha256' <<<'$out' && [[ \$(grep -c '^  DIGEST' <<<'$out') == 1 ]]"
  check "  ... INCONSISTENT verdict" grep -q '^check: INCONSISTENT (1 problems)' <<<"$out"
  expect_error "  ... report refuses it" "is inconsistent (1 problem; first: DIGEST $1" \
    timeout 300 "$ROBUSTA" report "$f" --out "$T/rep-$(basename "$f" .h5)" --no-plots
  check "  ... and writes no table" test ! -e "$T/rep-$(basename "$f" .h5)/summary.md"
done
out=$(timeout 300 "$ROBUSTA" audit --check "$A")
n_dig=$(grep -oE 'digests: [0-9]+ of [0-9]+ match' <<<"$out")
check "the untouched file: all of its $n_dig, more than the 31 base columns" bash -c \
  "[[ '$n_dig' =~ ^digests:\ ([0-9]+)\ of\ ([0-9]+)\ match$ ]] && ((BASH_REMATCH[1] == BASH_REMATCH[2] && BASH_REMATCH[1] > 31)) &&
   grep -q 'check: CONSISTENT' <<<'$out'"
check "report still accepts the untouched file" timeout 300 "$ROBUSTA" report "$A" --out "$T/rep3" --no-plots
check "  ... and names every file it wrote" bash -c \
  "timeout 300 '$ROBUSTA' report '$A' --out '$T/rep4' --no-plots 2>&1 | grep -q 'summary.md, cells.csv, summaries.csv and comparisons.csv' &&
   for x in report.html overview.svg results.json summary.md cells.csv summaries.csv comparisons.csv; do [[ -f '$T/rep4/'\$x ]] || exit 1; done"
finish
