#!/usr/bin/env bash
# check-layout.sh - the include rule between the pipeline's stages (docs/architecture.md), read from
# the #include lines:
#   - a stage folder src/<stage>/ includes public headers (include/rb_<stage>.h) of its own stage or of
#     stages below it, and private headers only from its own folder;
#   - a public header includes only public headers of stages below it;
#   - no production source includes a test header, and no source or header stands outside a stage.
# and that the repository is self-contained (docs/README issue 14 item 5):
#   - docs/, README.md, src/, include/, configs/, jobs/, slurm/ and scripts/ name no file outside the
#     repository (the team's design notes, by their file name) and no path under a machine's scratch,
#     home, work or root directories, except the uses allowed one by one below;
#   - every repository path docs/ and README.md name (docs/*.md, configs/*.cfg, src/..., include/...,
#     jobs/..., slurm/..., scripts/..., tests/...) exists, and every *.c file a comment in src/ or
#     include/ names exists under src/ or tests/.
# Prints one line per violation and ends with "N passed, N failed" (one check per file).
set -uo pipefail
cd "$(dirname "$0")/.."
stages=(core io data corrupt model score results grid cmd)
declare -A level
for i in "${!stages[@]}"; do level[${stages[$i]}]=$i; done
pass=0 fail=0
bad() { echo "FAIL layout: $*"; fail=$((fail + 1)); }

# check_file FILE STAGE KIND: KIND is "source" (may include its own stage's public header) or "public"
check_file() {
  local file=$1 stage=$2 kind=$3 ok=1 inc dep
  while IFS= read -r inc; do
    if [[ $inc =~ ^rb_([a-z]+)\.h$ ]]; then
      dep=${BASH_REMATCH[1]}
      if [[ -z ${level[$dep]+x} ]]; then
        bad "$file includes $inc, which is no stage's public header"; ok=0
      elif ((level[$dep] > level[$stage])) || { [[ $kind == public ]] && ((level[$dep] == level[$stage])); }; then
        bad "$file (stage $stage) includes $inc (stage $dep): a stage includes only stages below it"; ok=0
      fi
    elif [[ $kind == public ]]; then
      bad "$file includes \"$inc\": a public header includes only other stages' public headers"; ok=0
    elif [[ ! -f $(dirname "$file")/$inc ]]; then
      bad "$file includes \"$inc\", which is not a private header of its own folder"; ok=0
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
  ((ok)) && pass=$((pass + 1))
}

for f in src/*.[ch] include/*/; do [[ -e $f ]] && bad "$f stands outside the stage folders"; done
for f in src/*/; do
  s=$(basename "$f"); [[ -n ${level[$s]+x} ]] || bad "src/$s is not a stage (stages: ${stages[*]})"
done
for s in "${stages[@]}"; do
  for f in src/"$s"/*.[ch]; do [[ -e $f ]] && check_file "$f" "$s" source; done
done
for h in include/*.h; do
  n=$(basename "$h" .h); s=${n#rb_}
  if [[ -z ${level[$s]+x} ]]; then bad "$h is not the public header of a stage"; continue; fi
  check_file "$h" "$s" public
done

# ---- self-contained: no outside reference, no machine path
# Allowed uses, FILE:PATTERN (grep -E on the matching line), each with its reason:
allowed=(
  # the apt-get log of the dependency installer: a scratch file of the machine it runs on, by design
  'scripts/check-deps.sh:/tmp/robusta-apt\.log'
)
scan=(docs README.md src include configs jobs slurm scripts)
# built from parts so that this file does not name them itself
outside_notes="design"'\.md'
machine_roots='/(tmp|home|work|root)/'

while IFS= read -r hit; do
  file=${hit%%:*}; line=${hit#*:}; line=${line#*:}; ok=0
  for a in "${allowed[@]}"; do
    [[ $file == "${a%%:*}" ]] && grep -qE -- "${a#*:}" <<<"$line" && { ok=1; break; }
  done
  ((ok)) || bad "${hit%%:*}:$(cut -d: -f2 <<<"$hit") names a file outside the repository or a machine path: $(head -c 160 <<<"$line")"
done < <(grep -rnE "$outside_notes|$machine_roots" "${scan[@]}" 2>/dev/null)
pass=$((pass + 1))

# ---- every repository path the docs name exists
repo_path='(docs/[A-Za-z0-9_.-]+\.md|configs/[A-Za-z0-9_.-]+\.cfg|(src|include|jobs|slurm|scripts|tests)/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.(c|h|sh|py|md|cfg|txt))'
for f in docs/*.md README.md; do
  ok=1
  while IFS= read -r p; do
    [[ -e $p ]] || { bad "$f names $p, which does not exist"; ok=0; }
  done < <(grep -oE "(^|[^A-Za-z0-9_./-])$repo_path" "$f" | sed -E 's/^[^A-Za-z]//' | sort -u)
  ((ok)) && pass=$((pass + 1))
done
# *.c files named in the comments of src/ and include/ (headers are left out: most are system ones)
while IFS= read -r hit; do
  file=${hit%%:*}; name=${hit#*:}
  [[ -n $(find src tests -name "$name" -print -quit) ]] || bad "$file names $name, which is no file under src/ or tests/"
done < <(grep -oE '\b[a-z][a-z0-9_]*\.c\b' src/*/*.[ch] include/*.h | sort -u)
pass=$((pass + 1))

echo "$pass passed, $fail failed"
((fail == 0))
