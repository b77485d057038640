#!/usr/bin/env bash
# run-default.sh - `make run`: the main job on the embedded default data (configs/default.cfg):
# synthesise the datasets, train, run the full grid on 2 MPI ranks, print the summary.
# ROBUSTA_RANKS and ROBUSTA_CONFIG override the rank count and config.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cfg=${ROBUSTA_CONFIG:-configs/default.cfg}
ranks=${ROBUSTA_RANKS:-2}
start=$(date +%s)
resume=()
[[ -f results/default/manifest.txt ]] && resume=(--resume)
if [[ ${#resume[@]} -gt 0 && -f results/default/results.h5 ]]; then
  echo "make run: results/default already holds a finished run; moving it to results/default.previous"
  rm -rf results/default.previous && mv results/default results/default.previous
  resume=()
fi
mpirun --oversubscribe -np "$ranks" ./bin/robusta bench -c "$cfg" "${resume[@]}"
echo "make run: finished in $(( $(date +%s) - start )) s on $ranks ranks"
