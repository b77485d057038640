#!/usr/bin/env bash
# update-reference.sh - regenerate the accepted reference results (results/reference/reference.h5)
# from configs/reference.cfg. Run it only when a change moves the numbers on purpose, and say why in
# the commit message; `make test` audits every fresh run of the config against this file
# (tests/e2e/reference.sh, tolerances in docs/audit.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./bin/robusta bench -c configs/reference.cfg --set data.dir=\"$tmp/data\" --out "$tmp/run"
mkdir -p results/reference
cp "$tmp/run/results.h5" results/reference/reference.h5.tmp
mv results/reference/reference.h5.tmp results/reference/reference.h5
echo "update-reference: results/reference/reference.h5 updated; commit it with the reason for the change"
