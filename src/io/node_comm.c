/* node_comm.c - the communicator of the ranks that share a node's memory (rb_io.h): what the
 * node-shared windows are allocated on (the test features, the grid's clean arrays) and what the
 * memory report sums over. MPI_Comm_split_type(MPI_COMM_TYPE_SHARED); for tests, the environment
 * variable ROBUSTA_TEST_NODE_RANKS=k instead cuts comm into "nodes" of k consecutive ranks, so the
 * paths that exchange between nodes run on one machine (tests/e2e/grid.sh; docs/scaling.md). */
#include "rb_io.h"

#include <stdlib.h>

void rb_node_comm(MPI_Comm comm, MPI_Comm *node) {
    const char *k = getenv("ROBUSTA_TEST_NODE_RANKS");
    long per_node = k && *k ? strtol(k, NULL, 10) : 0;
    if (per_node > 0) {
        int rank;
        MPI_Comm_rank(comm, &rank);
        MPI_Comm_split(comm, (int)(rank / per_node), rank, node);
        return;
    }
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, node);
}
