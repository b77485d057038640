#!/usr/bin/env bash
# run-default.sh - `make run`: the main job on the embedded default data (configs/default.cfg).
# Builds the synthetic datasets, then runs the stages that exist (see README "Pipeline").
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cfg=${ROBUSTA_CONFIG:-configs/default.cfg}
start=$(date +%s)
./bin/robusta synth -c "$cfg"
echo "make run: finished in $(( $(date +%s) - start )) s"
