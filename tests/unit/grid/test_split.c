/* test_split.c - how split.c shares ranks among the cells when ranks outnumber them
 * (rb_grid_split_ranks): one rank per cell, then each spare rank to the cell with the largest cost
 * per rank below its cap (its blocks), hand-computed cases. */
#include "grid/grid_internal.h"
#include "rb_test.h"

RB_TEST(grid_split_ranks_by_cost_per_rank) {
    /* costs 8, 2, 1 on 6 ranks: the 3 spare ranks all go to cell 0 (8, 4, then 2.67 per rank, each
     * above cell 1's 2) -> {4, 1, 1} */
    const double cost[3] = {8, 2, 1};
    const int64_t cap[3] = {10, 10, 10};
    int n[3];
    RB_EXPECT_INT(rb_grid_split_ranks(cost, cap, 3, 6, n), 6);
    RB_EXPECT(n[0] == 4 && n[1] == 1 && n[2] == 1);
    /* one more rank: 8/4 = 2 vs 2/1 = 2 (cell 0 wins the tie) -> {5, 1, 1}; then 8/5 = 1.6 < 2 -> cell 1 */
    RB_EXPECT_INT(rb_grid_split_ranks(cost, cap, 3, 7, n), 7);
    RB_EXPECT(n[0] == 5 && n[1] == 1 && n[2] == 1);
    RB_EXPECT_INT(rb_grid_split_ranks(cost, cap, 3, 8, n), 8);
    RB_EXPECT(n[0] == 5 && n[1] == 2 && n[2] == 1);
}

RB_TEST(grid_split_ranks_caps_and_idle_ranks) {
    /* cell 0 has 2 blocks, cell 1 recomputes nothing (cap 1), cell 2 has 3 blocks: at most 6 ranks work */
    const double cost[3] = {100, 50, 1};
    const int64_t cap[3] = {2, 1, 3};
    int n[3];
    RB_EXPECT_INT(rb_grid_split_ranks(cost, cap, 3, 16, n), 6);
    RB_EXPECT(n[0] == 2 && n[1] == 1 && n[2] == 3);
    /* exactly as many ranks as cells: one each */
    RB_EXPECT_INT(rb_grid_split_ranks(cost, cap, 3, 3, n), 3);
    RB_EXPECT(n[0] == 1 && n[1] == 1 && n[2] == 1);
}
