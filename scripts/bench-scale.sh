#!/usr/bin/env bash
# bench-scale.sh - `make bench-scale`: configs/xdv-scale.cfg (XD-Violence-sized synthetic data, 5 crops,
# 1024-d) on this machine. The whole protocol (50 epochs x 5 detectors, 166 cells) takes hours on 2
# cores (docs/scaling.md has the cost model), so this runs a named, documented subset:
#   training: 1 epoch (protocol: 50), 1 replica, on 2 ranks;
#   grid "scale-subset": visual gaussian_noise + fog, audio reverb + packet_loss, severities 1 and 5,
#   both missing modalities, both datasets = 22 cells, on 1 rank and on 2 ranks.
# Prints BENCH lines: wall time per stage, cells per second, peak memory per rank and per node.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cfg=configs/xdv-scale.cfg
sub=(--set train.epochs=1 --set train.seeds=1
     --set 'grid.visual=[gaussian_noise, fog]' --set 'grid.audio=[reverb, packet_loss]' --set 'grid.severities=[1, 5]')
mpi=(mpirun --oversubscribe --allow-run-as-root)
ms() { date +%s%N; }
secs() { local d=$(( ($2 - $1) / 1000000 )); printf '%d.%03d' $((d / 1000)) $((d % 1000)); }
status=0
t0=$(ms); ./bin/robusta synth -c "$cfg" "${sub[@]}" || status=1; t1=$(ms)
echo "BENCH scale_synth wall_s=$(secs "$t0" "$t1") (0 if the files existed)"
t0=$(ms); "${mpi[@]}" -np 2 ./bin/robusta train -c "$cfg" "${sub[@]}" 2>results/bench-scale-train.log || status=1; t1=$(ms)
echo "BENCH scale_train ranks=2 epochs=1 wall_s=$(secs "$t0" "$t1") (0 if the model existed; protocol x50)"
grep -E 'epoch 1/1' results/bench-scale-train.log | sed 's/^robusta: /BENCH scale_train_detector /'
for n in 1 2; do
  out=results/bench-scale-np$n
  rm -rf "$out"
  t0=$(ms)
  "${mpi[@]}" -np "$n" ./bin/robusta bench -c "$cfg" "${sub[@]}" --out "$out" >"$out.log" 2>&1 || { status=1; echo "bench-scale: $n-rank grid failed, see $out.log"; continue; }
  t1=$(ms)
  echo "BENCH scale_grid_np$n ranks=$n wall_s=$(secs "$t0" "$t1") $(grep -Eo 'grid: [0-9]+ cells in [0-9.]+ s \([0-9.]+ cells/s\)' "$out/log.txt" | tr -d '()') | $(grep -Eo 'memory: .*' "$out/log.txt")"
done
exit $status
