#!/usr/bin/env bash
# bench.sh - `make bench`: the component benchmarks (bin/robusta-bench: training step, GMM scoring,
# corruption generation, metrics, synthesis, cell scoring, each next to an sgemm of the same shapes
# measured in the same run, one BLAS thread) and the grid on the default config with 1 and 2 ranks
# (cells per second, peak memory per rank and per node). Figures go to stdout as BENCH lines.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
status=0
./bin/robusta-bench || status=1
cfg=${ROBUSTA_BENCH_CONFIG:-configs/default.cfg}
for n in 1 2; do
  out=results/bench-np$n
  rm -rf "$out"
  start=$(date +%s%N)
  if ! mpirun --oversubscribe --allow-run-as-root -np "$n" ./bin/robusta bench -c "$cfg" --out "$out" >"$out.log" 2>&1; then
    echo "bench: the $n-rank grid run failed; see $out.log"; status=1; continue
  fi
  wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  wall=$(printf '%d.%03d' $((wall_ms / 1000)) $((wall_ms % 1000)))
  cells=$(grep -Eo 'grid: [0-9]+ cells in [0-9.]+ s \([0-9.]+ cells/s\)' "$out/log.txt" | tail -n 1)
  mem=$(grep -Eo 'memory: .*' "$out/log.txt" | tail -n 1)
  echo "BENCH grid_np$n ranks=$n wall_s=$wall ${cells//[()]/} | $mem"
done
if [[ -f results/bench-np1/results.h5 && -f results/bench-np2/results.h5 ]]; then
  if ./bin/robusta audit results/bench-np1/results.h5 results/bench-np2/results.h5 >/dev/null 2>&1; then
    echo "CHECK grid PASSED: 1-rank and 2-rank results.h5 metrics are identical (robusta audit)"
  else
    echo "CHECK grid FAILED: 1-rank and 2-rank results differ"; status=1
  fi
fi
exit $status
