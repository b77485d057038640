#!/usr/bin/env bash
# bench-grid.sh - `make bench-grid`: the grid at XD-Violence test size (configs/xdv-grid.cfg: 800 test
# videos of 1 crop, 28 cells, six methods) on 2 ranks, against the floors of its cells. Prints BENCH
# lines:
#   grid_cell_type   per cell type (visual, visual_noise, visual_linear: the row-linear fog and
#                    motion_blur scored from the clean first layers, audio, audio_linear: the
#                    row-linear reverb and packet_loss, missing_visual, missing_audio, clean; the
#                    type of each condition is what `robusta-bench cell_types` prints in its `kind`
#                    lines, from the scorer's own rules):
#                    cells, mean seconds per cell per 100k test snippets, and the floor per 100k
#                    snippets (the dense products the cell must do, timed as sgemm of those shapes by
#                    `robusta-bench cell_types` in the same run, scaled by the snippet count);
#   grid_floor       the grid's wall time against (sum of its floors) / ranks: the cells' floors plus
#                    the floor of the clean pass the grid makes once (shared over the ranks) before its
#                    cells (clean_pass_floor_s: every path of both modalities on the clean features,
#                    `robusta-bench cell_types` pass=clean, scaled by the snippet count), with the clean
#                    pass's measured wall time (clean_pass_s) and the busiest rank's own cell seconds
#                    (the rest of the grid is the bootstrap and the tail);
#   grid_floor_B0    the same for the grid with stats.bootstrap = 0 (the floors count products only;
#                    the resamples are none, and the grid issue 13 measured had none);
#   grid_bootstrap   what the 1,000 resamples add.
# Synthesis and one epoch of training (2 ranks) happen first when the files are missing (minutes).
set -uo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
cfg=configs/xdv-grid.cfg
ranks=${ROBUSTA_RANKS:-2}
mpi=(mpirun --oversubscribe --allow-run-as-root -np "$ranks")
ms() { date +%s%N; }
secs() { local d=$(( ($2 - $1) / 1000000 )); printf '%d.%03d' $((d / 1000)) $((d % 1000)); }

t0=$(ms)
"${mpi[@]}" ./bin/robusta train -c "$cfg" >results/bench-grid-train.log 2>&1 || { echo "bench-grid: training failed, see results/bench-grid-train.log"; exit 1; }
echo "BENCH grid_setup ranks=$ranks synth_and_train_wall_s=$(secs "$t0" "$(ms)") (0 if the files existed)"

# the floors per snippet, measured now (one BLAS thread, like the grid's ranks), and the cell type of
# every condition as the scorer sees it (the `kind` lines: row-linear, dimension-sparse, noise, ...)
cell_types=$(./bin/robusta-bench cell_types)
floors=$(awk '/^BENCH cell_types (cell|pass)=/ {
  delete v; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  printf "%s %.12g\n", ("cell" in v ? v["cell"] : "pass_" v["pass"]), v["floor_s"] / v["snippets"] }' <<<"$cell_types")
[[ -n $floors && $floors == *pass_clean* ]] || { echo "bench-grid: robusta-bench cell_types printed no floors"; exit 1; }
kinds=$(awk '/^BENCH cell_types kind / { split($4, c, "="); split($5, t, "="); print c[2], t[2] }' <<<"$cell_types")
[[ -n $kinds ]] || { echo "bench-grid: robusta-bench cell_types printed no cell types of the conditions"; exit 1; }

snippets=$(h5dump -a /test/n_snippets results/data-xdv-grid/xdv-like.h5 | awk '/\(0\)/ {print $2}')
[[ $snippets =~ ^[0-9]+$ ]] || { echo "bench-grid: cannot read /test/n_snippets of results/data-xdv-grid/xdv-like.h5"; exit 1; }

status=0
for boot in 1000 0; do
  out=results/bench-grid-b$boot
  rm -rf "$out"
  t0=$(ms)
  if ! "${mpi[@]}" ./bin/robusta bench -c "$cfg" --set stats.bootstrap=$boot --out "$out" >"$out.log" 2>&1; then
    echo "bench-grid: the grid with stats.bootstrap = $boot failed, see $out.log"; status=1; continue
  fi
  wall[$boot]=$(secs "$t0" "$(ms)")
  grid_s[$boot]=$(grep -Eo 'grid: [0-9]+ cells in [0-9.]+ s' "$out/log.txt" | awk '{print $5}')
done
((status == 0)) || exit 1

# per cell type, from the cells' own times in log.txt ("... xdv-like visual.fog severity 3 (rank 0, 4.31 s)")
awk -v S="$snippets" -v ranks="$ranks" -v grid="${grid_s[1000]}" -v grid0="${grid_s[0]}" -v wall="${wall[1000]}" -v floors="$floors" -v kinds="$kinds" '
  BEGIN { n = split(floors, f, "\n"); for (i = 1; i <= n; i++) { split(f[i], kv, " "); per[kv[1]] = kv[2] }
          n = split(kinds, f, "\n"); for (i = 1; i <= n; i++) { split(f[i], kv, " "); type_of[kv[1]] = kv[2] } }
  /^grid: clean pass of / { for (i = 1; i < NF; i++) if ($i == "in") { clean_pass += $(i + 1); break } }
  /^grid [0-9]+\/[0-9]+ / {
    cond = $(NF - 6); sec = $NF == "s)" ? $(NF - 1) : ""
    rank = $(NF - 2); sub(/,$/, "", rank); rank_cells[rank] += sec
    if (cond == "clean") t = "clean"
    else if (cond in type_of) t = type_of[cond]
    else { printf "bench-grid: condition %s has no cell type in robusta-bench cell_types\n", cond; bad = 1; next }
    cells[t]++; total[t] += sec; floor_sum += per[t] * S
  }
  END { if (bad) exit 1
    split("visual visual_noise visual_linear visual_sparse audio audio_linear missing_visual missing_audio clean", order, " ")
    for (k = 1; k <= 9; k++) { t = order[k]; if (!cells[t]) continue
      printf "BENCH grid_cell_type type=%s cells=%d s_per_cell_per_100k_snippets=%.3f floor_per_100k_snippets=%.3f ratio=%.2f\n",
        t, cells[t], total[t] / cells[t] * 1e5 / S, per[t] * 1e5, (per[t] > 0 ? total[t] / cells[t] / (per[t] * S) : 0) }
    busiest = 0; for (r in rank_cells) if (rank_cells[r] > busiest) busiest = rank_cells[r]
    clean_floor = per["pass_clean"] * S; floor_sum += clean_floor
    printf "BENCH grid_floor ranks=%d test_snippets=%d grid_s=%s wall_s=%s floor_sum_s=%.2f ratio_to_floor_over_ranks=%.2f clean_pass_floor_s=%.2f clean_pass_s=%.2f busiest_rank_cells_s=%.2f\n",
      ranks, S, grid, wall, floor_sum, grid / (floor_sum / ranks), clean_floor, clean_pass, busiest
    printf "BENCH grid_floor_B0 grid_s=%s floor_sum_s=%.2f ratio_to_floor_over_ranks=%.2f (stats.bootstrap = 0, as the cells issue 13 measured had no resamples)\n",
      grid0, floor_sum, grid0 / (floor_sum / ranks)
  }' results/bench-grid-b1000/log.txt || exit 1
awk -v with="${grid_s[1000]}" -v without="${grid_s[0]}" 'BEGIN {
  printf "BENCH grid_bootstrap grid_s_B1000=%s grid_s_B0=%s bootstrap_adds=%.0f%%\n", with, without, 100 * (with / without - 1) }'
